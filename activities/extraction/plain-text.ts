import { decodeText } from './decode-text.ts';
import { windowOf, type TextSink } from './text-window.ts';
import type { ExtractedDocument, HeadingMark, PageRange } from './types.ts';

/** A heading's text longer than this is cut in its path. */
const MAX_HEADING_CHARS = 200;
const ATX_HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * txt and md: the decoded text, or the range of its characters asked for; a
 * markdown file's `#` and underlined headings (outside code fences) are its
 * heading marks, and its first `# heading` its title. Tables stay as written
 * (`| a | b |` rows).
 */
export function extractPlainText(
  bytes: Uint8Array,
  format: 'text' | 'markdown',
  range?: PageRange,
  tee?: TextSink,
): ExtractedDocument {
  const { text, encoding } = decodeText(bytes);
  const normalised = text.replace(/\r\n?/g, '\n');
  const headings = format === 'markdown' ? markdownHeadings(normalised) : [];
  const windowed = windowOf({ text: normalised, headings }, range, tee);
  return {
    format,
    sections: [{ text: windowed.text, page: null, headings: windowed.headings }],
    pageCount: null,
    pageUnit: null,
    extent: windowed.extent,
    properties: titleOf(normalised),
    encoding,
  };
}

/** The first `# heading`: a markdown file's title (as before heading marks existed). */
function titleOf(text: string): { title?: string } {
  const heading = /^#\s+(.+)$/m.exec(text)?.[1]?.trim();
  return heading ? { title: heading } : {};
}

/** Where each heading of a markdown text starts, with its path (a heading closes the deeper ones before it). One pass over the lines. */
export function markdownHeadings(text: string): HeadingMark[] {
  const marks: HeadingMark[] = [];
  const open: { level: number; text: string }[] = [];
  let fence: string | null = null;
  let previous: { start: number; line: string } | null = null;
  const add = (offset: number, level: number, title: string) => {
    const clean = title.replace(/\s+/g, ' ').trim().slice(0, MAX_HEADING_CHARS);
    if (clean === '') return;
    while (open.length > 0 && open[open.length - 1].level >= level) open.pop();
    open.push({ level, text: clean });
    marks.push({ offset, path: open.map((entry) => entry.text) });
  };
  for (let start = 0; start < text.length;) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const line = text.slice(start, end);
    const fenceMatch = FENCE.exec(line);
    if (fence) {
      if (fenceMatch && fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length) fence = null;
      previous = null;
    } else if (fenceMatch) {
      fence = fenceMatch[1];
      previous = null;
    } else {
      const atx = ATX_HEADING.exec(line);
      const setext = SETEXT_UNDERLINE.exec(line);
      if (atx) {
        add(start + line.indexOf(atx[1]), atx[1].length, atx[2]);
        previous = null;
      } else if (setext && previous && /\S/.test(previous.line) && !/^\s*(?:[-*+>|]|\d+\.)/.test(previous.line)) {
        add(
          previous.start + (previous.line.length - previous.line.trimStart().length),
          setext[1][0] === '=' ? 1 : 2,
          previous.line,
        );
        previous = null;
      } else previous = { start, line };
    }
    start = end + 1;
  }
  return marks;
}
