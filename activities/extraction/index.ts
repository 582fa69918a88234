import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { extractDocx } from './docx.ts';
import { extractEpub } from './epub.ts';
import { extractHtml } from './html.ts';
import { extractPdf } from './pdf.ts';
import { extractPlainText } from './plain-text.ts';
import { UnreadableDocumentError, type ExtractedDocument } from './types.ts';

export { UnreadableDocumentError, type ExtractedDocument, type TextSection, type FileProperties } from './types.ts';

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
  const format = BY_MIME[mimeType.split(';')[0].trim().toLowerCase()] ?? BY_EXTENSION[path.extname(filename).toLowerCase()];
  if (!format) throw new UnreadableDocumentError('unsupported_type', `unsupported document type ${mimeType} (${filename}); supported: pdf, docx, epub, html, md, txt`);
  return format;
}

/**
 * Reads a stored file and extracts its text and properties. `progress` is called
 * between pages or chapters so the activity can heartbeat. Throws
 * UnreadableDocumentError for unsupported, corrupt, encrypted or textless files.
 */
export async function extractDocument(file: string, mimeType: string, filename: string, progress?: () => void): Promise<ExtractedDocument> {
  const format = formatOf(mimeType, filename);
  const bytes = new Uint8Array(await readFile(file));
  const extracted = await extractByFormat(format, bytes, progress);
  if (!extracted.sections.some((section) => /\S/.test(section.text))) {
    throw new UnreadableDocumentError('no_text', `no text could be extracted from ${filename} (empty, or scanned images without a text layer)`);
  }
  return extracted;
}

function extractByFormat(format: Format, bytes: Uint8Array, progress?: () => void): Promise<ExtractedDocument> | ExtractedDocument {
  switch (format) {
    case 'pdf':
      return extractPdf(bytes, progress);
    case 'docx':
      return extractDocx(bytes);
    case 'epub':
      return extractEpub(bytes, progress);
    case 'html':
      return extractHtml(bytes);
    case 'markdown':
    case 'text':
      return extractPlainText(bytes, format);
  }
}
