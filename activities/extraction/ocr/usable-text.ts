/**
 * Fewer visible characters than this on a page: its text layer is not what
 * the page shows (a scan with at most a stray page number or a stamp).
 */
export const MIN_PAGE_CHARACTERS = 20;

/**
 * A font without a Unicode map gives code points that are no text: private
 * use, unassigned, surrogates, or the replacement character. At this share of
 * the visible characters, the page is garbage. Control characters are left to
 * the share below: a broken map that puts a NUL between good words is text
 * once cleaned, while control characters among punctuation fail that share.
 */
export const MAX_GARBAGE_SHARE = 0.1;
const GARBAGE = /[\p{Co}\p{Cn}\p{Cs}\uFFFD]/gu;

/**
 * Below this share of letters and digits (leader dots and rules aside), a
 * page's text is garbage mapped to punctuation. Leaders are left out so a
 * table of contents ("Footnotes . . . . . 12") counts as the text it is: on
 * the real corpus (14,677 TeX Live and Debian PDF pages) counting them sent
 * about 100 more pages to OCR, most of them contents and index pages.
 */
export const MIN_WORD_CHARACTER_SHARE = 0.5;
const LEADERS = /[.\u00B7\u2026\u22EF_-]/gu;

/** Whether a page's text layer can be used as its text; if not, the page is OCR'd. */
export function isUsablePageText(text: string): boolean {
  const visible = text.replace(/\s+/gu, '');
  if (visible.length < MIN_PAGE_CHARACTERS) return false;
  const garbage = visible.match(GARBAGE)?.length ?? 0;
  if (garbage / visible.length >= MAX_GARBAGE_SHARE) return false;
  const withoutLeaders = visible.replace(LEADERS, '');
  const wordCharacters = withoutLeaders.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
  return wordCharacters / Math.max(1, withoutLeaders.length) >= MIN_WORD_CHARACTER_SHARE;
}
