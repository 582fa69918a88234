// The faster isSentence answers as compromise's own does, piece by piece and
// in the sentences compromise's splitter gives; compromise's own is back in
// place afterwards.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import nlp from 'compromise';
import { isSentence, withFasterIsSentence } from '../../activities/graph/compromise-is-sentence.ts';
import { prose, rng } from '../../bench/corpus.ts';
import { prose as fixtureProse } from '../fixtures/documents.ts';
import { mixedText } from '../fixtures/mixed-text.ts';

interface Tokenize {
  isSentence(piece: string, abbreviations: Record<string, unknown>): boolean;
  splitSentences(text: string, world: unknown): string[];
}
const world = nlp.world() as unknown as {
  methods: { one: { tokenize: Tokenize } };
  model: { one: { abbreviations: Record<string, unknown> } };
};
const { tokenize } = world.methods.one;
const { abbreviations } = world.model.one;

const PIECES = [
  '',
  ' ',
  'Hello world. ',
  'See the F.B.I. ',
  'the n.s.a',
  'the n.s.a   ',
  'Ask Mr. ',
  'ask mr.',
  'Ask Mr.   ',
  'W. ',
  'w. ',
  'W.  ',
  'Wait… ',
  'Wait... ',
  'Wait.. ',
  'Wait . . ',
  '... ',
  '4 Introduction......456',
  'Drawing Paths . . . . 12',
  'U.S. ',
  'the U.S.A.',
  'approx. ',
  'it is approx.? ',
  'it is approx!',
  'Really?! ',
  'Is it‽ ',
  'a b ',
  'x a. ',
  'x.a. ',
  '.a. ',
  'a. ',
  'Ça va. ',
  'ſ. ',
  'the ſ. ',
  'the K. ',
  'item 3. ',
  '12345. ',
  'Измерение. ',
  'Измерение и т. ',
  '測定の結果。',
  'abc\n',
  'no end mark at all',
  'ends in spaces   ',
  'tab\tend. ',
  'etc. ',
  'e.g. ',
  'i.e. ',
];

describe('compromise isSentence', () => {
  test('the same answer as compromise for each piece', () => {
    for (const piece of PIECES)
      assert.equal(isSentence(piece, abbreviations), tokenize.isSentence(piece, abbreviations), JSON.stringify(piece));
  });

  test('the same sentences from compromise’s splitter on prose, Markdown and mixed document text', () => {
    const texts = [
      prose(rng(3), 'Results', 20_000, true),
      fixtureProse('radium', 6),
      mixedText(40_000, 8),
      readFileSync(new URL('../../README.md', import.meta.url), 'utf8'),
    ];
    for (const text of texts) {
      const own = tokenize.splitSentences(text, world);
      assert.deepEqual(
        withFasterIsSentence(() => tokenize.splitSentences(text, world)),
        own,
      );
      for (const piece of text.split(/(?<=[.!?] )/).slice(0, 2_000))
        assert.equal(
          isSentence(piece, abbreviations),
          tokenize.isSentence(piece, abbreviations),
          JSON.stringify(piece),
        );
    }
  });

  test('compromise’s isSentence is back after the work, even when the work throws', () => {
    const before = tokenize.isSentence;
    assert.throws(() =>
      withFasterIsSentence(() => {
        assert.notEqual(tokenize.isSentence, before);
        throw new Error('stop');
      }),
    );
    assert.equal(tokenize.isSentence, before);
  });
});
