import type { FormatName } from '../../common/formats.ts';

/** One stretch of a document's text; `page` is the page (pdf) or chapter (epub) it belongs to. */
export interface TextSection {
  text: string;
  page: number | null;
  /** How the text was obtained: read from the file (absent means that too) or recognised in an image. */
  source?: TextSource;
  /** With `source: 'ocr'`: Tesseract's mean word confidence for the page, 0 to 100. */
  ocrConfidence?: number;
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

/** Pages `first` to `last` (1-based, inclusive) of a paged document. */
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
