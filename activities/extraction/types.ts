import type { FormatName } from '../../common/formats.ts';

/**
 * Where a heading starts in a section's text: from `offset` on (until the next
 * mark), the text is under `path`, its headings outermost first (["SQL
 * Commands", "CREATE INDEX"]). A mark starts a section of the document, so the
 * chunker prefers to start a chunk there.
 */
export interface HeadingMark {
  offset: number;
  path: string[];
}

/**
 * One stretch of a document's text, the form every extractor hands on: `page`
 * is the page (pdf) or chapter (epub) it belongs to; `headings`, in order of
 * offset, where its headings start (none: the path in effect goes on from the
 * previous section).
 */
export interface TextSection {
  text: string;
  page: number | null;
  /** How the text was obtained: read from the file (absent means that too) or recognised in an image. */
  source?: TextSource;
  /** With `source: 'ocr'`: Tesseract's mean word confidence for the page, 0 to 100. */
  ocrConfidence?: number;
  headings?: HeadingMark[];
}

export type TextSource = 'text_layer' | 'ocr';

/** OCR of pages without a usable text layer, and of images (config `ocr_enabled`, `ocr_languages`). */
export interface OcrOptions {
  enabled: boolean;
  /** Tesseract language codes, e.g. ["eng", "deu"]. */
  languages: string[];
}

/** What the file says about itself (PDF info, docx core properties, epub OPF, html <title>). */
export interface FileProperties {
  title?: string;
  authors?: string[];
  created?: string;
  modified?: string;
  subject?: string;
  keywords?: string[];
  language?: string;
}

export interface ExtractedDocument {
  format: FormatName;
  sections: TextSection[];
  /** Pages for pdf, chapters for epub, null when the format has none. */
  pageCount: number | null;
  /**
   * The whole document's length in its range unit (common/formats.ts `rangeUnit`:
   * pages, chapters or characters of text), so the caller knows how many ranges
   * remain; absent when the document was read whole.
   */
  extent?: number;
  pageUnit: 'page' | 'chapter' | null;
  properties: FileProperties;
  /** Character encoding the bytes were decoded from (text formats). */
  encoding?: string;
}

/** A document as extractDocument hands it on: its text cleaned for storage. */
export interface CleanedDocument extends ExtractedDocument {
  /** Code points dropped from the text because PostgreSQL refuses them (NUL) or they are not text (see clean-text.ts). */
  removedCharacters: number;
}

/** Units `first` to `last` (1-based, inclusive) of a document read in ranges: pages, chapters or characters (common/formats.ts `rangeUnit`). */
export interface PageRange {
  first: number;
  last: number;
}

/** too_large: a ZIP-based document over the archive limits (config max_archive_*), or an image over MAX_IMAGE_PIXELS (image.ts). */
export type UnreadableReason = 'unsupported_type' | 'corrupt_file' | 'encrypted' | 'no_text' | 'too_large';

/**
 * The file cannot be turned into text, and trying again will not change that.
 * The activity turns it into a non-retryable failure naming the reason.
 */
export class UnreadableDocumentError extends Error {
  constructor(
    readonly reason: UnreadableReason,
    message: string,
  ) {
    super(message);
    this.name = 'UnreadableDocumentError';
  }
}

/** Trims and drops empty values, so absent properties stay absent. */
export function cleanProperties(properties: FileProperties): FileProperties {
  const clean: FileProperties = {};
  for (const [key, value] of Object.entries(properties) as [keyof FileProperties, unknown][]) {
    if (Array.isArray(value)) {
      const items = value.map((item) => String(item).trim()).filter(Boolean);
      if (items.length > 0) (clean as Record<string, unknown>)[key] = items;
    } else if (typeof value === 'string' && value.trim() !== '') {
      (clean as Record<string, unknown>)[key] = value.trim();
    }
  }
  return clean;
}

/** Dates as ISO strings when they parse, else as the file wrote them. */
export function isoDate(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? value.trim() : parsed.toISOString();
}
