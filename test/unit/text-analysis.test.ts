import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { countWords, TextAnalyzer, type TextAnalysisPartial } from '../../activities/metadata/text-analysis.ts';
import { prose, rng } from '../../bench/corpus.ts';
import { mixedText } from '../fixtures/mixed-text.ts';

/** Reads `pieces` with one analyzer each, as worker threads would, and merges their partials (through JSON, as they are stored). */
function analysedApart(pieces: string[][]) {
  const partials = pieces.map((chunks) => {
    const analyzer = new TextAnalyzer();
    for (const chunk of chunks) analyzer.add(chunk);
    return JSON.parse(JSON.stringify(analyzer.toPartial())) as TextAnalysisPartial;
  });
  return TextAnalyzer.fromPartials(partials).result();
}

function analysedWhole(chunks: string[]) {
  const analyzer = new TextAnalyzer();
  for (const chunk of chunks) analyzer.add(chunk);
  return analyzer.result();
}

/** `text` in chunk-sized pieces, grouped into `groups` runs of consecutive chunks. */
function split(text: string, chunkChars: number, groups: number): { chunks: string[]; pieces: string[][] } {
  const chunks: string[] = [];
  for (let start = 0; start < text.length; start += chunkChars) chunks.push(text.slice(start, start + chunkChars));
  const size = Math.ceil(chunks.length / groups);
  return { chunks, pieces: Array.from({ length: groups }, (_, g) => chunks.slice(g * size, (g + 1) * size)) };
}

describe('text analysis in pieces', () => {
  test('merged partials give the keywords, language, DOI and title of the whole text', () => {
    const r = rng(7);
    const text = [
      'Radioactivity in Practice\n\n',
      prose(r, 'Methods', 30_000, false),
      'The data are at https://doi.org/10.1234/radium.2020.15 for review.\n\n',
      prose(r, 'Results', 60_000, false),
    ].join('');
    const { chunks, pieces } = split(text, 800, 7);
    const whole = analysedWhole(chunks);
    assert.equal(whole.titleGuess, 'Radioactivity in Practice');
    assert.equal(whole.doi, '10.1234/radium.2020.15');
    assert.equal(whole.language, 'eng');
    assert.equal(whole.keywords.length, 10);
    assert.deepEqual(analysedApart(pieces), whole);
  });

  test('the same for mixed-script text, whichever piece holds the first title line', () => {
    const { chunks, pieces } = split(mixedText(200_000, 21), 800, 13);
    assert.deepEqual(analysedApart(pieces), analysedWhole(chunks));
    assert.deepEqual(analysedApart([[], ...pieces]), analysedWhole(chunks), 'an empty first piece changes nothing');
  });

  test('a partial keeps only the most frequent words, so it stays small', () => {
    const analyzer = new TextAnalyzer();
    analyzer.add(mixedText(300_000, 22));
    const partial = analyzer.toPartial(100);
    assert.equal(partial.words.length, 100);
    for (let i = 1; i < partial.words.length; i++) assert.ok(partial.words[i - 1][1] >= partial.words[i][1]);
    assert.ok(partial.sample.length <= 20_001);
    assert.ok(JSON.stringify(partial).length < 100_000);
  });

  test('endless distinct words (a base64 blob) never push out the frequent ones', () => {
    const analyzer = new TextAnalyzer();
    analyzer.add('Radium radium radium polonium polonium.');
    for (let i = 0; i < 150_000; i++) analyzer.add(`token${i.toString(36)}x`);
    analyzer.add('Radium polonium.');
    assert.deepEqual(analyzer.result().keywords, ['radium', 'polonium']);
  });

  test('counts words in every script', () => {
    assert.equal(countWords('Die Messung, the result: измерение 125 — 測定'), 7);
  });
});
