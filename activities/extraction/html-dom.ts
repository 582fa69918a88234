import { DOMParser } from 'linkedom';

/*
 * The part of the DOM the HTML extraction uses. linkedom's own typings refer to the
 * DOM lib, which this project does not load, so they would type everything as any.
 */
export interface HtmlNode {
  readonly nodeType: number;
  textContent: string | null;
  readonly nextSibling: HtmlNode | null;
  readonly childNodes: ArrayLike<HtmlNode> & Iterable<HtmlNode>;
  remove(): void;
}

export interface HtmlElement extends HtmlNode {
  readonly localName: string;
  readonly outerHTML: string;
  readonly parentElement: HtmlElement | null;
  readonly ownerDocument: HtmlDocument;
  append(...nodes: HtmlNode[]): void;
  prepend(...nodes: (HtmlNode | string)[]): void;
  replaceWith(...nodes: HtmlNode[]): void;
  getAttribute(name: string): string | null;
  closest(selectors: string): HtmlElement | null;
  querySelector(selectors: string): HtmlElement | null;
  querySelectorAll(selectors: string): ArrayLike<HtmlElement> & Iterable<HtmlElement>;
}

export interface HtmlDocument {
  readonly documentElement: HtmlElement;
  readonly body: HtmlElement | null;
  querySelector(selectors: string): HtmlElement | null;
  querySelectorAll(selectors: string): ArrayLike<HtmlElement> & Iterable<HtmlElement>;
  cloneNode(deep: true): HtmlDocument;
  createElement(tagName: string): HtmlElement;
}

export const NODE_TYPE = { element: 1, text: 3, comment: 8 } as const;

/** Parses HTML with linkedom: a light DOM built by htmlparser2, tolerant of broken markup like a browser. */
export function parseHtmlDocument(markup: string): HtmlDocument {
  return new DOMParser().parseFromString(markup, 'text/html') as unknown as HtmlDocument;
}
