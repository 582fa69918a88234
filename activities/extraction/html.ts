import { parse, type HTMLElement } from 'node-html-parser';
import { decodeText } from './decode-text.ts';
import type { ExtractedDocument } from './types.ts';

const INVISIBLE = 'script, style, noscript, template, svg, head';

/** The visible text of an HTML document (scripts, styles and head removed), block elements on their own lines. */
export function htmlToText(html: string): { text: string; title?: string; language?: string; authors?: string[] } {
  const root = parse(html, { blockTextElements: { script: false, style: false, noscript: false, pre: true } });
  const title = root.querySelector('title')?.text.trim() || undefined;
  const language = root.querySelector('html')?.getAttribute('lang') || undefined;
  const author = root.querySelector('meta[name="author"]')?.getAttribute('content');
  for (const element of root.querySelectorAll(INVISIBLE)) element.remove();
  const body = (root.querySelector('body') ?? root) as HTMLElement;
  // structuredText puts block elements on separate lines; decode entities once more for stragglers.
  const text = body.structuredText.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  return { text, title, language, authors: author ? [author] : undefined };
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
