import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunkSections, type Chunk, type ChunkingLimits } from '../../activities/chunking/chunker.ts';
import { bytePairWork, countTokens } from '../../activities/chunking/tokenizer.ts';
import type { TextSection } from '../../activities/extraction/index.ts';
import { mixedText, thaiWithoutSpaces } from '../fixtures/mixed-text.ts';

const LIMITS: ChunkingLimits = { chunkSize: 800, overlap: 80, maxTokens: 512 };
const wordSegmenter = new Intl.Segmenter('en', { granularity: 'word' });

/** `text` as pages of about `pageChars` characters, as extraction hands them over. */
function pages(text: string, pageChars: number): TextSection[] {
  const sections: TextSection[] = [];
  for (let start = 0; start < text.length; start += pageChars)
    sections.push({ text: text.slice(start, start + pageChars), page: sections.length + 1 });
  return sections;
}

/** Every promise of the chunker, checked against the joined text. */
function assertChunks(sections: TextSection[], limits: ChunkingLimits, chunks: Chunk[]) {
  const text = sections.map((section) => section.text).join('\n\n');
  const pageStarts: number[] = [];
  for (let i = 0, at = 0; i < sections.length; at += sections[i].text.length + 2, i++) pageStarts.push(at);
  const pageAt = (offset: number) => sections[pageStarts.findLastIndex((start) => start <= offset)].page;
  const blank = (from: number, to: number) => !/\S/.test(text.slice(from, to));

  assert.ok(chunks.length > 0);
  assert.ok(blank(0, chunks[0].charStart), 'nothing before the first chunk');
  assert.ok(blank(chunks[chunks.length - 1].charEnd, text.length), 'nothing after the last chunk');
  for (const [k, chunk] of chunks.entries()) {
    const where = `chunk ${k} [${chunk.charStart}, ${chunk.charEnd})`;
    assert.equal(chunk.ordinal, k);
    assert.equal(chunk.text, text.slice(chunk.charStart, chunk.charEnd), `${where}: its text at its offsets`);
    assert.equal(chunk.text, chunk.text.trim(), `${where}: trimmed`);
    assert.ok(chunk.tokenCount <= limits.maxTokens, `${where}: ${chunk.tokenCount} tokens`);
    assert.equal(chunk.tokenCount, countTokens(chunk.text), `${where}: token count`);
    assert.ok(
      chunk.charStart <= chunk.ownStart && chunk.ownStart < chunk.charEnd,
      `${where}: own text from ${chunk.ownStart}`,
    );
    assert.equal(chunk.pageStart, pageAt(chunk.charStart), `${where}: first page`);
    assert.equal(chunk.pageEnd, pageAt(chunk.charEnd - 1), `${where}: last page`);
    if (k === 0) continue;
    const previous = chunks[k - 1];
    // In order, covering the text: own texts follow one another with only whitespace between.
    assert.ok(
      chunk.ownStart >= previous.charEnd && blank(previous.charEnd, chunk.ownStart),
      `${where} after [${previous.charStart}, ${previous.charEnd})`,
    );
    if (chunk.charStart < chunk.ownStart) {
      const overlap = text.slice(chunk.charStart, chunk.ownStart).trim();
      assert.ok(
        chunk.charStart >= previous.ownStart && previous.text.endsWith(overlap),
        `${where}: the overlap is the end of the previous chunk's own text`,
      );
      assert.ok(overlap.length <= limits.overlap, `${where}: overlap of ${overlap.length}`);
      assert.ok(
        startsWord(text, chunk.charStart),
        `${where}: the overlap starts mid-word: …${text.slice(chunk.charStart - 10, chunk.charStart)}|${text.slice(chunk.charStart, chunk.charStart + 10)}…`,
      );
    }
  }
}

/** After whitespace, or where the word segmenter (dictionary-based for Thai and Japanese) puts a boundary. */
function startsWord(text: string, at: number): boolean {
  if (/\s/.test(text[at - 1])) return true;
  const from = Math.max(0, at - 40);
  for (const { index } of wordSegmenter.segment(text.slice(from, at + 40))) if (from + index === at) return true;
  return false;
}

