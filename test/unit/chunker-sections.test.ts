import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunkSections } from '../../activities/chunking/chunker.ts';
import type { HeadingMark, TextSection } from '../../activities/extraction/types.ts';

const LIMITS = { chunkSize: 400, overlap: 60, maxTokens: 512 };

/** Sentences that name their section, so a chunk's text tells where it came from. */
const sentences = (name: string, count: number) =>
  Array.from({ length: count }, (_, i) => `Sentence ${i + 1} of ${name} goes here.`).join(' ');

/** A text of sections `[path, sentences]`, each opening with its heading line, and its marks. */
function document(sections: [string[], number][]): TextSection {
  let text = '';
  const headings: HeadingMark[] = [];
  for (const [path, count] of sections) {
    if (text) text += '\n\n';
    headings.push({ offset: text.length, path });
    text += `${path[path.length - 1]}\n\n${sentences(path[path.length - 1], count)}`;
  }
  return { text, page: null, headings };
}

describe('chunks follow the sections of a document', () => {
  test('a short top-level section still ends its chunk: no chunk holds two top sections', () => {
    const doc = document([
      [['Alpha'], 3],
      [['Beta'], 3],
      [['Gamma'], 30],
    ]);
    const chunks = chunkSections([doc], LIMITS);
    assert.deepEqual(
      chunks.slice(0, 2).map((chunk) => [chunk.headingPath, chunk.text.split('\n')[0]]),
      [
        [['Alpha'], 'Alpha'],
        [['Beta'], 'Beta'],
      ],
    );
    for (const chunk of chunks) {
      const named = ['Alpha', 'Beta', 'Gamma'].filter((name) => chunk.text.includes(` of ${name} `));
      assert.ok(named.length <= 1, `chunk ${chunk.ordinal} mixes ${named.join(' and ')}`);
      assert.deepEqual(chunk.headingPath, [named[0] ?? chunk.headingPath[0]]);
    }
  });

  test('a subsection starts a new chunk once the current one is half full, and takes no overlap from before it', () => {
    const doc = document([
      [['Book'], 1],
      [['Book', 'Part One'], 8],
      [['Book', 'Part One', 'Detail'], 8],
      [['Book', 'Part Two'], 1],
      [['Book', 'Part Two', 'Small'], 1],
      [['Book', 'Part Three'], 8],
    ]);
    const chunks = chunkSections([doc], LIMITS);
    const starting = (heading: string) => chunks.find((chunk) => chunk.text.startsWith(`${heading}\n`));
    // "Detail" follows a full chunk of Part One: it opens its own, without Part One's words.
    assert.ok(starting('Detail'), 'Detail starts a chunk');
    assert.deepEqual(starting('Detail')!.headingPath, ['Book', 'Part One', 'Detail']);
    assert.equal(starting('Detail')!.ownStart, starting('Detail')!.charStart, 'no overlap across a section start');
    // Part Two, Part Three are top sections (Book is a lone title): each opens a chunk.
    assert.deepEqual(starting('Part Two')!.headingPath, ['Book', 'Part Two']);
    assert.deepEqual(starting('Part Three')!.headingPath, ['Book', 'Part Three']);
    // "Small" follows a chunk far from full: it stays in Part Two's chunk.
    assert.ok(!starting('Small'), 'a subsection after little text does not start a chunk');
    assert.ok(starting('Part Two')!.text.includes(sentences('Small', 1)));
    for (const chunk of chunks) assert.ok(chunk.text.length <= LIMITS.chunkSize, `chunk ${chunk.ordinal} within size`);
  });

  test('paths carry over sections without marks, and a text without headings has none', () => {
    const marked = document([[['Only'], 3]]);
    const chunks = chunkSections([marked, { text: sentences('after', 40), page: 2 }], LIMITS);
    assert.ok(chunks.length > 2);
    assert.ok(chunks.every((chunk) => chunk.headingPath.join() === 'Only'));
    assert.ok(
      chunkSections([{ text: sentences('plain', 40), page: null }], LIMITS).every(
        (chunk) => chunk.headingPath.length === 0,
      ),
    );
  });

  test('a heading every line: tiny top sections share chunks rather than make a chunk each', () => {
    const sections: [string[], number][] = Array.from({ length: 2_000 }, (_, i) => [['Top', `Line ${i}`], 1]);
    const doc = document(sections);
    const chunks = chunkSections([doc], LIMITS);
    const own = chunks.reduce((sum, chunk) => sum + chunk.charEnd - chunk.ownStart, 0);
    assert.ok(own >= doc.text.replace(/\s+$/, '').length * 0.95, 'the chunks cover the text');
    assert.ok(
      chunks.length <= doc.text.length / (LIMITS.chunkSize / 5),
      `${chunks.length} chunks: each a fifth full or more`,
    );
  });
});
