import { NodeType, parse, type HTMLElement, type Node } from 'node-html-parser';
import { decodeText } from './decode-text.ts';
import { UnreadableDocumentError, type ExtractedDocument } from './types.ts';

const INVISIBLE = 'script, style, noscript, template, svg, head';

/**
 * Deepest element nesting we extract. node-html-parser builds the tree without
 * recursion, but its selectors and text walk recurse and overflow the stack at
 * about 3,500 levels; real pages stay far below this (browsers flatten beyond 512).
 */
export const MAX_HTML_DEPTH = 1_000;

/** The visible text of an HTML document (scripts, styles and head removed), block elements on their own lines. */
export function htmlToText(html: string): { text: string; title?: string; language?: string; authors?: string[] } {
  const root = parse(html, { blockTextElements: { script: false, style: false, noscript: false, pre: true } });
  // Refuse hostile nesting up front: a stack overflow would be retried as if it were transient.
  if (deeperThan(root, MAX_HTML_DEPTH)) throw new UnreadableDocumentError('corrupt_file', `HTML nested deeper than ${MAX_HTML_DEPTH} levels`);
  const title = root.querySelector('title')?.text.trim() || undefined;
  const language = root.querySelector('html')?.getAttribute('lang') || undefined;
  const author = root.querySelector('meta[name="author"]')?.getAttribute('content');
  for (const element of root.querySelectorAll(INVISIBLE)) element.remove();
  const body = (root.querySelector('body') ?? root) as HTMLElement;
  // structuredText puts block elements on separate lines; decode entities once more for stragglers.
  const text = body.structuredText.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  return { text, title, language, authors: author ? [author] : undefined };
}

/** Whether any element is nested more than `limit` levels deep (`<html>` is level 1); an explicit stack, so this walk cannot overflow. */
function deeperThan(root: Node, limit: number): boolean {
  const pending: [Node, number][] = [[root, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (depth > limit) return true;
    for (const child of node.childNodes) if (child.nodeType === NodeType.ELEMENT_NODE) pending.push([child, depth + 1]);
  }
  return false;
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
