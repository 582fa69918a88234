import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chunkSections } from '../../activities/chunking/chunker.ts';
import { extractHtml, htmlToText } from '../../activities/extraction/html.ts';
import { streamHtmlText } from '../../activities/extraction/html-stream.ts';
import { RenderedTextCache } from '../../activities/extraction/rendered-cache.ts';
import { TextWindow, windowOf } from '../../activities/extraction/text-window.ts';
import type { HeadingMark } from '../../activities/extraction/types.ts';
import { bigSphinxPage, sphinxPage } from '../fixtures/messy-documents.ts';

/** A text of numbered lines, some of them headings, and its marks. */
function linesWithHeadings(count: number): { text: string; headings: HeadingMark[] } {
  const headings: HeadingMark[] = [];
  let text = '';
  for (let i = 0; i < count; i++) {
    if (i % 50 === 0) headings.push({ offset: text.length, path: ['Part', `Section ${i / 50}`] });
    // Every 97th line is far longer than the longest line searched for a boundary.
    text += i % 97 === 96 ? `${'long '.repeat(3_000)}\n` : `Line ${i} of the text.\n`;
  }
  return { text, headings };
}

/** The windows of `size` characters of a text, until its extent. */
function windows(source: { text: string; headings: HeadingMark[] }, size: number) {
  const out: { text: string; headings: HeadingMark[] }[] = [];
  for (let i = 0; i === 0 || i * size < source.text.length; i++)
    out.push(windowOf(source, { first: i * size + 1, last: (i + 1) * size }));
  return out;
}

describe('ranges of characters: windows that cut at line ends and add up to the text', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-window-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('consecutive windows join into the whole text, each starting on a line, with the heading path in effect', () => {
    const source = linesWithHeadings(2_000);
    for (const size of [10_000, 33_333]) {
      const parts = windows(source, size);
      assert.equal(parts.map((part) => part.text).join(''), source.text, `windows of ${size}`);
      let at = 0;
      for (const part of parts) {
        if (part.text === '') continue;
        const lineLength = source.text.indexOf('\n', at) - source.text.lastIndexOf('\n', at - 1);
        assert.ok(
          at === 0 || source.text[at - 1] === '\n' || lineLength > 10_000,
          'a window starts on a line, unless the line is very long',
        );
        const inEffect = source.headings.filter((mark) => mark.offset <= at).at(-1);
        if (inEffect) assert.deepEqual(part.headings[0], { offset: 0, path: inEffect.path });
        at += part.text.length;
      }
    }
  });

  test('a text fed in pieces gives the same window as the whole', () => {
    const source = linesWithHeadings(500);
    const whole = windowOf(source, { first: 5_001, last: 20_000 });
    const window = new TextWindow({ first: 5_001, last: 20_000 });
    let mark = 0;
    for (let at = 0; at < source.text.length; at += 777) {
      const piece = source.text.slice(at, at + 777);
      const inPiece: HeadingMark[] = [];
      while (mark < source.headings.length && source.headings[mark].offset < at + piece.length)
        inPiece.push({ ...source.headings[mark], offset: source.headings[mark++].offset - at });
      window.push(piece, inPiece);
    }
    assert.deepEqual(window.result(), { text: whole.text, headings: whole.headings });
    assert.equal(window.length, source.text.length);
  });

  test('the rendered text kept on disk gives every range the window a fresh rendering gives', () => {
    const html = new TextEncoder().encode(bigSphinxPage(300_000));
    const cache = new RenderedTextCache(dir);
    const writer = cache.writer();
    const size = 20_000;
    const first = extractHtml(html, { range: { first: 1, last: size }, domMaxBytes: 0, tee: writer });
    writer.finish({ format: 'html', properties: first.properties, encoding: first.encoding, extent: first.extent! });
    assert.ok(cache.complete);
    for (let i = 0; i * size < first.extent!; i++) {
      const range = { first: i * size + 1, last: (i + 1) * size };
      const fresh = extractHtml(html, { range, domMaxBytes: 0 });
      const kept = cache.read(range);
      assert.deepEqual(kept.sections, fresh.sections, `range ${i + 1}`);
      assert.equal(kept.extent, fresh.extent);
    }
  });

  test('streamed HTML reads as the DOM reader does: headings, paragraphs, code verbatim, tables in rows', () => {
    const page = sphinxPage(3);
    const dom = htmlToText(page);
    const streamed = streamHtmlText([page]);
    const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
    assert.deepEqual(lines(streamed.text), lines(dom.text));
    assert.deepEqual(
      streamed.headings.map((mark) => mark.path),
      dom.headings.map((mark) => mark.path),
    );
    assert.equal(streamed.title, dom.title);
  });

  test('chunks of a windowed text keep the heading paths of the whole', () => {
    const source = linesWithHeadings(1_000);
    const limits = { chunkSize: 800, overlap: 80, maxTokens: 512 };
    for (const part of windows(source, 25_000)) {
      for (const chunk of chunkSections([{ text: part.text, page: null, headings: part.headings }], limits)) {
        const line = /Line (\d+) /.exec(part.text.slice(chunk.ownStart))?.[1];
        if (line === undefined) continue;
        assert.deepEqual(chunk.headingPath, ['Part', `Section ${Math.floor(Number(line) / 50)}`], `line ${line}`);
      }
    }
  });
});
