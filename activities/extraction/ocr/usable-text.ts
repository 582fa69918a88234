/**
 * Fewer visible characters than this on a page: its text layer is not what
 * the page shows (a scan with at most a stray page number or a stamp).
 */
export const MIN_PAGE_CHARACTERS = 20;

/**
 * Below this share of letters and digits among its visible characters, a
 * page's text is glyph garbage: a font without a Unicode map gives private-use
 * code points, replacement characters, or control characters.
 */
export const MIN_WORD_CHARACTER_SHARE = 0.5;

/** Whether a page's text layer can be used as its text; if not, the page is OCR'd. */
export function isUsablePageText(text: string): boolean {
  const visible = text.replace(/\s+/gu, '');
  if (visible.length < MIN_PAGE_CHARACTERS) return false;
  const wordCharacters = visible.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
  return wordCharacters / visible.length >= MIN_WORD_CHARACTER_SHARE;
}
