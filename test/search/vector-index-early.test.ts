import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { hasVectorIndex, vectorStorage } from '../../db/queries/search.ts';
import { startDocumentActivities, type DocumentActivitiesHarness } from '../support/document-activities.ts';

const EMBEDDINGS_ONLY = { extract_metadata: false, generate_embeddings: true, build_graph: false };
const DIMENSION = 384;

/**
 * On PGlite (which ships pgvector, whatever DATABASE_URL names): the HNSW
 * index of a dimension exists as soon as one document's vectors are written,
 * not only when an analysis ends (when building it over a whole run's
 * vectors held PGlite's only session for minutes).
 */
describe('the HNSW index of a dimension is built with its first vectors', () => {
  let harness: DocumentActivitiesHarness;
  const databaseUrl = process.env.DATABASE_URL;
  before(async () => {
    delete process.env.DATABASE_URL;
    // As under `npm start`: the embeddings step then writes its vectors a few per transaction.
    process.env.DATABASE_EMBEDDED = 'pglite';
    harness = await startDocumentActivities('vector-index-early');
  });
  after(async () => {
    if (databaseUrl !== undefined) process.env.DATABASE_URL = databaseUrl;
    delete process.env.DATABASE_EMBEDDED;
    await harness?.teardown();
  });

  test('one processed document, no analysis: the index is there, every chunk has its vector; a second document finds it and changes nothing', async () => {
    assert.equal(await vectorStorage(harness.sql), 'pgvector');
    assert.equal(await hasVectorIndex(harness.sql, DIMENSION), false);
    const text = (n: number) => ({
      filename: `notes-${n}.txt`,
      mimeType: 'text/plain',
      bytes: new TextEncoder().encode(`Radium and polonium, notebook ${n}. `.repeat(800)),
    });
    for (const n of [1, 2]) {
      const documentId = await harness.storeDocument(text(n));
      await new MockActivityEnvironment({ attempt: 1 }).run(harness.activities.processDocument, {
        documentId,
        options: EMBEDDINGS_ONLY,
      });
      assert.equal(await hasVectorIndex(harness.sql, DIMENSION), true, `after document ${n}`);
      const [counts] = await harness.sql<{ chunks: number; without: number }[]>`
        SELECT count(*)::int AS chunks, count(*) FILTER (WHERE embedding IS NULL)::int AS without
        FROM chunks WHERE document_id = ${documentId}`;
      assert.ok(counts.chunks > 20, `${counts.chunks} chunks: more than one write's worth`);
      assert.equal(counts.without, 0, 'every chunk has its vector');
    }
    const [{ indexed }] = await harness.sql<{ indexed: number }[]>`
      SELECT count(*)::int AS indexed FROM pg_indexes WHERE indexname LIKE 'chunks_embedding_hnsw_%'`;
    assert.equal(indexed, 1);
  });
});
