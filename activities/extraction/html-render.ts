import { compile, type FormatCallback } from 'html-to-text';
import { NODE_TYPE, type HtmlElement, type HtmlNode } from './html-dom.ts';
import type { HeadingMark } from './types.ts';

/** Elements whose text is kept exactly as written: code listings and the like. */
const PREFORMATTED = new Set(['pre', 'textarea', 'listing', 'xmp', 'plaintext']);
/** Where a space would be wrong even across a tag boundary: before closing and after opening punctuation. */
const NO_SPACE_BEFORE = /^[.,;:!?%)\]}»›”’'"…/\\-]/u;
const NO_SPACE_AFTER = /[([{«‹“‘'"/\\-]$/u;
/** Scripts written without spaces between words: a tag boundary there is no word boundary. */
const UNSPACED_SCRIPT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\u3000-\u303f\uff00-\uffef]/u;

/**
 * Puts a space where an inline element meets a word without one
 * (`the<code>open()</code>function` → "the open() function"), so words are not glued
 * where tags met; leaves text inside <pre> exactly as written, and punctuation and
 * unspaced scripts (Japanese, Chinese, Thai...) alone. One pass with an explicit stack.
 */
function spaceInlineBoundaries(root: HtmlElement): void {
  let previous: HtmlNode | null = null;
  const pending: HtmlNode[] = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.nodeType === NODE_TYPE.comment) {
      node.remove(); // `foo<!-- -->bar` is one word
      continue;
    }
    if (node.nodeType === NODE_TYPE.element) {
      if (PREFORMATTED.has((node as HtmlElement).localName)) {
        previous = null;
        continue;
      }
      const children = [...node.childNodes];
      for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]);
      continue;
    }
    if (node.nodeType !== NODE_TYPE.text) continue;
    const text = node.textContent ?? '';
    if (text === '') continue;
    // Adjacent text siblings (the parser splits text at entities) have no tag between them.
    if (previous && previous.nextSibling !== node && needsSpace(previous.textContent ?? '', text))
      node.textContent = ` ${text}`;
    previous = node;
  }
}

export function needsSpace(before: string, after: string): boolean {
  const last = before[before.length - 1];
  const first = after[0];
  if (/\s/.test(last) || /\s/.test(first)) return false;
  if (NO_SPACE_BEFORE.test(first) || NO_SPACE_AFTER.test(last)) return false;
  return !(UNSPACED_SCRIPT.test(last) && UNSPACED_SCRIPT.test(first));
}

/**
 * Table cells on one line per row, as a Markdown table row (`| a | b |`):
 * cells stay apart, and no padding grows with the widest cell.
 */
const tableCell: FormatCallback = (elem, walk, builder) => {
  // html-to-text's DomNode type leaves out htmlparser2's sibling links.
  type Sibling = { type: string; prev: Sibling | null; next: Sibling | null };
  const sibling = (from: Sibling | null, step: 'prev' | 'next') => {
    let node = from;
    while (node && node.type !== 'tag') node = node[step];
    return node;
  };
  const cell = elem as unknown as Sibling;
  builder.addInline(sibling(cell.prev, 'prev') ? ' | ' : '| ');
  walk(elem.children, builder);
  if (!sibling(cell.next, 'next')) builder.addInline(' |');
};

const block = (selector: string) => ({
  selector,
  format: 'block',
  options: { leadingLineBreaks: 1, trailingLineBreaks: 1 },
});

/**
 * html-to-text renders the cleaned tree: blocks on their own lines, whitespace
 * collapsed as a browser does, <pre> kept verbatim. No word wrapping, no link URLs,
 * no image placeholders, headings in their own case.
 */
const render = compile({
  wordwrap: false,
  // The guard in html-depth.ts bounds the depth; the input size is bounded by the upload limit: never truncate.
  limits: { maxInputLength: Number.MAX_SAFE_INTEGER },
  formatters: { tableCell },
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    { selector: 'table', format: 'block', options: { leadingLineBreaks: 2, trailingLineBreaks: 2 } },
    ...['thead', 'tbody', 'tfoot'].map(block),
    block('tr'),
    { selector: 'td', format: 'tableCell' },
    { selector: 'th', format: 'tableCell' },
    ...[
      'dl',
      'dt',
      'dd',
      'figure',
      'figcaption',
      'details',
      'summary',
      'address',
      'caption',
      'fieldset',
      'legend',
      'center',
      'hgroup',
      'dialog',
    ].map(block),
  ],
});

/** Docs generators wrap cell text in paragraphs (Sphinx: `<td><p>`): made inline, so a table row stays one line. */
function inlineTableCellBlocks(root: HtmlElement): void {
  for (const block of root.querySelectorAll('td p, th p, td div, th div')) {
    const span = block.ownerDocument.createElement('span');
    span.append(...block.childNodes);
    block.replaceWith(span);
  }
}

/** Private-use characters around a heading's number, put into the tree before rendering and taken out after (see markHeadings). */
const MARK_OPEN = '\uE000';
const MARK_CLOSE = '\uE001';
const MARKER = /\uE000(\d+)\uE001[ \t]*/g;
/** A heading's text longer than this is cut in its path (a paragraph styled as a heading). */
const MAX_HEADING_CHARS = 200;

/** Markup without the private-use characters the heading markers use, so a page cannot forge one. */
export const withoutMarkerCharacters = (markup: string) => markup.replace(/[\uE000\uE001]/g, '');

/**
 * Puts a numbered marker at the start of each h1–h6 under `root` and returns
 * each one's heading path (h1 > h2 > ...: a heading closes the deeper ones
 * before it), so the rendered text says where its headings start.
 */
function markHeadings(root: HtmlElement): string[][] {
  const paths: string[][] = [];
  const open: { level: number; text: string }[] = [];
  for (const heading of root.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const text = (heading.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_HEADING_CHARS);
    if (text === '') continue;
    const level = Number(heading.localName.slice(1));
    while (open.length > 0 && open[open.length - 1].level >= level) open.pop();
    open.push({ level, text });
    heading.prepend(`${MARK_OPEN}${paths.length}${MARK_CLOSE}`);
    paths.push(open.map((entry) => entry.text));
  }
  return paths;
}

/** The rendered text without its markers, and where each marked heading starts in it. */
function takeMarkers(rendered: string, paths: string[][]): { text: string; headings: HeadingMark[] } {
  const headings: HeadingMark[] = [];
  let removed = 0;
  const text = rendered.replace(MARKER, (marker: string, index: string, at: number) => {
    const path = paths[Number(index)];
    if (path) headings.push({ offset: at - removed, path });
    removed += marker.length;
    return '';
  });
  return { text, headings };
}

/**
 * The text of an element: block boundaries as line breaks, code without its markup,
 * tables as rows of cells, and inline boundaries as spaces unless
 * `inlineBoundariesAreSpaces` is false (for HTML rendered from a Word document,
 * whose runs split words: "Spl<em>it</em>"); with where its h1–h6 headings start.
 */
export function renderText(
  element: HtmlElement,
  { inlineBoundariesAreSpaces = true } = {},
): { text: string; headings: HeadingMark[] } {
  inlineTableCellBlocks(element);
  if (inlineBoundariesAreSpaces) spaceInlineBoundaries(element);
  const paths = markHeadings(element);
  const rendered = render(element.outerHTML)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return takeMarkers(rendered, paths);
}
