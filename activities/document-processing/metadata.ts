// The metadata step: title, authors, dates, language, keywords, counts, DOI.
import { documentExcerpt } from '../../db/queries/chunks.ts';
import { committedRanges, fencedWrite, mergeDocumentMetadata } from '../../db/queries/document-runs.ts';
import { setDocumentTextSearchConfig } from '../../db/queries/search.ts';
import { buildMetadata } from '../metadata/build.ts';
import { TextAnalyzer, type TextAnalysisPartial } from '../metadata/text-analysis.ts';
import { textSearchConfigFor } from '../search/text-search-config.ts';
import { claim, requireExtraction, type Step } from './attempt.ts';

/** Characters of a document's start a chat model reads for metadata. */
const LLM_EXCERPT_CHARS = 8_000;

/** From the file, the text (analysed per range) and (when configured) a chat model. */
export const metadata: Step<{ fields: string[] }> = async ({ config, sql }, documentId, at) => {
  const row = await claim(sql, at, { fresh: false });
  const extraction = requireExtraction(row);
  const ranges = await committedRanges(sql, documentId);
  const analyzer = TextAnalyzer.fromPartials(ranges.map((range) => range.analysis as unknown as TextAnalysisPartial));
  at.checkpoint();
  const analysis = await buildMetadata({
    config,
    filename: row.original_filename,
    extraction,
    pageCount: row.page_count,
    analysis: analyzer.result(),
    excerpt: () => documentExcerpt(sql, documentId, LLM_EXCERPT_CHARS),
  });
  // The chunks' full text is searched in the document's language from here on.
  await fencedWrite(sql, at.fence, async (tx) => {
    await mergeDocumentMetadata(tx, documentId, { analysis });
    await setDocumentTextSearchConfig(tx, documentId, textSearchConfigFor(analysis.language));
  });
  return { fields: Object.keys(analysis.field_sources) };
};
