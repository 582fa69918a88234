import { Parser, type Handler } from 'htmlparser2';
import { MAX_HTML_DEPTH } from './html-depth.ts';
import { SKIP_LINK } from './html-main-content.ts';
import { needsSpace } from './html-render.ts';
import { TextWindow, type TextSink } from './text-window.ts';
import { UnreadableDocumentError, type HeadingMark, type PageRange } from './types.ts';

// The streaming reader of big HTML: htmlparser2's tokenizer, no tree. It keeps
// what the DOM reader (html.ts) keeps, but as it goes: what is never visible
// and site chrome are dropped by tag and attributes, blocks become lines,
// tables rows of cells, headings marks. It cannot weigh regions against each
// other (no main-content choice, no Readability): for pages too big for a DOM.

/** Never text (as html-main-content.ts INVISIBLE). */
const INVISIBLE = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'head',
  'svg',
  'canvas',
  'iframe',
  'object',
  'select',
  'button',
  'input',
]);
/** Site chrome (as html-main-content.ts BOILERPLATE): landmarks, and Sphinx and DocBook navigation by class. */
const CHROME_TAGS = new Set(['nav', 'aside']);
const CHROME_ROLES = new Set(['navigation', 'search', 'banner', 'contentinfo', 'complementary']);
const CHROME_CLASSES = /(?:^|\s)(?:related|sphinxsidebar|footer|navheader|navfooter)(?:\s|$)/;
const SECTIONING = new Set(['article', 'main', 'section']);
const NOTE_TYPES = /\b(?:footnote|endnote|rearnote|note)\b/;
const PREFORMATTED = new Set(['pre', 'textarea', 'listing', 'xmp', 'plaintext']);
/** Blocks and the blank lines around them (1: own line, 2: a blank line before and after). */
const BLOCKS = new Map<string, number>([
  ...['p', 'pre', 'blockquote', 'table', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((name): [string, number] => [name, 2]),
  ...[
    'div',
    'ul',
    'ol',
    'li',
    'dl',
    'dt',
    'dd',
    'section',
    'article',
    'main',
    'header',
    'footer',
    'figure',
    'figcaption',
    'address',
    'hr',
    'details',
    'summary',
    'fieldset',
    'legend',
    'caption',
    'center',
    'hgroup',
    'dialog',
    'form',
    'tr',
    'thead',
    'tbody',
    'tfoot',
    'body',
  ].map((name): [string, number] => [name, 1]),
]);
const HEADING = /^h([1-6])$/;
const MAX_HEADING_CHARS = 200;

export interface StreamedHtml {
  text: string;
  headings: HeadingMark[];
  /** Characters of the whole document's text (its extent in a range unit of characters). */
  extent: number;
  title?: string;
  language?: string;
  authors?: string[];
}

interface Open {
  name: string;
  /** This element hides what is inside it. */
  hides: boolean;
  /** Cells written so far, for a table row. */
  cells: number;
  /** Items so far, for an ordered list. */
  items: number;
}

/**
 * The readable text of an HTML document read piece by piece, with where its
 * h1–h6 headings start; only `range` (characters of the text) is kept, so
 * memory follows the range and the parser's small state, not the file.
 * `inlineBoundariesAreSpaces`: as renderText (false for Word's HTML).
 */
export function streamHtmlText(
  pieces: Iterable<string>,
  {
    range,
    tee,
    inlineBoundariesAreSpaces = true,
  }: { range?: PageRange; tee?: TextSink; inlineBoundariesAreSpaces?: boolean } = {},
): StreamedHtml {
  const window = new TextWindow(range, tee);
  const open: Open[] = [];
  const headings: { level: number; text: string }[] = [];
  let hidden = 0; // open elements that hide their content
  let sectioning = 0;
  let preformatted = 0;
  let cellDepth = 0;
  let heading: { level: number; text: string } | null = null;
  let title: string | undefined;
  let inTitle = false;
  let firstH1: string | undefined;
  let language: string | undefined;
  let authors: string[] | undefined;

  // The writer: line breaks are owed until text comes (none at the start, none at the end), spaces collapse.
  let written = false;
  let owedBreaks = 0;
  let owedSpace = false;
  let lastChar = '\n';
  /** Line breaks at the end of what was written (a <pre> may end with its own). */
  let trailingBreaks = 0;
  /** Just after a cell's "| ": like a line start, no space owed. */
  let atCellStart = false;
  let tagSinceText = false;
  /** An in-page link's text, held until it closes: a "Skip to content" link is dropped. */
  let inPageLink: { depth: number; text: string } | null = null;
  const emit = (text: string) => {
    if (text === '') return;
    window.push(text);
    lastChar = text[text.length - 1];
    const kept = text.replace(/\n+$/, '');
    trailingBreaks =
      kept.length === text.length ? 0 : kept.length === 0 ? trailingBreaks + text.length : text.length - kept.length;
    atCellStart = false;
  };
  const breaks = (count: number) => {
    if (cellDepth > 0) {
      owedSpace = written && lastChar !== '\n';
      return;
    }
    owedBreaks = Math.max(owedBreaks, count);
    owedSpace = false;
  };
  const settleBreaks = () => {
    if (owedBreaks > trailingBreaks && written) emit('\n'.repeat(owedBreaks - trailingBreaks));
    owedBreaks = 0;
  };
  const write = (raw: string) => {
    if (preformatted > 0) {
      if (raw === '') return;
      settleBreaks();
      if (owedSpace) emit(' ');
      owedSpace = false;
      emit(raw);
      written = true;
      return;
    }
    let text = raw.replace(/[ \t\n\r\f]+/g, ' ');
    if (text === '' || text === ' ') {
      if (text === ' ' && written && lastChar !== '\n' && owedBreaks === 0) owedSpace = true;
      return;
    }
    const leadingSpace = text.startsWith(' ');
    const trailingSpace = text.endsWith(' ');
    text = text.trim();
    settleBreaks();
    const lineStart = !written || lastChar === '\n' || atCellStart;
    if (
      !lineStart &&
      (owedSpace || leadingSpace || (inlineBoundariesAreSpaces && tagSinceText && needsSpace(lastChar, text[0])))
    )
      emit(' ');
    emit(text);
    written = true;
    owedSpace = trailingSpace;
    tagSinceText = false;
  };

  const handler: Partial<Handler> = {
    onopentag(name, attributes) {
      tagSinceText = true;
      const element: Open = { name, hides: hides(name, attributes, sectioning), cells: 0, items: 0 };
      open.push(element);
      if (open.length > MAX_HTML_DEPTH)
        throw new UnreadableDocumentError('corrupt_file', `HTML nested deeper than ${MAX_HTML_DEPTH} levels`);
      if (name === 'html') language = attributes.lang || attributes['xml:lang'] || language;
      if (name === 'body' && !language && attributes.lang) language = attributes.lang;
      if (name === 'meta' && attributes.name?.toLowerCase() === 'author' && attributes.content?.trim())
        authors = [attributes.content.trim()];
      if (name === 'title' && title === undefined) inTitle = true;
      if (name === 'a' && !inPageLink && attributes.href?.startsWith('#'))
        inPageLink = { depth: open.length, text: '' };
      if (SECTIONING.has(name)) sectioning++;
      if (element.hides) hidden++;
      if (hidden > 0) return;
      if (PREFORMATTED.has(name)) preformatted++;
      const level = HEADING.exec(name);
      if (level && !heading && cellDepth === 0) {
        heading = { level: Number(level[1]), text: '' };
        breaks(2);
        return;
      }
      if (name === 'br') {
        if (cellDepth > 0 || heading) owedSpace = true;
        else {
          settleBreaks();
          emit('\n');
        }
        return;
      }
      if (name === 'td' || name === 'th') {
        const row = open.findLast((entry) => entry.name === 'tr');
        settleBreaks();
        if (owedSpace) owedSpace = false;
        emit(row && row.cells > 0 ? ' | ' : '| ');
        written = true;
        atCellStart = true;
        if (row) row.cells++;
        cellDepth++;
        return;
      }
      if (name === 'li') {
        breaks(1);
        const list = open.findLast((entry) => entry.name === 'ol' || entry.name === 'ul');
        if (cellDepth === 0) {
          settleBreaks();
          emit(list?.name === 'ol' ? `${++list.items}. ` : '* ');
          written = true;
        }
        return;
      }
      const blankLines = BLOCKS.get(name);
      if (blankLines) breaks(blankLines);
    },
    ontext(text) {
      if (inTitle) title = (title ?? '') + text;
      if (hidden > 0) return;
      if (heading) heading.text += text;
      else if (inPageLink) inPageLink.text += text;
      else write(text);
    },
    onclosetag(name) {
      tagSinceText = true;
      const element = open.pop();
      if (!element) return;
      if (name === 'title') inTitle = false;
      if (inPageLink && open.length < inPageLink.depth) {
        const { text } = inPageLink;
        inPageLink = null;
        if (hidden === 0 && !SKIP_LINK.test(text)) write(text);
        tagSinceText = true;
      }
      if (SECTIONING.has(name)) sectioning--;
      if (element.hides) {
        hidden--;
        return;
      }
      if (hidden > 0) return;
      if (PREFORMATTED.has(name)) preformatted--;
      const level = HEADING.exec(name);
      if (level && heading && Number(level[1]) === heading.level) {
        closeHeading(heading);
        heading = null;
        return;
      }
      if (name === 'td' || name === 'th') {
        cellDepth--;
        owedSpace = false;
        return;
      }
      if (name === 'tr' && element.cells > 0) {
        emit(' |');
        breaks(1);
        return;
      }
      const blankLines = BLOCKS.get(name);
      if (blankLines) breaks(blankLines);
    },
  };

  function closeHeading({ level, text: raw }: { level: number; text: string }) {
    const text = raw.replace(/\s+/g, ' ').trim();
    if (text === '') return;
    if (level === 1 && firstH1 === undefined) firstH1 = text.slice(0, MAX_HEADING_CHARS);
    while (headings.length > 0 && headings[headings.length - 1].level >= level) headings.pop();
    headings.push({ level, text: text.slice(0, MAX_HEADING_CHARS) });
    breaks(2);
    settleBreaks();
    window.heading(headings.map((entry) => entry.text));
    emit(text);
    written = true;
    owedSpace = false;
    breaks(2);
  }

  let parser: Parser | undefined;
  for (const piece of pieces) {
    // XHTML (EPUB chapters, DocBook) writes empty elements as `<a id="x"/>`: closed, not opened.
    parser ??= new Parser(handler, {
      decodeEntities: true,
      lowerCaseTags: true,
      lowerCaseAttributeNames: true,
      recognizeSelfClosing: isXhtml(piece),
    });
    parser.write(piece);
  }
  parser?.end();
  const clean = (value: string | undefined) => value?.replace(/\s+/g, ' ').trim() || undefined;
  const { text, headings: marks } = window.result();
  return {
    text,
    headings: marks,
    extent: window.length,
    title: clean(title) ?? firstH1,
    language: clean(language),
    authors,
  };
}

/** XHTML declares itself in its first bytes. */
export const isXhtml = (start: string) =>
  /^\s*<\?xml\b|xmlns\s*=\s*["']http:\/\/www\.w3\.org\/1999\/xhtml["']/i.test(start.slice(0, 4096));

/** Whether an element hides what is inside it: invisible, hidden, or site chrome (a header or footer inside content is content). */
function hides(name: string, attributes: Record<string, string>, sectioning: number): boolean {
  if (INVISIBLE.has(name)) return true;
  if ('hidden' in attributes || attributes['aria-hidden'] === 'true') return true;
  if (CHROME_TAGS.has(name)) return !(name === 'aside' && NOTE_TYPES.test(attributes['epub:type'] ?? ''));
  if ((name === 'header' || name === 'footer') && sectioning === 0) return true;
  if (CHROME_ROLES.has(attributes.role ?? '')) return true;
  const classes = attributes.class ?? '';
  if (CHROME_CLASSES.test(classes)) return true;
  return name === 'a' && /(?:^|\s)headerlink(?:\s|$)/.test(classes);
}
