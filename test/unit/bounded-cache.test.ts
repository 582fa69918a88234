import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoundedCache } from '../../activities/graph/bounded-cache.ts';

describe('bounded cache', () => {
  test('keeps at most its capacity, dropping the least recently used first', () => {
    const cache = new BoundedCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    assert.equal(cache.get('a'), 1, 'a is now the most recently used');
    cache.set('d', 4);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined, 'b was the least recently used');
    assert.deepEqual(
      ['a', 'c', 'd'].map((key) => cache.get(key)),
      [1, 3, 4],
    );
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, i);
    assert.equal(cache.size, 3);
    assert.deepEqual(
      ['k97', 'k98', 'k99'].map((key) => cache.get(key)),
      [97, 98, 99],
    );
  });

  test('setting a key again replaces its value without growing', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('a', 2);
    assert.equal(cache.size, 1);
    assert.equal(cache.get('a'), 2);
    cache.clear();
    assert.equal(cache.size, 0);
  });

  test('a capacity that is not a positive integer is refused', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) assert.throws(() => new BoundedCache(capacity), RangeError);
  });
});
