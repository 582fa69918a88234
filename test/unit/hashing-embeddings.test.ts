import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HashingEmbeddingProvider } from '../../activities/embeddings/hashing.ts';
import { mixedText } from '../fixtures/mixed-text.ts';

const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i], 0);

describe('hashing embeddings', () => {
  const provider = new HashingEmbeddingProvider(384, 25);

  test('unit vectors of the configured dimension, the same for the same text, named by version and dimension', async () => {
    const text = mixedText(5_000, 31);
    const [first, again] = await provider.embed([text, text]);
    assert.equal(provider.name, 'hashing-v2-384');
    assert.equal(first.length, 384);
    assert.deepEqual(first, again);
    assert.ok(Math.abs(cosine(first, first) - 1) < 1e-9);
    assert.ok(provider.vector('').every((value) => value === 0));
  });

  test('the provider parses its own name: a recorded name gives back the same provider, another version or name none', async () => {
    const rebuilt = HashingEmbeddingProvider.fromName(provider.name, 7);
    assert.ok(rebuilt);
    assert.equal(rebuilt.name, provider.name);
    assert.equal(rebuilt.dimension, 384);
    assert.equal(rebuilt.batchSize, 7);
    assert.deepEqual(await rebuilt.embed(['same space']), await provider.embed(['same space']));
    assert.equal(HashingEmbeddingProvider.fromName(new HashingEmbeddingProvider(64, 1).name, 1)?.dimension, 64);
    // Another version's vectors never compare with this one's; names that only look alike are no dimension.
    for (const name of [
      'hashing-v1-384',
      'hashing-v3-384',
      'hashing-v2-',
      'hashing-v2-0',
      'hashing-v2-038',
      'hashing-v2-3.5',
      'hashing-v2-384x',
      'hashing-v2-99999999999999999999',
      'openai:text-embedding-3-small',
    ])
      assert.equal(HashingEmbeddingProvider.fromName(name, 1), undefined, name);
  });

  test('texts sharing words are closer than texts that do not', () => {
    const a = provider.vector('Marie Curie measured the radiation of radium in Paris.');
    const b = provider.vector('The radiation of radium was measured again in Paris.');
    const c = provider.vector('Gradle caches compiled dependencies between builds.');
    assert.ok(cosine(a, b) > cosine(a, c) + 0.2, `${cosine(a, b)} vs ${cosine(a, c)}`);
  });

  test('a dimension too large to spread into Math.hypot, and a 200 KB word, still give a unit vector', () => {
    const wide = new HashingEmbeddingProvider(300_000, 1).vector(`${'QUJD'.repeat(50_000)} and words`);
    assert.equal(wide.length, 300_000);
    assert.ok(Math.abs(cosine(wide, wide) - 1) < 1e-9);
  });
});
