import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getEncoding } from 'js-tiktoken';
import { bytePairWork, countTokens, decode, encode } from '../../activities/chunking/tokenizer.ts';
import { mixedText, thaiWithoutSpaces } from '../fixtures/mixed-text.ts';

/** What the byte-pair merging is handed while `work` runs. */
function workOf(work: () => void) {
  const before = { ...bytePairWork };
  work();
  return {
    pieces: bytePairWork.pieces - before.pieces,
    bytes: bytePairWork.bytes - before.bytes,
    heapOperations: bytePairWork.heapOperations - before.heapOperations,
  };
}

describe('cl100k tokenizer', () => {
  test('gives exactly js-tiktoken’s tokens, on every kind of text a document holds', () => {
    const reference = getEncoding('cl100k_base');
    const texts = [
      mixedText(30_000, 3),
      thaiWithoutSpaces(2_000),
      'x'.repeat(1_500),
      '.'.repeat(1_000),
      '日本語のテキスト'.repeat(100),
      'Emoji 👋🏽 and a family 👨‍👩‍👧, a lone surrogate \ud800 and e\u0301 combining.',
      "It's what they'll say: don't, we've, I'd. 12345678 1.5e10\r\n\r\n\ttabs   spaces  \n",
    ];
    for (const text of texts) assert.deepEqual(encode(text), reference.encode(text), JSON.stringify(text.slice(0, 60)));
  });

  test('decodes back to the text, and reads special-token names as plain text', () => {
    const text = mixedText(5_000, 4);
    assert.equal(decode(encode(text)), text);
    assert.ok(countTokens('before <|endoftext|> after') > 3);
  });

  test('the merging work grows linearly with a run that has no break at all', () => {
    const small = workOf(() => countTokens('.'.repeat(20_000)));
    const large = workOf(() => countTokens('.'.repeat(80_000)));
    assert.equal(large.bytes, 4 * small.bytes);
    // Each merge pushes at most two pairs after the first n - 1, and each is popped once: at most 6 heap operations a byte.
    assert.ok(
      large.heapOperations <= 6 * large.bytes,
      `${large.heapOperations} heap operations for ${large.bytes} bytes`,
    );
    assert.ok(large.heapOperations <= 4.2 * small.heapOperations, `${small.heapOperations} → ${large.heapOperations}`);
  });

  test('a text of many pieces hands the merging each piece once, never the whole text', () => {
    const text = thaiWithoutSpaces(400_000, 5);
    const work = workOf(() => countTokens(text));
    assert.ok(work.bytes <= Buffer.byteLength(text), `${work.bytes} bytes merged for ${Buffer.byteLength(text)}`);
    assert.ok(work.pieces > 1_000);
  });
});
