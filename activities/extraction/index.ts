import { readFile } from 'node:fs/promises';
import type { ArchiveLimits } from '../../common/archive-limits.ts';
import { acceptedExtensionsText, formatOfDocument, type FormatName } from '../../common/formats.ts';
import { extractDocx } from './docx.ts';
import { extractEpub } from './epub.ts';
import { extractHtml } from './html.ts';
import { extractImage } from './image.ts';
import { extractMobi } from './mobi.ts';
import { extractPdf, type OnPage } from './pdf.ts';
import { extractPlainText } from './plain-text.ts';
import { cleanText } from './clean-text.ts';
import {
  UnreadableDocumentError,
  type CleanedDocument,
  type ExtractedDocument,
  type FileProperties,
  type OcrOptions,
  type PageRange,
} from './types.ts';

export {
  UnreadableDocumentError,
  type CleanedDocument,
  type ExtractedDocument,
  type TextSection,
  type FileProperties,
  type PageRange,
  type OcrOptions,
  type TextSource,
  type UnreadableReason,
} from './types.ts';

/**
 * A stored document's format (common/formats.ts): by the MIME type the upload
 * recorded, else by its name. Unknown: not readable.
 */
export function formatOf(mimeType: string, filename: string): FormatName {
  const format = formatOfDocument(mimeType, filename);
  if (!format)
    throw new UnreadableDocumentError(
      'unsupported_type',
      `unsupported document type ${mimeType} (${filename}); supported: ${acceptedExtensionsText()}`,
    );
  return format.name;
}

/** Whether a stored document is read in page ranges (and so gets a workflow of its own); false for an unknown type, which fails in its group. */
export function isPaged(mimeType: string, filename: string): boolean {
  return formatOfDocument(mimeType, filename)?.paged ?? false;
}

export interface ExtractOptions {
  /** Only these pages of a PDF (other formats have no pages and are read whole). */
  pages?: PageRange;
  /** Called after each page or chapter, so the caller can report progress. */
  onPage?: OnPage;
  /** OCR of PDF pages without a usable text layer, and of images; off when absent. */
  ocr?: OcrOptions;
  /** How far a ZIP-based document may unpack (config max_archive_*); config/default.yaml's values when absent. */
  archive?: ArchiveLimits;
}

/**
 * Reads a stored file and extracts its text and properties, without the code
 * points PostgreSQL refuses (counted in `removedCharacters`). Throws
 * UnreadableDocumentError for unsupported, corrupt, encrypted or textless
 * files; a page range without text is not an error (the document may have
 * text elsewhere: the caller judges the whole).
 */
export async function extractDocument(
  file: string,
  mimeType: string,
  filename: string,
  options: ExtractOptions = {},
): Promise<CleanedDocument> {
  const format = formatOf(mimeType, filename);
  const bytes = new Uint8Array(await readFile(file));
  const extracted = await extractByFormat(format, bytes, options);
  let removedCharacters = 0;
  const sections = extracted.sections.map((section) => {
    const { text, removed } = cleanText(section.text);
    removedCharacters += removed;
    return { ...section, text };
  });
  if (!options.pages && !sections.some((section) => /\S/.test(section.text))) {
    throw new UnreadableDocumentError(
      'no_text',
      `no text could be extracted from ${filename} (empty, or scanned images without a text layer)`,
    );
  }
  // What a section belongs to is the table's word (common/formats.ts), whatever the extractor set.
  const pageUnit = formatOfDocument(mimeType, filename)?.rangeUnit ?? null;
  return { ...extracted, sections, pageUnit, properties: cleanProperties(extracted.properties), removedCharacters };
}

/** The file's own properties (a PDF's Info dictionary holds NULs as often as its text) cleaned the same way. */
function cleanProperties(properties: FileProperties): FileProperties {
  const clean = (value: string) => cleanText(value).text.trim();
  return Object.fromEntries(
    Object.entries(properties).map(([key, value]) => [
      key,
      Array.isArray(value) ? value.map(clean).filter(Boolean) : typeof value === 'string' ? clean(value) : value,
    ]),
  ) as FileProperties;
}

/** One extractor per format of the table: a format without one does not compile. */
export const EXTRACTORS: Record<FormatName, Extractor> = {
  pdf: (bytes, options) => extractPdf(bytes, options.onPage, options.pages, options.ocr),
  docx: (bytes, options) => extractDocx(bytes, options.archive),
  epub: (bytes, options) => extractEpub(bytes, options.onPage, options.archive),
  mobi: (bytes, options) => extractMobi(bytes, 'mobi', options.onPage),
  azw3: (bytes, options) => extractMobi(bytes, 'azw3', options.onPage),
  html: (bytes) => extractHtml(bytes),
  markdown: (bytes) => extractPlainText(bytes, 'markdown'),
  text: (bytes) => extractPlainText(bytes, 'text'),
  png: (bytes, options) => extractImage(bytes, 'png', options.ocr, options.onPage),
  jpeg: (bytes, options) => extractImage(bytes, 'jpeg', options.ocr, options.onPage),
  tiff: (bytes, options) => extractImage(bytes, 'tiff', options.ocr, options.onPage),
};

export type Extractor = (bytes: Uint8Array, options: ExtractOptions) => Promise<ExtractedDocument> | ExtractedDocument;

function extractByFormat(format: FormatName, bytes: Uint8Array, options: ExtractOptions) {
  return EXTRACTORS[format](bytes, options);
}
