// What the document-processing activities share with their callers: the steps,
// what each heartbeat carries, what extraction leaves for the steps after it,
// and how a group's documents end. Types only.
import type { FileProperties } from '../extraction/index.ts';

export interface DocumentRef {
  documentId: string;
}

/** The steps of one document, in order; a failure is reported as "<step>: <reason>". */
export type DocumentStep = 'extract' | 'metadata' | 'embeddings' | 'graph';

/** What each heartbeat carries: the step it came from, so a timed-out attempt still says where it was. */
export interface StepHeartbeat {
  step: DocumentStep;
  progress?: unknown;
}

/** What the extraction step leaves in documents.metadata.extraction, for the steps after it. */
export interface ExtractionRecord {
  format: string;
  encoding?: string;
  page_unit: 'page' | 'chapter' | null;
  file_properties: FileProperties;
  word_count: number;
  char_count: number;
  chunk_count: number;
  /** Code points removed because PostgreSQL refuses them (NUL) or they are not text. */
  removed_characters: number;
  /** Ranges the text was extracted and committed in (pages, chapters or characters: `range_unit`). */
  ranges: number;
  /** What its ranges counted (common/formats.ts rangeUnitOf). */
  range_unit?: 'page' | 'chapter' | 'character';
  /** The document's length in that unit (pages, chapters, characters of text). */
  extent?: number;
}

/** What is known of a document after its first range: kept so a resumed attempt need not read it again. */
export type ExtractionFacts = Pick<
  ExtractionRecord,
  'format' | 'encoding' | 'page_unit' | 'file_properties' | 'range_unit' | 'extent'
>;

/** How a document of a group ended. */
export interface GroupDocumentOutcome {
  document_id: string;
  filename: string;
  status: 'processed' | 'failed';
  error?: string;
}

export interface GroupResult {
  outcomes: GroupDocumentOutcome[];
}

/** A group's heartbeat: the step of the document at work, and every document finished so far (a retry skips them). */
export interface GroupHeartbeat extends StepHeartbeat {
  document_id?: string;
  filename?: string;
  finished: GroupDocumentOutcome[];
}
