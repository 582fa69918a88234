import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chatMessages,
  extractiveAnswer,
  fitToBudget,
  passageHeading,
  type Passage,
} from '../../activities/query/prompt.ts';
import { pagesOf } from '../../workflows/query-contract.ts';

const passage = (
  text: string,
  pages: [number | null, number | null],
  headingPath: string[] | null = null,
): Passage => ({
  documentId: 'd',
  documentName: 'manual.pdf',
  ordinal: 0,
  pageStart: pages[0],
  pageEnd: pages[1],
  headingPath,
  score: 1,
  scores: { fused: 1 },
  snippet: text.slice(0, 10),
  text,
});

test('pages read p. N, pp. N–M, or nothing for formats without pages', () => {
  assert.equal(pagesOf({ pageStart: 3, pageEnd: 3 }), 'p. 3');
  assert.equal(pagesOf({ pageStart: 3, pageEnd: null }), 'p. 3');
  assert.equal(pagesOf({ pageStart: 3, pageEnd: 5 }), 'pp. 3–5');
  assert.equal(pagesOf({ pageStart: null, pageEnd: null }), '');
});

test('a passage is named by number, document, pages and section', () => {
  assert.equal(
    passageHeading(passage('x', [2, 4], ['Install', 'Network']), 7),
    '[7] manual.pdf, pp. 2–4 (Install > Network)',
  );
  assert.equal(passageHeading(passage('x', [null, null]), 1), '[1] manual.pdf');
});

test('the context budget keeps the best passages whole and cuts the last one; nothing past the budget', () => {
  const fitted = fitToBudget(
    [passage('a'.repeat(60), [1, 1]), passage('b'.repeat(60), [2, 2]), passage('c', [3, 3])],
    100,
  );
  assert.deepEqual(
    fitted.map((p) => p.text),
    ['a'.repeat(60), `${'b'.repeat(40)}…`],
  );
});

test('the chat request asks for citations by number and carries the question and the numbered passages', () => {
  const [system, user] = chatMessages('Why?', [passage('Because.', [1, 1])], 'list');
  assert.match(system.content, /square brackets/);
  assert.match(system.content, /bulleted list/);
  assert.equal(user.content, 'Question: Why?\n\nPassages:\n\n[1] manual.pdf, p. 1\nBecause.');
});

test('an extractive answer says it is one and lists the passages best first', () => {
  const answer = extractiveAnswer([passage('First. ', [1, 1]), passage('Second.', [null, null])]);
  assert.equal(
    answer,
    'Extractive answer (no language model is configured): the passages that best match the question, best first.\n\n' +
      '[1] manual.pdf, p. 1\nFirst.\n\n[2] manual.pdf\nSecond.',
  );
});
