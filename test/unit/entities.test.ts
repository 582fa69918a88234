import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import nlp from 'compromise';
import { chunkSections } from '../../activities/chunking/chunker.ts';
import {
  CACHED_SENTENCE_LENGTH,
  CACHED_SENTENCES,
  entitiesOf,
  entitiesOfEach,
  sentenceFindings,
  type Entity,
} from '../../activities/graph/entities.ts';
import { mayName, nounRuns } from '../../activities/graph/noun-runs.ts';
import { prose, rng } from '../../bench/corpus.ts';
import { prose as fixtureProse } from '../fixtures/documents.ts';
import { mixedText } from '../fixtures/mixed-text.ts';

const names = (entities: Entity[], kind: Entity['kind']) =>
  entities
    .filter((entity) => entity.kind === kind)
    .map((entity) => entity.name)
    .sort();

/** What compromise finds when it reads the whole chunk (what entitiesOf did before it skipped sentences naming nothing). */
function wholeChunk(text: string) {
  const doc = nlp(text);
  const normal = (list: string[]) =>
    [
      ...new Set(
        list.map((name) =>
          name
            .replace(/\s+/g, ' ')
            .replace(/^\W+|\W+$/g, '')
            .toLowerCase(),
        ),
      ),
    ]
      .filter((name) => name.length >= 2)
      .sort();
  return {
    person: normal(doc.people().out('array') as string[]),
    organization: normal(doc.organizations().out('array') as string[]),
    place: normal(doc.places().out('array') as string[]),
  };
}

const chunksOf = (text: string) =>
  chunkSections([{ text, page: 1 }], { chunkSize: 800, overlap: 80, maxTokens: 512 }).map((chunk) => chunk.text);