function bytesMergedWhile(work: () => void): number {
  const before = bytePairWork.bytes;
  work();
  return bytePairWork.bytes - before;
}

describe('chunking hostile text', () => {
  test('a 200 KB line without a single space', () => {
    const line = Array.from(
      { length: 200_000 },
      (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789+/'[(i * 7_919) % 38],
    ).join('');
    const sections = pages(`Title\n${line}\nThe end.`, 50_000);
    assertChunks(sections, LIMITS, chunkSections(sections, LIMITS));
    const tight = { chunkSize: 2_000, overlap: 200, maxTokens: 100 };
    assertChunks(sections, tight, chunkSections(sections, tight));
  });

  test('1 MB of Thai without spaces: chunks within the cap, overlaps starting on a word', () => {
    const sections = pages(thaiWithoutSpaces(1_000_000), 100_000);
    const chunks = chunkSections(sections, LIMITS);
    assertChunks(sections, LIMITS, chunks);
    assert.ok(
      chunks.filter((chunk) => chunk.charStart < chunk.ownStart).length > chunks.length / 2,
      'most chunks overlap',
    );
  });

  test('tables of contents with dotted leaders, with and without spaces', () => {
    const toc = Array.from({ length: 3_000 }, (_, i) =>
      i % 2 ? `${i} Section ${i} ${'. '.repeat(30)}${i * 3}` : `${i} Section${'.'.repeat(200)}${i * 3}`,
    ).join('\n');
    const sections = pages(toc, 4_000);
    assertChunks(sections, LIMITS, chunkSections(sections, LIMITS));
    const tight = { chunkSize: 800, overlap: 80, maxTokens: 30 };
    assertChunks(sections, tight, chunkSections(sections, tight));
  });

  test('mixed scripts, code, URLs, base64 and tables over many pages, at several limits', () => {
    const sections = pages(mixedText(300_000, 9), 3_000);
    for (const limits of [
      LIMITS,
      { chunkSize: 3_000, overlap: 300, maxTokens: 200 },
      { chunkSize: 200, overlap: 0, maxTokens: 40 },
    ]) {
      assertChunks(sections, limits, chunkSections(sections, limits));
    }
  });

  test('the tokenizer work grows linearly with the document', () => {
    const text = mixedText(800_000, 10);
    const quarter = bytesMergedWhile(() => chunkSections(pages(text.slice(0, 200_000), 3_000), LIMITS));
    const whole = bytesMergedWhile(() => chunkSections(pages(text, 3_000), LIMITS));
    const thaiQuarter = bytesMergedWhile(() => chunkSections(pages(thaiWithoutSpaces(100_000, 11), 50_000), LIMITS));
    const thaiWhole = bytesMergedWhile(() => chunkSections(pages(thaiWithoutSpaces(400_000, 12), 50_000), LIMITS));
    // Every chunk is tokenized a bounded number of times, each its own length: at most ~4x the text.
    assert.ok(whole <= 3 * Buffer.byteLength(text), `${whole} bytes merged for a ${Buffer.byteLength(text)}-byte text`);
    assert.ok(whole <= 4.8 * quarter, `${quarter} → ${whole}`);
    assert.ok(thaiWhole <= 4.8 * thaiQuarter, `${thaiQuarter} → ${thaiWhole}`);
  });
});

describe('chunking characters outside the Basic Multilingual Plane', () => {
  test('emoji without spaces are never cut between the halves of a character', () => {
    const text = Array.from({ length: 100_000 }, (_, i) => ['👋🏽', '𝔸', '😀', '🧪'][i % 4]).join('');
    const sections = pages(text, 60_000);
    for (const limits of [LIMITS, { chunkSize: 300, overlap: 30, maxTokens: 25 }]) {
      const chunks = chunkSections(sections, limits);
      assertChunks(sections, limits, chunks);
      for (const chunk of chunks)
        assert.ok(
          !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(chunk.text),
          `chunk ${chunk.ordinal} holds half a character`,
        );
    }
  });
});
