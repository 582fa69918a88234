// The faster sweep finds what compromise's own does: every term's tags, and
// the people, places and organisations, on English prose, real Markdown and
// mixed document text (among them sentences whose tags depend on the order the
// rules run in, and on a rule's ifNo); compromise's own is back in place afterwards.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import nlp from 'compromise';
import { withFasterSweep } from '../../activities/graph/compromise-sweep.ts';
import { prose, rng } from '../../bench/corpus.ts';
import { prose as fixtureProse } from '../fixtures/documents.ts';
import { mixedText } from '../fixtures/mixed-text.ts';

/** Every term with its tags, then the named entities, as one string to compare. */
function reading(text: string): string {
  const doc = nlp(text);
  const terms = (doc.json() as { terms: { text: string; tags: string[] }[] }[]).map((sentence) =>
    sentence.terms.map((term) => `${term.text}:${term.tags.join(',')}`),
  );
  return JSON.stringify([
    terms,
    doc.people().out('array'),
    doc.places().out('array'),
    doc.organizations().out('array'),
    doc.match('#Noun+').out('array'),
  ]);
}

const MARKDOWN = `# Install

Run \`npm install compromise\` from New York, or see https://github.com/spencermountain/compromise/ for Dr. Kelly's notes.
The U.S. Department of Energy, NASA and the University of Toronto, Canada use it; Mr. Smith-Jones doesn't.
- e.g. Paris/London, the Franco-Prussian war, "Quoted Title" (1999), I'm sure it's JSON-LD.
Ms. Alvarez said: "We'll ship it on Monday, June 3rd, at 10:30 a.m. in São Paulo."
Transformations are applied in the order they are listed. Type definitions are included.
These files are updated on a daily basis. If array is passed, each found token is pushed to it.
The encoding is contained in the message`;

describe('compromise sweep', () => {
  test('the same tags and entities as the sweep of compromise', () => {
    const texts = [MARKDOWN, prose(rng(3), 'Results', 6_000, true), fixtureProse('radium', 6), mixedText(12_000, 8)];
    for (const text of texts) {
      const own = reading(text);
      assert.equal(
        withFasterSweep(() => reading(text)),
        own,
        text.slice(0, 80),
      );
    }
  });

  test('the sweep of compromise is back after the work, even when the work throws', () => {
    const own = (nlp.world() as unknown as { methods: { one: { bulkMatch: unknown } } }).methods.one;
    const before = own.bulkMatch;
    assert.throws(() =>
      withFasterSweep(() => {
        assert.notEqual(own.bulkMatch, before);
        throw new Error('stop');
      }),
    );
    assert.equal(own.bulkMatch, before);
  });
});