describe('entity tagging', () => {
  test('people, organisations, places and key terms of a chunk', () => {
    const entities = entitiesOf(fixtureProse('radium', 8));
    assert.deepEqual(names(entities, 'person'), ['albert einstein', 'marie curie']);
    assert.ok(names(entities, 'place').includes('paris') && names(entities, 'place').includes('berlin'));
    assert.ok(names(entities, 'organization').includes('royal society'));
    assert.ok(names(entities, 'term').length > 0 && names(entities, 'term').length <= 3);
  });

  test('the same people, organisations and places as compromise reading every sentence', () => {
    const corpora = {
      prose: prose(rng(7), 'Results', 40_000, false),
      fixture: fixtureProse('polonium', 60),
      'lower-case names':
        'we flew from paris to berlin with john. the university of warsaw sent mary a letter. ' +
        'we met in zürich. the road paris/london was long. the new-york office closed.',
    };
    for (const [corpus, text] of Object.entries(corpora)) {
      for (const chunk of chunksOf(text)) {
        const found = entitiesOf(chunk);
        const expected = wholeChunk(chunk);
        for (const kind of ['person', 'organization', 'place'] as const)
          assert.deepEqual(names(found, kind), expected[kind], `${corpus}, ${kind}s of: ${chunk.slice(0, 80)}…`);
      }
    }
  });

  test('mixed document text: the same people and places as compromise reading every sentence', () => {
    for (const chunk of chunksOf(mixedText(20_000, 4))) {
      const found = entitiesOf(chunk);
      const expected = wholeChunk(chunk);
      for (const kind of ['person', 'place'] as const) assert.deepEqual(names(found, kind), expected[kind]);
    }
  });

  test('sentences found in the cache give what tagging them again gives', () => {
    // boilerplate repeated (licence text, headers), chunks that overlap, and the same chunk again
    const boilerplate = 'Licensed to the Apache Software Foundation in Forest Hill, Maryland. ';
    const text = Array.from(
      { length: 12 },
      (_, i) => `${boilerplate}${prose(rng(i), 'Results', 1_500, false)}\n\nPage ${i} of the Manual by John Smith.\n\n`,
    ).join('');
    const chunks = chunksOf(text);
    const cold = chunks.map((chunk) => {
      sentenceFindings.clear();
      return entitiesOf(chunk);
    });
    sentenceFindings.clear();
    const warm = [...chunks, ...chunks].map(entitiesOf);
    assert.ok(sentenceFindings.size > 0, 'sentences were kept');
    assert.deepEqual(warm, [...cold, ...cold]);
  });

  test('entitiesOfEach gives each text what entitiesOf gives it', () => {
    const texts = [
      ...chunksOf(mixedText(30_000, 9)),
      ...chunksOf(prose(rng(11), 'Results', 20_000, false)),
      fixtureProse('radium', 2),
      fixtureProse('radium', 2), // the same text twice in one batch
      '',
      'nothing to name here.',
    ];
    assert.ok(texts.length > 50, 'more texts than one document takes');
    const alone = texts.map((text) => {
      sentenceFindings.clear();
      return entitiesOf(text);
    });
    sentenceFindings.clear();
    assert.deepEqual(entitiesOfEach(texts), alone);
    assert.deepEqual(entitiesOfEach([]), []);
  });

  test('the cache of sentences is bounded in entries and in a sentence’s length', () => {
    assert.equal(sentenceFindings.capacity, CACHED_SENTENCES);
    sentenceFindings.clear();
    const long = `Marie Curie measured ${'the sample and '.repeat(Math.ceil(CACHED_SENTENCE_LENGTH / 15))}it.`;
    assert.ok(long.length > CACHED_SENTENCE_LENGTH);
    assert.deepEqual(names(entitiesOf(long), 'person'), ['marie curie']);
    assert.equal(sentenceFindings.size, 0, 'a sentence longer than the bound is not kept');
    entitiesOf('Marie Curie measured it.');
    assert.equal(sentenceFindings.size, 1);
  });

  test('which sentences may name something', () => {
    assert.equal(mayName('Marie Curie measured it.'), true);
    assert.equal(mayName('Then it went to CERN.'), true);
    assert.equal(mayName('we flew to paris.'), true, 'a place compromise knows in lower case');
    assert.equal(mayName('the university sent it.'), true, 'a word that makes an organisation');
    assert.equal(mayName('we met in zürich.'), true, 'compromise reads it without its accent');
    assert.equal(mayName('the road paris/london was long.'), true, 'a place between slashes');
    assert.equal(mayName('Anglo-French relations.'), true, 'the second term of the first word');
    assert.equal(mayName('The spectrum of the sample was recorded twice.'), false);
    assert.equal(mayName('He bought an iPhone.'), false, 'a capital inside a word');
    assert.equal(mayName('4 Introduction......456'), false, 'a word with digits: not a proper noun to compromise');
    assert.equal(mayName('U0Qu0oxcjIpDCGXQ2T+U4+TuExLMzguUyCuGkGnq52+S9+eD6FU7m5h+eWn1lrb7lpI11M'), false, 'base64');
    assert.equal(mayName(''), false);
    // a word's answer is kept, but it depends on the word's place (the first term is no proper noun by its case)
    assert.equal(mayName('Results were good.'), false);
    assert.equal(mayName('the Results were good.'), true);
    assert.equal(mayName('Results were good.'), false);
    assert.equal(mayName(`Edges${'.'.repeat(60)}456 and ${'x'.repeat(50)}Paris`), false, 'long words too');
    assert.equal(mayName('測定の結果は温度が上昇した。'), false, 'Japanese: no capitals, no Latin letters');
    assert.equal(mayName('การวัดอุณหภูมิผลของทดลอง'), false, 'Thai');
    assert.equal(
      mayName('измерение и Температура.'),
      true,
      'a Cyrillic capital past the first word is a proper noun by its case',
    );
    assert.equal(mayName('温度 6 度'), true, 'a naming word without letters ("6" in compromise 14.17) is read');
    assert.equal(mayName(`Go to ${'x'.repeat(50)}/paris/${'y'.repeat(50)} now.`), true, 'a place inside a long word');
  });

  test('runs of nouns in a sentence that names nothing', () => {
    assert.deepEqual(nounRuns('The spectrum of the sample was recorded at the laboratory.'), [
      'spectrum',
      'sample',
      'laboratory.',
    ]);
    assert.deepEqual(nounRuns('The measurement experiment result signal was repeated.'), [
      'measurement experiment result signal',
    ]);
    assert.deepEqual(nounRuns('It was 1903 and they measured 12 samples.'), ['samples.']);
  });
});
