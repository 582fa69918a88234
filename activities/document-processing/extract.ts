// The extraction step: the stored file read, cleaned and chunked in the thread
// pool, committed range by range so a retry resumes where it stopped.
import { ApplicationFailure } from '@temporalio/activity';
import { insertChunks } from '../../db/queries/chunks.ts';
import {
  committedRanges,
  fencedWrite,
  insertRange,
  mergeDocumentMetadata,
  recordExtractionFacts,
  type RangeRecord,
} from '../../db/queries/document-runs.ts';
import { isPaged, UnreadableDocumentError, type PageRange } from '../extraction/index.ts';
import { textSourceOf } from '../extraction/ocr/text-source.ts';
import { claim, inThread, type Step } from './attempt.ts';
import type { ExtractionFacts, ExtractionRecord } from './types.ts';

/**
 * Extracts and chunks the stored file, committing each range (its chunks
 * and its record) in one fenced transaction before the next; resumes after
 * the ranges this activity's earlier attempts committed.
 */
export const extract: Step<{ chunks: number; pages: number | null }> = async (work, documentId, at) => {
  const { config, sql, storage, limits } = work;
  const row = await claim(sql, at, { fresh: true });
  if (!(await storage.exists(row.storage_key))) {
    throw ApplicationFailure.nonRetryable(
      `missing_file: the stored file ${row.storage_key} of ${row.original_filename} is missing`,
      'UnreadableDocument',
    );
  }
  const paged = isPaged(row.mime_type, row.original_filename);
  const done = await committedRanges(sql, documentId);
  let facts = done.length > 0 ? (row.metadata as { extraction?: ExtractionFacts }).extraction : undefined;
  let pageCount = done.length > 0 ? row.page_count : null;
  let nextOrdinal = done.reduce((sum, range) => sum + range.chunk_count, 0);

  // One local copy (on the s3 backend) serves every range of this attempt; it is removed however the attempt ends.
  await storage.withLocalFile(row.storage_key, async (file) => {
    for (
      let index = done.length;
      index === 0 || (paged && index * config.pdf_pages_per_range < (pageCount ?? 0));
      index++
    ) {
      const pages: PageRange | null = paged
        ? { first: index * config.pdf_pages_per_range + 1, last: (index + 1) * config.pdf_pages_per_range }
        : null;
      const where = pages
        ? {
            range: index + 1,
            ranges: pageCount ? Math.ceil(pageCount / config.pdf_pages_per_range) : undefined,
            first_page: pages.first,
          }
        : {};
      at.checkpoint(where);
      const outcome = await inThread(
        work,
        at,
        'extractRange',
        {
          file,
          mimeType: row.mime_type,
          filename: row.original_filename,
          pages,
          limits,
          ocr: { enabled: config.ocr_enabled, languages: config.ocr_languages },
        },
        where,
      );
      if (!outcome.ok) throw new UnreadableDocumentError(outcome.reason, outcome.message);
      pageCount = outcome.pageCount;
      const chunks = outcome.chunks;
      const range: RangeRecord = {
        range_index: index,
        page_start: pages ? pages.first : null,
        page_end: pages ? Math.min(pages.last, pageCount ?? pages.last) : null,
        first_ordinal: nextOrdinal,
        chunk_count: chunks.length,
        word_count: outcome.wordCount,
        char_count: outcome.charCount,
        removed_characters: outcome.removedCharacters,
        analysis: outcome.analysis as unknown as Record<string, unknown>,
        attempt: at.fence.attempt,
      };
      facts ??= {
        format: outcome.format,
        encoding: outcome.encoding,
        page_unit: outcome.pageUnit,
        file_properties: outcome.properties,
      };
      const firstFacts = index === 0 ? facts : undefined;
      await fencedWrite(sql, at.fence, async (tx) => {
        await insertChunks(
          tx,
          documentId,
          chunks.map((chunk) => ({
            ordinal: range.first_ordinal + chunk.ordinal,
            text: chunk.text,
            token_count: chunk.tokenCount,
            page_start: chunk.pageStart,
            page_end: chunk.pageEnd,
            metadata: {
              char_start: chunk.charStart,
              char_end: chunk.charEnd,
              own_start: chunk.ownStart,
              ...textSourceOf(chunk, outcome.ocrPages),
            },
          })),
        );
        await insertRange(tx, documentId, range);
        if (firstFacts) await recordExtractionFacts(tx, documentId, pageCount, firstFacts);
      });
      nextOrdinal += chunks.length;
      at.checkpoint({ ...where, committed: true });
    }
  });

  const ranges = await committedRanges(sql, documentId);
  const sum = (key: 'chunk_count' | 'word_count' | 'char_count' | 'removed_characters') =>
    ranges.reduce((total, range) => total + range[key], 0);
  if (sum('chunk_count') === 0) {
    throw new UnreadableDocumentError(
      'no_text',
      `no text could be extracted from ${row.original_filename} (empty, or scanned images without a text layer)`,
    );
  }
  const record: ExtractionRecord = {
    ...facts!,
    word_count: sum('word_count'),
    char_count: sum('char_count'),
    chunk_count: sum('chunk_count'),
    removed_characters: sum('removed_characters'),
    ranges: ranges.length,
  };
  await fencedWrite(sql, at.fence, (tx) => mergeDocumentMetadata(tx, documentId, { extraction: record }));
  return { chunks: record.chunk_count, pages: pageCount };
};
