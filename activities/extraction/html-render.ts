import { compile, type FormatCallback } from 'html-to-text';
import { NODE_TYPE, type HtmlElement, type HtmlNode } from './html-dom.ts';

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

function needsSpace(before: string, after: string): boolean {
  const last = before[before.length - 1];
  const first = after[0];
  if (/\s/.test(last) || /\s/.test(first)) return false;
  if (NO_SPACE_BEFORE.test(first) || NO_SPACE_AFTER.test(last)) return false;
  return !(UNSPACED_SCRIPT.test(last) && UNSPACED_SCRIPT.test(first));
}

/** Table cells on one line per row, separated by " | ": readable, and no padding that grows with the widest cell. */
const tableCell: FormatCallback = (elem, walk, builder) => {
  // html-to-text's DomNode type leaves out htmlparser2's sibling links.
  type Sibling = { type: string; prev: Sibling | null };
  let previous = (elem as unknown as Sibling).prev;
  while (previous && previous.type !== 'tag') previous = previous.prev;
  if (previous) builder.addInline(' | ');
  walk(elem.children, builder);
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

/**
 * The text of an element: block boundaries as line breaks, code without its markup,
 * and inline boundaries as spaces unless `inlineBoundariesAreSpaces` is false (for
 * HTML rendered from a Word document, whose runs split words: "Spl<em>it</em>").
 */
export function renderText(element: HtmlElement, { inlineBoundariesAreSpaces = true } = {}): string {
  inlineTableCellBlocks(element);
  if (inlineBoundariesAreSpaces) spaceInlineBoundaries(element);
  return render(element.outerHTML)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
