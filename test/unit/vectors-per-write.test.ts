import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { EMBEDDED_DATABASE_VARIABLE } from '../../db/pool.ts';
import { vectorWrites } from '../../db/vectors-per-write.ts';

describe('vector writes: a few per transaction on embedded PGlite, a page at once elsewhere', () => {
  const rows = Array.from({ length: 25 }, (_, ordinal) => ({ ordinal }));
  afterEach(() => delete process.env[EMBEDDED_DATABASE_VARIABLE]);

  test('embedded PGlite: slices of 10, every row once and in order', () => {
    process.env[EMBEDDED_DATABASE_VARIABLE] = 'pglite';
    const writes = [...vectorWrites(rows)];
    assert.deepEqual(
      writes.map((write) => write.length),
      [10, 10, 5],
    );
    assert.deepEqual(writes.flat(), rows);
  });

  test('any other database: one write of the whole page; none for an empty page', () => {
    assert.deepEqual([...vectorWrites(rows)], [rows]);
    assert.deepEqual([...vectorWrites([])], []);
  });
});
