import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { searchChunks } from '../../activities/search/search-chunks.ts';
import { loadConfig } from '../../config/load.ts';
import { startEmbeddedPostgres } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';
import { createPool, type Sql } from '../../db/pool.ts';
import { recordEmbeddingProvider } from '../../db/queries/analysis.ts';
import { storeEmbeddings } from '../../db/queries/chunks.ts';
import { hasVectorIndex, vectorStorage } from '../../db/queries/search.ts';
import { createTestDatabase } from '../support/database.ts';

const MIGRATIONS = path.resolve(import.meta.dirname, '..', '..', 'db', 'migrations');
const config = loadConfig({});

/** The schema as the release before search left it: migrations before 006, recorded as applied. */
async function migrateBeforeSearch(sql: Sql): Promise<void> {
  await sql`CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
  for (const name of (await readdir(MIGRATIONS)).filter((file) => /^00[1-5]_.*\.sql$/.test(file)).sort()) {
    await sql.unsafe(await readFile(path.join(MIGRATIONS, name), 'utf8'));
    await sql`INSERT INTO schema_migrations (name) VALUES (${name})`;
  }
}

/** Vectors of float4-exact values (what real[] holds), deterministic, of two dimensions. */
function vectorsOf(dimension: number, count: number, seed: number): number[][] {
  return Array.from({ length: count }, (_, i) =>
    Array.from({ length: dimension }, (_, j) => Math.fround(Math.sin(seed + i * 7.3 + j * 1.7) / (1 + j))),
  );
}

async function checkMigrationKeepsVectors(url: string, pglite: boolean, expected: 'pgvector' | 'real_array') {
  const sql = createPool(url, config, { singleConnection: pglite });
  try {
    await migrateBeforeSearch(sql);
    // Collections differ in dimension: one of 48, one of 8.
    const [collection] = await sql`INSERT INTO collections (name) VALUES ('old-48') RETURNING id`;
    const [other] = await sql`INSERT INTO collections (name) VALUES ('old-8') RETURNING id`;
    const wide = vectorsOf(48, 5, 1);
    const narrow = vectorsOf(8, 2, 2);
    const documentIds: string[] = [];
    for (const [collectionId, name, vectors] of [
      [collection.id, 'wide.txt', wide],
      [other.id, 'narrow.txt', narrow],
    ] as const) {
      const [document] = await sql`
        INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash, status)
        VALUES (${collectionId}, ${name}, ${name}, 'text/plain', 1, ${name}, 'processed') RETURNING id`;
      documentIds.push(document.id);
      for (const [ordinal] of vectors.entries())
        await sql`INSERT INTO chunks (document_id, ordinal, text, token_count) VALUES (${document.id}, ${ordinal}, ${`chunk ${ordinal} of ${name}`}, 3)`;
      // A chunk the old release left without a vector.
      await sql`INSERT INTO chunks (document_id, ordinal, text, token_count) VALUES (${document.id}, ${vectors.length}, 'no vector', 2)`;
      await sql.begin((tx) =>
        storeEmbeddings(
          tx,
          document.id,
          vectors.map((embedding, ordinal) => ({ ordinal, embedding })),
        ),
      );
    }

    const vectorTexts = () =>
      sql<
        { values: string | null }[]
      >`SELECT embedding::real[]::text AS values FROM chunks ORDER BY document_id, ordinal`;
    const before = await vectorTexts();
    assert.equal((await migrate(sql))[0], '006_search.sql', 'the migrations after 005 start with 006');
    assert.deepEqual(await vectorTexts(), before, 'every float4 reads back the same after the migration');
    assert.equal(await vectorStorage(sql), expected);
    const stored = await sql<{ document_id: string; ordinal: number; values: number[] | null; text_search: string }[]>`
      SELECT document_id, ordinal, embedding::real[] AS values, text_search::text FROM chunks ORDER BY document_id, ordinal`;
    for (const [index, vectors] of [wide, narrow].entries()) {
      const rows = stored.filter((row) => row.document_id === documentIds[index]);
      assert.deepEqual(
        rows.map((row) => row.values && row.values.map(Math.fround)),
        [...vectors, null],
        'every vector kept value for value, the missing one still missing',
      );
    }
    assert.ok(stored.every((row) => row.text_search.includes("'chunk'") || row.text_search.includes("'vector'")));
    for (const dimension of [48, 8]) assert.equal(await hasVectorIndex(sql, dimension), expected === 'pgvector');

    // Written after the migration by the same writer: both storages take it.
    const fresh = vectorsOf(48, 1, 9)[0];
    await sql.begin((tx) => storeEmbeddings(tx, documentIds[0], [{ ordinal: 5, embedding: fresh }]));
    const [row] = await sql<{ values: number[] }[]>`
      SELECT embedding::real[] AS values FROM chunks WHERE document_id = ${documentIds[0]} AND ordinal = 5`;
    assert.deepEqual(row.values.map(Math.fround), fresh);

    // Searching with a stored vector finds its own chunk first (cosine 1), by the method the storage allows.
    await recordEmbeddingProvider(sql, collection.id, 'hashing-v2-48');
    const answer = await searchChunks(sql, config, {
      collectionId: collection.id,
      query: 'chunk 2 of wide.txt',
      k: 3,
      mode: 'vector',
    });
    assert.equal(answer.vectorSearch, expected === 'pgvector' ? 'pgvector_hnsw' : 'exact_cosine');
    assert.ok(answer.hits.length > 0 && answer.hits.every((hit) => hit.documentId === documentIds[0]));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

describe('migration 006: chunk vectors stored before it keep their values', () => {
  test('PGlite with pgvector (or the PostgreSQL of DATABASE_URL, by what it has): real[] becomes vector with an HNSW index per dimension where pgvector is', async () => {
    const database = await createTestDatabase();
    try {
      const probe = createPool(database.url, config, { singleConnection: database.kind === 'pglite' });
      const [{ available }] = await probe<{ available: boolean }[]>`
        SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available`;
      await probe.end({ timeout: 5 });
      if (database.kind === 'pglite') assert.ok(available, 'PGlite ships pgvector');
      await checkMigrationKeepsVectors(database.url, database.kind === 'pglite', available ? 'pgvector' : 'real_array');
    } finally {
      await database.drop();
    }
  });

  test('a database without pgvector: real[] stays, search is exact cosine', async () => {
    const embedded = await startEmbeddedPostgres({ vector: false });
    try {
      await checkMigrationKeepsVectors(embedded.url, true, 'real_array');
    } finally {
      await embedded.stop();
    }
  });
});
