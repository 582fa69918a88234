import { decodeText } from './decode-text.ts';
import { assertHtmlDepthWithinLimit } from './html-depth.ts';
import { parseHtmlDocument, type HtmlDocument } from './html-dom.ts';
import { mainContent, removeHiddenAndBoilerplate } from './html-main-content.ts';
import { renderText } from './html-render.ts';
import { type ExtractedDocument } from './types.ts';

export { MAX_HTML_DEPTH } from './html-depth.ts';

/**
 * The readable text of an HTML (or XHTML) document: its main content without site
 * navigation, sidebars, scripts or markup; blocks on their own lines, words apart
 * where inline tags meet, code listings verbatim. Title from <title> (else the
 * first <h1>), language from <html lang>, author from <meta name="author">.
 * Pure: parses with linkedom, picks the content (html-main-content.ts) and renders
 * it with html-to-text (html-render.ts).
 */
export function htmlToText(html: string): { text: string; title?: string; language?: string; authors?: string[] } {
  const markup = isXhtml(html) ? expandSelfClosingTags(html) : html;
  // Refuse hostile nesting before parsing: the parser's time grows with depth, and a stack overflow would be retried as transient.
  assertHtmlDepthWithinLimit(markup);
  const document = parseHtmlDocument(markup);
  const { title, language, authors } = documentProperties(document);
  removeHiddenAndBoilerplate(document);
  return { text: renderText(mainContent(document)), title, language, authors };
}

/**
 * The text of HTML that is all content, mammoth's rendering of a Word document:
 * no main content to choose, no chrome to drop, and tags never fall between words
 * (they mark Word's runs, which split words), so they add no spaces.
 */
export function wordHtmlToText(html: string): string {
  assertHtmlDepthWithinLimit(html);
  const document = parseHtmlDocument(`<html><body>${html}</body></html>`);
  return renderText(document.body ?? document.documentElement, { inlineBoundariesAreSpaces: false });
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

/** XHTML (EPUB chapters, DocBook output) declares itself in its first bytes. */
const isXhtml = (html: string) =>
  /^\s*<\?xml\b|xmlns\s*=\s*["']http:\/\/www\.w3\.org\/1999\/xhtml["']/i.test(html.slice(0, 4096));

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

export function extractHtml(bytes: Uint8Array): ExtractedDocument {
  const { text: html, encoding } = decodeText(bytes);
  const { text, title, language, authors } = htmlToText(html);
  return {
    format: 'html',
    sections: [{ text, page: null }],
    pageCount: null,
    pageUnit: null,
    properties: { title, language, authors },
    encoding,
  };
}
