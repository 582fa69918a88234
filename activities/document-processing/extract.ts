// The extraction step: the stored file read, cleaned and chunked in the thread
// pool, committed range by range so a retry resumes where it stopped.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
import type { Config } from '../../config/schema.ts';
import type { RangeUnit } from '../../common/formats.ts';
import { rangeUnitOfDocument, UnreadableDocumentError, type PageRange } from '../extraction/index.ts';
import { textSourceOf } from '../extraction/ocr/text-source.ts';
import { claim, inThread, type Step } from './attempt.ts';
import type { ExtractionFacts, ExtractionRecord } from './types.ts';

/** How many of its unit one range holds: pages of a PDF, chapters of an EPUB, characters of the others' text. */
function unitsPerRange(config: Config, unit: RangeUnit): number {
  if (unit === 'page') return config.pdf_pages_per_range;
  if (unit === 'chapter') return config.epub_chapters_per_range;
  return config.text_chars_per_range;
}

/**
 * Extracts and chunks the stored file, committing each range (its chunks
 * and its record) in one fenced transaction before the next; resumes after
 * the ranges this activity's earlier attempts committed. A range is some
 * pages of a PDF, some chapters of an EPUB, some characters of the text of
 * the other formats (rangeUnitOfDocument); the first range tells how long
 * the document is (its extent in that unit), so how many ranges follow.
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
  const unit = rangeUnitOfDocument(row.mime_type, row.original_filename);
  const perRange = unitsPerRange(config, unit);
  const done = await committedRanges(sql, documentId);
  let facts = done.length > 0 ? (row.metadata as { extraction?: ExtractionFacts }).extraction : undefined;
  let pageCount = done.length > 0 ? row.page_count : null;
  // Facts recorded before extents were: a PDF's extent is its page count.
  let extent = done.length > 0 ? (facts?.extent ?? pageCount) : null;
  let nextOrdinal = done.reduce((sum, range) => sum + range.chunk_count, 0);

  // One local copy (on the s3 backend) serves every range of this attempt, and so does one rendering of a
  // document read in ranges of characters (its text kept on disk); both are removed however the attempt ends.
  const renderedCacheDir =
    unit === 'character' ? await mkdtemp(path.join(os.tmpdir(), 'fileintel-rendered-')) : undefined;
  try {
    await storage.withLocalFile(row.storage_key, async (file) => {
      for (let index = done.length; index === 0 || index * perRange < (extent ?? 0); index++) {
        const pages: PageRange = { first: index * perRange + 1, last: (index + 1) * perRange };
        const where = {
          range: index + 1,
          ranges: extent ? Math.ceil(extent / perRange) : undefined,
          [`first_${unit}`]: pages.first,
        };
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
            htmlDomMaxBytes: config.html_dom_max_mb * 2 ** 20,
            renderedCacheDir,
            ocr: { enabled: config.ocr_enabled, languages: config.ocr_languages },
          },
          where,
        );
        if (!outcome.ok) throw new UnreadableDocumentError(outcome.reason, outcome.message);
        pageCount = outcome.pageCount;
        extent = outcome.extent ?? (unit === 'character' ? null : pageCount);
        const chunks = outcome.chunks;
        // Pages and chapters are where a range lies; a range of characters has no pages.
        const paged = unit !== 'character';
        const range: RangeRecord = {
          range_index: index,
          page_start: paged ? pages.first : null,
          page_end: paged ? Math.min(pages.last, extent ?? pages.last) : null,
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
          range_unit: unit,
          extent: extent ?? undefined,
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
                heading_path: chunk.headingPath,
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
  } finally {
    if (renderedCacheDir) await rm(renderedCacheDir, { recursive: true, force: true });
  }

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
