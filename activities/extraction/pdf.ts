import './array-buffer-transfer.ts';
import { getDocumentProxy, getMeta } from 'unpdf';
import { OcrEngineError } from './ocr/errors.ts';
import { PDF_DATA_FILES } from './pdf-data-files.ts';
import { renderPageForOcr } from './ocr/render-page.ts';
import { isUsablePageText } from './ocr/usable-text.ts';
import { outlineEntries, outlineMarks } from './pdf-outline.ts';
import {
  cleanProperties,
  isoDate,
  UnreadableDocumentError,
  type ExtractedDocument,
  type OcrOptions,
  type PageRange,
  type TextSection,
} from './types.ts';

/** Told after each page; `ocr` when the page was recognised rather than read (it took seconds, not milliseconds). */
export type OnPage = (page?: { ocr: boolean }) => void;
/** Told while a page is recognised: the share of it done (0 to 1) and its number. */
export type OnRecognising = (share: number, page: number) => void;

/**
 * Text per page with pdf.js (through unpdf), and the file's own title, author
 * and dates. With `range`, only those pages are read (pdf.js loads pages
 * lazily), so memory follows the range, not the document; `pageCount` is
 * still the document's. With `ocr` on, a page without a usable text layer
 * (ocr/usable-text.ts) is rendered and recognised instead; the other pages
 * are read as they are.
 */
export async function extractPdf(
  bytes: Uint8Array,
  onPage?: OnPage,
  range?: PageRange,
  ocr?: OcrOptions,
  onRecognising?: OnRecognising,
): Promise<ExtractedDocument> {
  let pdf;
  try {
    // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy.
    pdf = await getDocumentProxy(new Uint8Array(bytes), PDF_DATA_FILES);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'PasswordException') throw new UnreadableDocumentError('encrypted', 'the PDF is password-protected');
    throw new UnreadableDocumentError('corrupt_file', `the PDF cannot be parsed: ${(error as Error).message}`);
  }
  try {
    const { info } = await getMeta(pdf);
    const fields = (info ?? {}) as Record<string, unknown>;
    // Page by page, so a long PDF heartbeats between pages and memory holds one page's items at a time.
    const sections: TextSection[] = [];
    const first = Math.max(1, range?.first ?? 1);
    const last = Math.min(pdf.numPages, range?.last ?? pdf.numPages);
    for (let number = first; number <= last; number++) {
      const page = await pdf.getPage(number);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str + (item.hasEOL ? '\n' : '');
      }
      page.cleanup();
      let section: TextSection = { text, page: number, source: 'text_layer' };
      const needsOcr = ocr?.enabled === true && !isUsablePageText(text);
      if (needsOcr) {
        // Loaded on the first page that needs it: a worker that never OCRs never loads tesseract.js.
        const { recognise } = await import('./ocr/engine.ts');
        const recognised = await recognise(await renderPageForOcr(pdf, number), ocr.languages, (share) =>
          onRecognising?.(share, number),
        );
        // A page OCR finds nothing on (a blank page) keeps whatever its text layer had.
        if (/\S/.test(recognised.text)) {
          section = { text: recognised.text, page: number, source: 'ocr', ocrConfidence: recognised.confidence };
        }
      }
      sections.push(section);
      onPage?.({ ocr: needsOcr });
    }
    // The outline (bookmarks) gives the pages their heading paths.
    const marks = outlineMarks(await outlineEntries(pdf), sections);
    sections.forEach((section, i) => (section.headings = marks[i]));
    return {
      format: 'pdf',
      sections,
      pageCount: pdf.numPages,
      pageUnit: 'page',
      properties: cleanProperties({
        title: stringOf(fields.Title),
        authors: splitAuthors(stringOf(fields.Author)),
        subject: stringOf(fields.Subject),
        keywords: stringOf(fields.Keywords)?.split(/[,;]/),
        created: pdfDate(fields.CreationDate),
        modified: pdfDate(fields.ModDate),
      }),
    };
  } catch (error) {
    // An engine failure is not the file's: it stays retryable.
    if (error instanceof UnreadableDocumentError || error instanceof OcrEngineError) throw error;
    throw new UnreadableDocumentError('corrupt_file', `the PDF's pages cannot be read: ${(error as Error).message}`);
  } finally {
    await pdf.destroy().catch(() => {});
  }
}

const stringOf = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);

export function splitAuthors(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  return value
    .split(/;|\band\b|&|,(?=\s*[A-Z][a-z]+\s+[A-Z])/)
    .map((name) => name.trim())
    .filter(Boolean);
}

/** PDF dates look like `D:20240131120000+01'00'`. */
function pdfDate(value: unknown): string | undefined {
  const text = stringOf(value);
  if (!text) return undefined;
  const match = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(text);
  if (!match) return isoDate(text);
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', zone] = match;
  const offset = !zone || zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.replace(/'/g, '').slice(3, 5) || '00'}`;
  return isoDate(`${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`);
}
