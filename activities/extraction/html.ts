import { decodeInPieces, decodeText } from './decode-text.ts';
import { assertHtmlDepthWithinLimit } from './html-depth.ts';
import { parseHtmlDocument, type HtmlDocument } from './html-dom.ts';
import { mainContent, removeHiddenAndBoilerplate } from './html-main-content.ts';
import { renderText, withoutMarkerCharacters } from './html-render.ts';
import { isXhtml, streamHtmlText } from './html-stream.ts';
import { windowOf, type TextSink } from './text-window.ts';
import type { ExtractedDocument, HeadingMark, PageRange } from './types.ts';

export { MAX_HTML_DEPTH } from './html-depth.ts';

/**
 * The readable text of an HTML (or XHTML) document: its main content without site
 * navigation, sidebars, scripts or markup; blocks on their own lines, words apart
 * where inline tags meet, code listings verbatim. Title from <title> (else the
 * first <h1>), language from <html lang>, author from <meta name="author">.
 * Pure: parses with linkedom, picks the content (html-main-content.ts) and renders
 * it with html-to-text (html-render.ts).
 */
export function htmlToText(html: string): {
  text: string;
  headings: HeadingMark[];
  title?: string;
  language?: string;
  authors?: string[];
} {
  const markup = withoutMarkerCharacters(isXhtml(html) ? expandSelfClosingTags(html) : html);
  // Refuse hostile nesting before parsing: the parser's time grows with depth, and a stack overflow would be retried as transient.
  assertHtmlDepthWithinLimit(markup);
  const document = parseHtmlDocument(markup);
  const { title, language, authors } = documentProperties(document);
  removeHiddenAndBoilerplate(document);
  return { ...renderText(mainContent(document)), title, language, authors };
}

/**
 * The text of HTML that is all content, mammoth's rendering of a Word document:
 * no main content to choose, no chrome to drop, and tags never fall between words
 * (they mark Word's runs, which split words), so they add no spaces.
 */
export function wordHtmlToText(
  html: string,
  {
    range,
    domMaxChars = Number.POSITIVE_INFINITY,
    tee,
  }: { range?: PageRange; domMaxChars?: number; tee?: TextSink } = {},
): { text: string; headings: HeadingMark[]; extent: number } {
  if (html.length > domMaxChars) return streamHtmlText([html], { range, tee, inlineBoundariesAreSpaces: false });
  const markup = withoutMarkerCharacters(html);
  assertHtmlDepthWithinLimit(markup);
  const document = parseHtmlDocument(`<html><body>${markup}</body></html>`);
  return windowOf(
    renderText(document.body ?? document.documentElement, { inlineBoundariesAreSpaces: false }),
    range,
    tee,
  );
}

function documentProperties(document: HtmlDocument): { title?: string; language?: string; authors?: string[] } {
  const clean = (text: string | null | undefined) => text?.replace(/\s+/g, ' ').trim() || undefined;
  const root = document.documentElement;
  const title = clean(document.querySelector('title')?.textContent) ?? clean(document.querySelector('h1')?.textContent);
  const language =
    clean(root?.getAttribute('lang')) ??
    clean(root?.getAttribute('xml:lang')) ??
    clean(document.body?.getAttribute('lang'));
  const author = clean(document.querySelector('meta[name="author"]')?.getAttribute('content'));
  return { title, language, authors: author ? [author] : undefined };
}

const VOID_ELEMENTS = /^(?:area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr)$/i;

/**
 * `<a id="x"/>` and `<script src="..."/>` are empty elements in XHTML, but an HTML
 * parser opens them, swallowing the rest of the chapter into a link or a script.
 * Writes them as open + close tags. Linear: each match stops at the next `<` or `>`.
 */
function expandSelfClosingTags(xhtml: string): string {
  return xhtml.replace(/<([a-zA-Z][\w:.-]*)(\s[^<>]*?)?\/>/g, (tag, name: string, attributes = '') =>
    VOID_ELEMENTS.test(name) ? tag : `<${name}${attributes}></${name}>`,
  );
}

/**
 * An HTML file's text, or the range of its characters asked for. Up to
 * `domMaxBytes` it is parsed into a DOM (the main content chosen, html.ts);
 * above, it is streamed (html-stream.ts): memory then follows the range, not the file.
 */
export function extractHtml(
  bytes: Uint8Array,
  {
    range,
    domMaxBytes = Number.POSITIVE_INFINITY,
    tee,
  }: { range?: PageRange; domMaxBytes?: number; tee?: TextSink } = {},
): ExtractedDocument {
  if (bytes.length > domMaxBytes) {
    const { pieces, encoding } = decodeInPieces(bytes);
    const { text, headings, extent, title, language, authors } = streamHtmlText(pieces, { range, tee });
    return htmlDocument(text, headings, extent, { title, language, authors }, encoding);
  }
  const { text: html, encoding } = decodeText(bytes);
  const { title, language, authors, ...rendered } = htmlToText(html);
  const { text, headings, extent } = windowOf(rendered, range, tee);
  return htmlDocument(text, headings, extent, { title, language, authors }, encoding);
}

function htmlDocument(
  text: string,
  headings: HeadingMark[],
  extent: number,
  properties: ExtractedDocument['properties'],
  encoding: string,
): ExtractedDocument {
  return {
    format: 'html',
    sections: [{ text, page: null, headings }],
    pageCount: null,
    pageUnit: null,
    extent,
    properties,
    encoding,
  };
}
