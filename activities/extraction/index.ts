import { readFile } from 'node:fs/promises';
import type { ArchiveLimits } from '../../common/archive-limits.ts';
import {
  acceptedExtensionsText,
  FORMATS,
  formatOfDocument,
  rangeUnitOf,
  type FormatName,
  type RangeUnit,
} from '../../common/formats.ts';
import { extractDocx } from './docx.ts';
import { extractEpub } from './epub.ts';
import { extractHtml } from './html.ts';
import { extractImage } from './image.ts';
import { extractMobi } from './mobi.ts';
import { extractPdf, type OnPage, type OnRecognising } from './pdf.ts';
import { extractPlainText } from './plain-text.ts';
import { cleanSection, cleanText } from './clean-text.ts';
import { RenderedTextCache } from './rendered-cache.ts';
import type { TextSink } from './text-window.ts';
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
  type HeadingMark,
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

/** What a stored document's ranges count (common/formats.ts rangeUnitOf); characters for an unknown type, which fails anyway. */
export function rangeUnitOfDocument(mimeType: string, filename: string): RangeUnit {
  const format = formatOfDocument(mimeType, filename);
  return format ? rangeUnitOf(format) : 'character';
}

export interface ExtractOptions {
  /**
   * Only this range of the document, in its range unit (rangeUnitOfDocument):
   * pages of a PDF, chapters of an EPUB, characters of the text of the others.
   * Without it the whole document is read.
   */
  range?: PageRange;
  /** Called after each page or chapter, so the caller can report progress. */
  onPage?: OnPage;
  /** Called while a page is OCR'd, with the share of it recognised (0 to 1): one page can take a minute. */
  onRecognising?: OnRecognising;
  /** OCR of PDF pages without a usable text layer, and of images; off when absent. */
  ocr?: OcrOptions;
  /** How far a ZIP-based document may unpack (config max_archive_*); config/default.yaml's values when absent. */
  archive?: ArchiveLimits;
  /** HTML bigger than this is streamed (no DOM, memory bounded by the range: html-stream.ts); default: never. */
  htmlDomMaxBytes?: number;
  /**
   * A directory of this attempt where a document read in ranges of characters
   * keeps its whole rendered text (rendered-cache.ts): the first range renders
   * it, the next ones read their window back.
   */
  renderedCacheDir?: string;
  /** Receives the whole text as the extractor renders it (set by extractDocument for the cache). */
  tee?: TextSink;
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
  const extracted = await extractThroughCache(file, format, options);
  let removedCharacters = 0;
  const sections = extracted.sections.map((raw) => {
    const { section, removed } = cleanSection(raw);
    removedCharacters += removed;
    return section;
  });
  if (!options.range && !sections.some((section) => /\S/.test(section.text))) {
    throw new UnreadableDocumentError(
      'no_text',
      `no text could be extracted from ${filename} (empty, or scanned images without a text layer)`,
    );
  }
  // What a section belongs to is the table's word (common/formats.ts), whatever the extractor set.
  const pageUnit = formatOfDocument(mimeType, filename)?.rangeUnit ?? null;
  return { ...extracted, sections, pageUnit, properties: cleanProperties(extracted.properties), removedCharacters };
}

/** Reads the file, or the range's window of its rendered text when an earlier range of this attempt kept it (rendered-cache.ts). */
async function extractThroughCache(
  file: string,
  format: FormatName,
  options: ExtractOptions,
): Promise<ExtractedDocument> {
  const cacheable = options.renderedCacheDir && options.range && rangeUnitOf(formatByName(format)) === 'character';
  if (!cacheable) return extractByFormat(format, await readBytes(file), options);
  const cache = new RenderedTextCache(options.renderedCacheDir!);
  if (cache.complete) return cache.read(options.range!);
  const writer = cache.writer();
  const extracted = await extractByFormat(format, await readBytes(file), { ...options, tee: writer });
  writer.finish({
    format,
    properties: extracted.properties,
    encoding: extracted.encoding,
    extent: extracted.extent ?? 0,
  });
  return extracted;
}

/** A file's bytes, without copying the Buffer readFile made (a 100 MB file is held once, not twice). */
async function readBytes(file: string): Promise<Uint8Array> {
  const buffer = await readFile(file);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
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

const formatByName = (name: FormatName) => FORMATS.find((format) => format.name === name)!;

/** One extractor per format of the table: a format without one does not compile. */
export const EXTRACTORS: Record<FormatName, Extractor> = {
  pdf: (bytes, options) => extractPdf(bytes, options.onPage, options.range, options.ocr, options.onRecognising),
  docx: (bytes, options) =>
    extractDocx(bytes, {
      range: options.range,
      domMaxChars: options.htmlDomMaxBytes,
      tee: options.tee,
      archive: options.archive,
    }),
  epub: (bytes, options) => extractEpub(bytes, options.onPage, options.range, options.archive),
  mobi: (bytes, options) => extractMobi(bytes, 'mobi', options.onPage, options.range),
  azw3: (bytes, options) => extractMobi(bytes, 'azw3', options.onPage, options.range),
  html: (bytes, options) =>
    extractHtml(bytes, { range: options.range, domMaxBytes: options.htmlDomMaxBytes, tee: options.tee }),
  markdown: (bytes, options) => extractPlainText(bytes, 'markdown', options.range, options.tee),
  text: (bytes, options) => extractPlainText(bytes, 'text', options.range, options.tee),
  png: (bytes, options) => extractImage(bytes, 'png', options.ocr, options.onPage, options.onRecognising),
  jpeg: (bytes, options) => extractImage(bytes, 'jpeg', options.ocr, options.onPage, options.onRecognising),
  tiff: (bytes, options) => extractImage(bytes, 'tiff', options.ocr, options.onPage, options.onRecognising),
};

export type Extractor = (bytes: Uint8Array, options: ExtractOptions) => Promise<ExtractedDocument> | ExtractedDocument;

function extractByFormat(format: FormatName, bytes: Uint8Array, options: ExtractOptions) {
  return EXTRACTORS[format](bytes, options);
}
