// findingsOf reads, sentence by sentence, what compromise's own queries find
// in the whole text (people(), organizations(), places(), and the runs of
// nouns entitiesOf keeps), and a sentence's findings do not depend on the
// sentences tagged with it (which is what lets entitiesOf keep them per sentence).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import nlp from 'compromise';
import { findingsOf, type SentenceFindings } from '../../activities/graph/compromise-findings.ts';
import { mayName } from '../../activities/graph/noun-runs.ts';
import { prose, rng } from '../../bench/corpus.ts';
import { prose as fixtureProse } from '../fixtures/documents.ts';
import { mixedText } from '../fixtures/mixed-text.ts';

const world = nlp.world() as unknown as {
  methods: { one: { tokenize: { splitSentences(text: string, world: unknown): string[] } } };
};
const sentencesOf = (text: string) => world.methods.one.tokenize.splitSentences(text, world);

const MARKDOWN = `# Install

Run \`npm install compromise\` from New York, or see https://github.com/spencermountain/compromise/ for Dr. Kelly's notes.
The U.S. Department of Energy, NASA and the University of Toronto, Canada use it; Mr. Smith-Jones doesn't.
- e.g. Paris/London, the Franco-Prussian war, "Quoted Title" (1999), I'm sure it's JSON-LD.
Ms. Alvarez said: "We'll ship it on Monday, June 3rd, at 10:30 a.m. in São Paulo."
Queen Elizabeth's visit to Paris, France and Sir Isaac Newton's notes, Europe, Asia and Africa.
Prof. Marie Curie, Pierre Curie, and the Royal Society met John Smith, Jr. at Wawel Castle.`;

const TEXTS = {
  markdown: MARKDOWN,
  prose: prose(rng(3), 'Results', 8_000, true),
  fixture: fixtureProse('radium', 6),
  mixed: sentencesOf(mixedText(20_000, 8)).filter(mayName).join(''),
};

const flat = (findings: SentenceFindings[], kind: keyof SentenceFindings) => findings.flatMap((found) => found[kind]);

describe('compromise findings', () => {
  test('what compromise’s own queries find in the whole text, in its order', () => {
    for (const [name, text] of Object.entries(TEXTS)) {
      const doc = nlp(text);
      const findings = findingsOf(sentencesOf(text));
      assert.deepEqual(flat(findings, 'people'), doc.people().out('array'), `${name}: people`);
      assert.deepEqual(flat(findings, 'organizations'), doc.organizations().out('array'), `${name}: organisations`);
      assert.deepEqual(flat(findings, 'places'), doc.places().out('array'), `${name}: places`);
      const nouns = doc.match('#Noun+').not('(#Pronoun|#Person|#Place|#Organization|#Value|#Date)');
      assert.deepEqual(flat(findings, 'nouns'), nouns.out('array'), `${name}: runs of nouns`);
    }
  });

  test('a sentence’s findings are the same tagged alone or with the others', () => {
    for (const [name, text] of Object.entries(TEXTS)) {
      const sentences = sentencesOf(text);
      const together = findingsOf(sentences);
      assert.equal(together.length, sentences.length);
      sentences.forEach((sentence, i) =>
        assert.deepEqual(findingsOf([sentence]), [together[i]], `${name}: ${sentence.slice(0, 60)}`),
      );
    }
  });
});
