import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { extractDocx } from './docx.ts';
import { extractEpub } from './epub.ts';
import { extractHtml } from './html.ts';
import { extractPdf } from './pdf.ts';
import { extractPlainText } from './plain-text.ts';
import { cleanText } from './clean-text.ts';
import {
  UnreadableDocumentError,
  type CleanedDocument,
  type ExtractedDocument,
  type FileProperties,
  type PageRange,
} from './types.ts';

export {
  UnreadableDocumentError,
  type CleanedDocument,
  type ExtractedDocument,
  type TextSection,
  type FileProperties,
  type PageRange,
  type UnreadableReason,
} from './types.ts';

type Format = ExtractedDocument['format'];

const BY_MIME: Record<string, Format> = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/epub+zip': 'epub',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/plain': 'text',
};
const BY_EXTENSION: Record<string, Format> = {
  '.pdf': 'pdf',
  '.docx': 'docx',
  '.epub': 'epub',
  '.html': 'html',
  '.htm': 'html',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.txt': 'text',
};

/** The format from the MIME type the upload sniffed, else from the file name's extension. */
export function formatOf(mimeType: string, filename: string): Format {
  const format =
    BY_MIME[mimeType.split(';')[0].trim().toLowerCase()] ?? BY_EXTENSION[path.extname(filename).toLowerCase()];
  if (!format)
    throw new UnreadableDocumentError(
      'unsupported_type',
      `unsupported document type ${mimeType} (${filename}); supported: pdf, docx, epub, html, md, txt`,
    );
  return format;
}

export interface ExtractOptions {
  /** Only these pages of a PDF (other formats have no pages and are read whole). */
  pages?: PageRange;
  /** Called after each page or chapter, so the caller can report progress. */
  onPage?: () => void;
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
  return { ...extracted, sections, properties: cleanProperties(extracted.properties), removedCharacters };
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

function extractByFormat(
  format: Format,
  bytes: Uint8Array,
  options: ExtractOptions,
): Promise<ExtractedDocument> | ExtractedDocument {
  switch (format) {
    case 'pdf':
      return extractPdf(bytes, options.onPage, options.pages);
    case 'docx':
      return extractDocx(bytes);
    case 'epub':
      return extractEpub(bytes, options.onPage);
    case 'html':
      return extractHtml(bytes);
    case 'markdown':
    case 'text':
      return extractPlainText(bytes, format);
  }
}
