import type { Config } from '../../config/schema.ts';
import type { ExtractionRecord } from '../document-processing/types.ts';
import { askLlmForMetadata } from './llm.ts';
import type { TextAnalyzer } from './text-analysis.ts';

export type MetadataSource = 'file_properties' | 'text_analysis' | 'llm';

export interface DocumentMetadata {
  title?: string;
  authors?: string[];
  created?: string;
  modified?: string;
  date?: string;
  language?: string;
  keywords?: string[];
  doi?: string;
  summary?: string;
  page_count: number | null;
  word_count: number;
  /** Which method produced each field. */
  field_sources: Record<string, MetadataSource>;
  llm_error?: string;
}

/**
 * Merges, in rising order of trust for each field: text analysis, then the
 * chat model (when configured; `excerpt` reads the start of the text for it),
 * then the file's own properties, recording which one produced each field.
 */
export async function buildMetadata(input: {
  config: Config;
  filename: string;
  extraction: ExtractionRecord;
  pageCount: number | null;
  analysis: ReturnType<TextAnalyzer['result']>;
  excerpt: () => Promise<string>;
}): Promise<DocumentMetadata> {
  const { analysis } = input;
  const metadata: DocumentMetadata = {
    page_count: input.pageCount,
    word_count: input.extraction.word_count,
    field_sources: {},
  };
  const set = (field: keyof DocumentMetadata & string, value: unknown, source: MetadataSource) => {
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0) || value === '') return;
    (metadata as unknown as Record<string, unknown>)[field] = value;
    metadata.field_sources[field] = source;
  };

  set('title', analysis.titleGuess, 'text_analysis');
  set('language', analysis.language, 'text_analysis');
  set('keywords', analysis.keywords, 'text_analysis');
  set('doi', analysis.doi, 'text_analysis');

  if (input.config.openai_base_url && input.config.openai_chat_model) {
    const answer = await askLlmForMetadata(input.config, await input.excerpt(), input.filename);
    if ('error' in answer) metadata.llm_error = answer.error;
    else
      for (const [field, value] of Object.entries(answer.fields))
        set(field as keyof DocumentMetadata & string, value, 'llm');
  }

  const file = input.extraction.file_properties;
  set('title', file.title, 'file_properties');
  set('authors', file.authors, 'file_properties');
  set('created', file.created, 'file_properties');
  set('modified', file.modified, 'file_properties');
  set('keywords', file.keywords, 'file_properties');
  return metadata;
}
