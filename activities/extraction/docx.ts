import mammoth from 'mammoth';
import { XMLParser } from 'fast-xml-parser';
import {
  cleanProperties,
  isoDate,
  UnreadableDocumentError,
  type ExtractedDocument,
  type FileProperties,
  type PageRange,
} from './types.ts';
import { wordHtmlToText } from './html.ts';
import type { TextSink } from './text-window.ts';
import { splitAuthors } from './pdf.ts';
import { BoundedZip } from './bounded-zip.ts';
import type { ArchiveLimits } from '../../common/archive-limits.ts';

/**
 * A Word document's text and its core properties (docProps/core.xml). mammoth renders
 * the body as HTML (headings, paragraphs, line breaks, lists, tables) and the HTML
 * renderer turns that into text: blocks and line breaks as lines, table rows one line
 * each. mammoth's raw-text mode drops line breaks inside a paragraph (gluing the lines)
 * and puts every table cell on a paragraph of its own. mammoth maps Word's heading
 * styles to h1–h6, which become the text's heading marks. With `range`, only those
 * characters of the text are kept; Word HTML longer than `domMaxChars` is streamed.
 */
export async function extractDocx(
  bytes: Uint8Array,
  options: { range?: PageRange; domMaxChars?: number; tee?: TextSink; archive?: ArchiveLimits } = {},
): Promise<ExtractedDocument> {
  let zip: BoundedZip;
  try {
    zip = await BoundedZip.open(bytes, options.archive);
  } catch (error) {
    if (error instanceof UnreadableDocumentError) throw error;
    throw new UnreadableDocumentError(
      'corrupt_file',
      `the docx is not a valid zip archive: ${(error as Error).message}`,
    );
  }
  if (!zip.file('word/document.xml'))
    throw new UnreadableDocumentError('corrupt_file', 'the docx has no word/document.xml');
  let html: string;
  try {
    // mammoth reads the archive through the bounded zip (see forMammoth), never inflating past the limits.
    html = (await mammoth.convertToHtml({ file: zip.forMammoth() } as unknown as { buffer: Buffer })).value;
  } catch (error) {
    if (error instanceof UnreadableDocumentError) throw error;
    throw new UnreadableDocumentError('corrupt_file', `the docx cannot be read: ${(error as Error).message}`);
  }
  const { text, headings, extent } = wordHtmlToText(html, options);
  return {
    format: 'docx',
    sections: [{ text, page: null, headings }],
    extent,
    pageCount: null,
    pageUnit: null,
    properties: await coreProperties(zip),
  };
}

async function coreProperties(zip: BoundedZip): Promise<FileProperties> {
  const xml = await zip.file('docProps/core.xml')?.async('string');
  if (!xml) return {};
  const parsed = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true }).parse(xml) as {
    coreProperties?: Record<string, unknown>;
  };
  const core = parsed.coreProperties ?? {};
  const text = (value: unknown) => (value === undefined || value === null ? undefined : String(value));
  return cleanProperties({
    title: text(core.title),
    authors: splitAuthors(text(core.creator)),
    subject: text(core.subject),
    keywords: text(core.keywords)?.split(/[,;]/),
    created: isoDate(text(core.created)),
    modified: isoDate(text(core.modified)),
    language: text(core.language),
  });
}
