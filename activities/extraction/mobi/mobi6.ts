/** `<mbp:pagebreak/>`: where a MOBI 6 book starts a new page (a chapter, in books made from EPUB). */
const PAGE_BREAK = /<\s*mbp:pagebreak\b[^>]*>/gi;

/**
 * A MOBI 6 book's text is one HTML document; its page breaks cut the body
 * into chapters, each made a document of its own (as an EPUB's chapters are).
 */
export function mobi6Chapters(html: string): string[] {
  const bodyStart = html.search(/<body\b[^>]*>/i);
  const from = bodyStart < 0 ? 0 : html.indexOf('>', bodyStart) + 1;
  const bodyEnd = html.lastIndexOf('</body');
  const body = html.slice(from, bodyEnd < from ? html.length : bodyEnd);
  return body.split(PAGE_BREAK).map((chapter) => `<html><body>${chapter}</body></html>`);
}
