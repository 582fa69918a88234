import { htmlToText } from './html.ts';
import { MobiFormatError, MobiUnreadableError } from './mobi/errors.ts';
import { readMobiBook, type MobiBook } from './mobi/read-book.ts';
import { cleanProperties, UnreadableDocumentError, type ExtractedDocument, type TextSection } from './types.ts';

/**
 * A MOBI or AZW3 book read like an EPUB: its chapters (MOBI 6 page breaks,
 * KF8 files) are HTML, rendered by the same HTML path, each one a "page";
 * title and authors from EXTH (503, 100).
 */
export function extractMobi(bytes: Uint8Array, format: 'mobi' | 'azw3', onChapter?: () => void): ExtractedDocument {
  const book = openBook(bytes);
  const sections: TextSection[] = [];
  for (const chapter of book.chapters) {
    const { text } = htmlToText(chapter);
    if (text.trim()) sections.push({ text, page: sections.length + 1 });
    onChapter?.();
  }
  return {
    format,
    sections,
    pageCount: sections.length,
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
