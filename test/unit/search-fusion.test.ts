import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reciprocalRankFusion } from '../../activities/search/fusion.ts';
import { textSearchConfigFor } from '../../activities/search/text-search-config.ts';

const hit = (document_id: string, ordinal: number, score: number) => ({ document_id, ordinal, score });

describe('reciprocal rank fusion', () => {
  test('each list adds weight / (k + rank); a chunk in both lists adds both, with both scores', () => {
    const fused = reciprocalRankFusion(
      { text: [hit('a', 0, 0.9), hit('b', 1, 0.5)], vector: [hit('b', 1, 0.8), hit('c', 2, 0.7)] },
      { k: 10, textWeight: 2, vectorWeight: 1 },
    );
    assert.deepEqual(
      fused.map((f) => [f.document_id, f.text, f.vector]),
      [
        ['b', 0.5, 0.8],
        ['a', 0.9, undefined],
        ['c', undefined, 0.7],
      ],
    );
    assert.equal(fused[0].fused, 2 / 12 + 1 / 11);
    assert.equal(fused[1].fused, 2 / 11);
    assert.equal(fused[2].fused, 1 / 12);
  });

  test('ties keep the text list first; a weight of 0 leaves a list out of the order', () => {
    const tie = reciprocalRankFusion(
      { text: [hit('t', 0, 1)], vector: [hit('v', 0, 1)] },
      { k: 60, textWeight: 1, vectorWeight: 1 },
    );
    assert.deepEqual(
      tie.map((f) => f.document_id),
      ['t', 'v'],
    );
    const textOnly = reciprocalRankFusion(
      { text: [hit('t', 0, 1)], vector: [hit('v', 0, 1)] },
      { k: 60, textWeight: 1, vectorWeight: 0 },
    );
    assert.equal(textOnly[1].fused, 0);
  });
});

describe('text-search configuration of a detected language', () => {
  test('ISO 639-3 (franc), ISO 639-1 and English names map to PostgreSQL configurations; others are simple', () => {
    assert.equal(textSearchConfigFor('fra'), 'french');
    assert.equal(textSearchConfigFor('rus'), 'russian');
    assert.equal(textSearchConfigFor('deu'), 'german');
    assert.equal(textSearchConfigFor('spa'), 'spanish');
    assert.equal(textSearchConfigFor('en'), 'english');
    assert.equal(textSearchConfigFor('French'), 'french');
    assert.equal(textSearchConfigFor('jpn'), 'simple');
    assert.equal(textSearchConfigFor(undefined), 'simple');
    assert.equal(textSearchConfigFor(''), 'simple');
  });
});
