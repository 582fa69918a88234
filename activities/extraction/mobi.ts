import { htmlToText } from './html.ts';
import { MobiFormatError, MobiUnreadableError } from './mobi/errors.ts';
import { readMobiBook, type MobiBook } from './mobi/read-book.ts';
import {
  cleanProperties,
  UnreadableDocumentError,
  type ExtractedDocument,
  type PageRange,
  type TextSection,
} from './types.ts';

/**
 * A MOBI or AZW3 book read like an EPUB: its chapters (MOBI 6 page breaks,
 * KF8 files) are HTML, rendered by the same HTML path, each one a "page"
 * numbered by its place in the book; title and authors from EXTH (503, 100).
 * With `range`, only those chapters are rendered (a long book is committed a
 * few chapters at a time); `pageCount` is still the book's. Each chapter's
 * heading path starts afresh, so a range needs no chapter before it.
 */
export function extractMobi(
  bytes: Uint8Array,
  format: 'mobi' | 'azw3',
  onChapter?: () => void,
  range?: PageRange,
): ExtractedDocument {
  const book = openBook(bytes);
  const sections: TextSection[] = [];
  const first = Math.max(1, range?.first ?? 1);
  const last = Math.min(book.chapters.length, range?.last ?? book.chapters.length);
  for (let chapter = first; chapter <= last; chapter++) {
    const { text, headings } = htmlToText(book.chapters[chapter - 1]);
    const fresh = headings[0]?.offset === 0 ? headings : [{ offset: 0, path: [] }, ...headings];
    if (text.trim()) sections.push({ text, page: chapter, headings: fresh });
    onChapter?.();
  }
  return {
    format,
    sections,
    pageCount: book.chapters.length,
    extent: book.chapters.length,
    pageUnit: 'chapter',
    properties: cleanProperties({ title: book.title, authors: book.authors, language: book.language }),
  };
}

function openBook(bytes: Uint8Array): MobiBook {
  try {
    return readMobiBook(bytes);
  } catch (error) {
    if (error instanceof MobiUnreadableError) throw new UnreadableDocumentError(error.reason, error.message);
    if (error instanceof MobiFormatError)
      throw new UnreadableDocumentError('corrupt_file', `the MOBI/AZW3 book cannot be read: ${error.message}`);
    throw error;
  }
}
