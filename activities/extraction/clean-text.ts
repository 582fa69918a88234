import type { HeadingMark } from './types.ts';

/**
 * Code points that cannot or should not be stored as text: NUL (PostgreSQL's
 * text type refuses it: "invalid byte sequence for encoding UTF8: 0x00"), the
 * other C0/C1 control characters but tab, line feed, carriage return and form
 * feed, lone UTF-16 surrogates (not encodable as UTF-8) and the
 * noncharacters U+FFFE/U+FFFF. pdf.js returns such code points for fonts
 * whose ToUnicode maps are broken, often where the space glyph should be.
 */
const UNSTORABLE =
  /[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The text without unstorable code points, and how many were removed. A
 * control character becomes a space (words it separated stay apart); a lone
 * surrogate or a noncharacter goes.
 */
export function cleanText(text: string): { text: string; removed: number } {
  let removed = 0;
  const cleaned = text.replace(UNSTORABLE, (found) => {
    removed++;
    return found.charCodeAt(0) <= 0x9f ? ' ' : '';
  });
  return { text: cleaned, removed };
}

/**
 * A section cleaned as cleanText does, its heading marks moved back by the code
 * points removed before them, and their paths cleaned too (they are stored as
 * JSON, which PostgreSQL refuses with a NUL).
 */
export function cleanSection<Section extends { text: string; headings?: HeadingMark[] }>(
  section: Section,
): { section: Section; removed: number } {
  if (!section.headings?.length) {
    const { text, removed } = cleanText(section.text);
    return { section: { ...section, text }, removed };
  }
  let removed = 0;
  const gone: number[] = []; // offsets (in the original text) of code points dropped, in order
  const text = section.text.replace(UNSTORABLE, (found: string, at: number) => {
    removed++;
    if (found.charCodeAt(0) <= 0x9f) return ' ';
    gone.push(at);
    return '';
  });
  let g = 0;
  const headings = section.headings.map((mark) => {
    while (g < gone.length && gone[g] < mark.offset) g++;
    return { offset: mark.offset - g, path: mark.path.map((name) => cleanText(name).text) };
  });
  return { section: { ...section, text, headings }, removed };
}
