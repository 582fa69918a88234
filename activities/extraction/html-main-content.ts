import { Readability } from '@mozilla/readability';
import type { HtmlDocument, HtmlElement } from './html-dom.ts';

/** Never text: code, styles, metadata, graphics, form controls, and what the page itself hides. */
const INVISIBLE =
  'script, style, noscript, template, head, svg, canvas, iframe, object, select, button, input, [hidden], [aria-hidden="true"]';

/**
 * Site chrome repeated on every page: landmarks for navigation, search, banners and
 * sidebars; Sphinx (.related, .sphinxsidebar, .footer, ¶ header links) and DocBook
 * (.navheader, .navfooter) navigation, which carry no landmark role.
 */
const BOILERPLATE =
  'nav, aside, [role="navigation"], [role="search"], [role="banner"], [role="contentinfo"], [role="complementary"], ' +
  '.related, .sphinxsidebar, .footer, a.headerlink, .navheader, .navfooter, header, footer';

/** Where a page's header/footer belongs to a piece of content rather than to the site (the HTML spec's banner/contentinfo rule). */
const SECTIONING = 'article, main, section, [role="main"]';
/** EPUB footnotes are asides too, but content. */
const NOTE_TYPES = /\b(?:footnote|endnote|rearnote|note)\b/;
export const SKIP_LINK =
  /^\s*(?:skip|jump)\s+to\s+(?:the\s+)?(?:main\s+)?(?:content|navigation|text)\b|^\s*skip\s+navigation\b/i;

/** Below this share of the page's text, a chosen region has missed the content (measured on real docs pages). */
const MIN_SHARE_OF_PAGE = 0.3;
/** A page without landmarks whose text is mostly links is a portal or article page wrapped in menus: let Readability find the article. */
const LINK_HEAVY = 0.5;
/** Readability runs several passes over the tree; past this size the stripped page is kept as is. */
const READABILITY_MAX_ELEMENTS = 20_000;

/** Removes what is never visible, then site chrome (navigation, sidebars, banners, footers, skip links). Mutates `document`. */
export function removeHiddenAndBoilerplate(document: HtmlDocument): void {
  for (const element of document.querySelectorAll(INVISIBLE)) element.remove();
  for (const element of document.querySelectorAll(BOILERPLATE)) {
    const tag = element.localName;
    if ((tag === 'header' || tag === 'footer') && element.parentElement?.closest(SECTIONING)) continue;
    if (tag === 'aside' && NOTE_TYPES.test(element.getAttribute('epub:type') ?? '')) continue;
    element.remove();
  }
  for (const link of document.querySelectorAll('a[href^="#"]'))
    if (SKIP_LINK.test(link.textContent ?? '')) link.remove();
}

/**
 * The element holding the page's main content, after removeHiddenAndBoilerplate:
 * the `main` landmark (or the only `article`) when there is one and it holds a fair
 * share of the page's text; otherwise the whole body, except on link-heavy pages
 * without landmarks, where Readability's article is taken when it keeps a fair share.
 * Readability is not the first choice: on docs pages it drops SQL synopses, chapter
 * tables of contents and "See also" lists (PostgreSQL), and misses index pages whole.
 */
export function mainContent(document: HtmlDocument): HtmlElement {
  const body: HtmlElement = document.body ?? document.documentElement;
  const pageText = visibleLength(body);
  const landmark = document.querySelector('main, [role="main"]') ?? onlyArticle(document);
  if (landmark && visibleLength(landmark) >= MIN_SHARE_OF_PAGE * pageText) return landmark;
  if (linkTextLength(body) < LINK_HEAVY * pageText) return body;
  const article = readabilityArticle(document);
  return article && visibleLength(article) >= MIN_SHARE_OF_PAGE * pageText ? article : body;
}

function onlyArticle(document: HtmlDocument): HtmlElement | null {
  const articles = document.querySelectorAll('article');
  return articles.length === 1 ? articles[0] : null;
}

function readabilityArticle(document: HtmlDocument): HtmlElement | null {
  if (document.querySelectorAll('*').length > READABILITY_MAX_ELEMENTS) return null;
  // Readability rewrites the tree it reads: give it a copy.
  const copy = document.cloneNode(true);
  const article = new Readability<HtmlElement>(copy as never, {
    serializer: (node) => node as unknown as HtmlElement,
  }).parse();
  return article?.content ?? null;
}

const visibleLength = (element: HtmlElement) => (element.textContent ?? '').replace(/\s+/g, '').length;

function linkTextLength(element: HtmlElement): number {
  let length = 0;
  for (const link of element.querySelectorAll('a')) length += visibleLength(link);
  return length;
}
