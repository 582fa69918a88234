import { UnreadableDocumentError } from './types.ts';

/**
 * Deepest element nesting we extract (`<html>` is level 1). htmlparser2, under
 * linkedom and html-to-text, keeps its open-element stack in an array it shifts
 * on every tag, so parsing takes time proportional to size × depth (200,000
 * levels take minutes), and html-to-text walks the tree recursively. Real pages
 * stay far below this (browsers flatten beyond 512).
 */
export const MAX_HTML_DEPTH = 1_000;

// The tag rules of htmlparser2 (the parser linkedom uses), so this count matches the tree it will build.
const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'basefont',
  'br',
  'col',
  'command',
  'embed',
  'frame',
  'hr',
  'img',
  'input',
  'isindex',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
const RAW_TEXT_ELEMENTS = new Set(['script', 'style', 'title', 'textarea', 'xmp']);
const FOREIGN_ELEMENTS = new Set(['svg', 'math']);
const closesP = new Set(['p']);
const closesForm = new Set(['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea']);
const OPEN_IMPLIES_CLOSE = new Map<string, Set<string>>([
  ['tr', new Set(['tr', 'th', 'td'])],
  ['th', new Set(['th'])],
  ['td', new Set(['thead', 'th', 'td'])],
  ['body', new Set(['head', 'link', 'script'])],
  ['li', new Set(['li'])],
  ['option', new Set(['option'])],
  ['optgroup', new Set(['optgroup', 'option'])],
  ['dd', new Set(['dd', 'dt'])],
  ['dt', new Set(['dd', 'dt'])],
  ['rt', new Set(['rt', 'rp'])],
  ['rp', new Set(['rt', 'rp'])],
  ['tbody', new Set(['thead', 'tbody'])],
  ['tfoot', new Set(['thead', 'tbody'])],
  ...['select', 'input', 'output', 'button', 'datalist', 'textarea'].map((name): [string, Set<string>] => [
    name,
    closesForm,
  ]),
  ...[
    'p',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'address',
    'article',
    'aside',
    'blockquote',
    'details',
    'div',
    'dl',
    'fieldset',
    'figcaption',
    'figure',
    'footer',
    'form',
    'header',
    'hr',
    'main',
    'nav',
    'ol',
    'pre',
    'section',
    'table',
    'ul',
  ].map((name): [string, Set<string>] => [name, closesP]),
]);

const MARKUP = /<(\/?)([a-zA-Z][^\s/>]*)|<!--|<!\[CDATA\[|<[!?]/g;

/**
 * Refuses HTML nested deeper than MAX_HTML_DEPTH before any parser sees it, as a
 * non-retryable corrupt_file: a stack overflow or a parse of minutes would be
 * retried as if it were transient. One pass over the raw markup with an explicit
 * stack of open elements (never deeper than the limit), so it is linear and
 * cannot overflow itself.
 */
export function assertHtmlDepthWithinLimit(html: string): void {
  const open: string[] = [];
  const openCount = new Map<string, number>();
  let foreignDepth = 0;
  const push = (name: string) => {
    open.push(name);
    openCount.set(name, (openCount.get(name) ?? 0) + 1);
    if (FOREIGN_ELEMENTS.has(name)) foreignDepth++;
    if (open.length > MAX_HTML_DEPTH)
      throw new UnreadableDocumentError('corrupt_file', `HTML nested deeper than ${MAX_HTML_DEPTH} levels`);
  };
  const pop = () => {
    const name = open.pop()!;
    openCount.set(name, openCount.get(name)! - 1);
    if (FOREIGN_ELEMENTS.has(name)) foreignDepth--;
    return name;
  };

  MARKUP.lastIndex = 0;
  for (let match = MARKUP.exec(html); match; match = MARKUP.exec(html)) {
    const [token, slash, rawName] = match;
    if (!rawName) {
      // A comment, CDATA section, doctype or processing instruction: skip to its end.
      const terminator = token === '<!--' ? '-->' : token === '<![CDATA[' ? ']]>' : '>';
      const end = html.indexOf(terminator, MARKUP.lastIndex);
      if (end < 0) return;
      MARKUP.lastIndex = end + terminator.length;
      continue;
    }
    const tagEnd = endOfTag(html, MARKUP.lastIndex);
    if (tagEnd < 0) return; // an unterminated tag or quote swallows the rest of the document
    MARKUP.lastIndex = tagEnd + 1;
    const name = rawName.toLowerCase();
    if (VOID_ELEMENTS.has(name)) continue;
    if (slash) {
      if (openCount.get(name)) while (pop() !== name);
      continue;
    }
    const implied = OPEN_IMPLIES_CLOSE.get(name);
    if (implied) while (open.length > 0 && implied.has(open[open.length - 1])) pop();
    // Like htmlparser2, `<x/>` closes itself only inside svg or math.
    if (html[tagEnd - 1] === '/' && foreignDepth > 0) continue;
    push(name);
    if (RAW_TEXT_ELEMENTS.has(name)) {
      // Script, style, title...: their text is not markup; the closing tag is matched by the main loop.
      const closing = new RegExp(`</${name}`, 'gi');
      closing.lastIndex = MARKUP.lastIndex;
      if (!closing.exec(html)) return;
      MARKUP.lastIndex = closing.lastIndex - name.length - 2;
    }
  }
}

/** The index of the `>` ending a tag whose attributes start at `from` (quoted attribute values may contain `>`), or -1. */
function endOfTag(html: string, from: number): number {
  for (let i = from; i < html.length; i++) {
    const char = html[i];
    if (char === '>') return i;
    if (char !== '=') continue;
    let valueStart = i + 1;
    while (valueStart < html.length && /\s/.test(html[valueStart])) valueStart++;
    const quote = html[valueStart];
    if (quote !== '"' && quote !== "'") continue;
    const valueEnd = html.indexOf(quote, valueStart + 1);
    if (valueEnd < 0) return -1;
    i = valueEnd;
  }
  return -1;
}
