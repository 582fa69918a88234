import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCollectionAnalysisActivities } from '../../activities/collection-analysis.ts';
import { loadConfig } from '../../config/load.ts';
import { migrate } from '../../db/migrate.ts';
import { createPool, type Sql } from '../../db/pool.ts';
import { mergeTextSearchPendingList } from '../../db/queries/search.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * The end of a run merges the full-text index's pending list only when no
 * other collection is being analysed: beside a large run that keeps writing
 * chunks, the merge took in that run's writes too and held up the small run's
 * end (P6); the last run to finish does it.
 */
describe("a run's end leaves the search index's upkeep to the last run to finish", () => {
  let database: TestDatabase;
  let sql: Sql;
  let activities: ReturnType<typeof createCollectionAnalysisActivities>;
  const env = new MockActivityEnvironment();

  before(async () => {
    database = await createTestDatabase();
    const config = loadConfig({});
    sql = createPool(database.url, config);
    await migrate(sql);
    activities = createCollectionAnalysisActivities({ config, sql });
  });
  after(async () => {
    await sql?.end({ timeout: 5 });
    await database?.drop();
  });

  async function collectionWithChunk(name: string, status: string): Promise<string> {
    const [collection] = await sql`INSERT INTO collections (name, status) VALUES (${name}, ${status}) RETURNING id`;
    const [document] = await sql`
      INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash, status)
      VALUES (${collection.id}, 'a.txt', ${`${collection.id}/a.txt`}, 'text/plain', 10, ${name}, 'processed')
      RETURNING id`;
    await sql`
      INSERT INTO chunks (document_id, ordinal, text, token_count)
      VALUES (${document.id}, 0, ${`Words of ${name} waiting in the pending list of the full-text index.`}, 12)`;
    return collection.id;
  }

  const finish = (collectionId: string) =>
    env.run(activities.finishCollectionRun, {
      collectionId,
      runKey: null,
      status: 'completed' as const,
      lastError: null,
      recordEmbeddings: false,
    });
  const status = async (id: string) => (await sql`SELECT status FROM collections WHERE id = ${id}`)[0].status;

  test('another collection in analysis: the outcome is written, the pending list left for that run', async () => {
    await mergeTextSearchPendingList(sql);
    const large = await collectionWithChunk('large', 'processing');
    const small = await collectionWithChunk('small', 'processing');
    await finish(small);
    assert.equal(await status(small), 'completed');
    assert.equal(await status(large), 'processing');
    // The large run ends last: it merges what both wrote.
    await finish(large);
    assert.equal(await status(large), 'completed');
    assert.equal(await mergeTextSearchPendingList(sql), 0, 'nothing left pending after the last run');
  });

  test('the small run left its words pending while the large one ran (checked by merging them)', async () => {
    await mergeTextSearchPendingList(sql);
    const large = await collectionWithChunk('large-2', 'processing');
    const small = await collectionWithChunk('small-2', 'processing');
    await finish(small);
    assert.ok((await mergeTextSearchPendingList(sql)) >= 1, 'the small run did not merge while the large one ran');
    await sql`UPDATE collections SET status = 'completed' WHERE id = ${large}`;
  });

  test('alone: the run merges the list itself', async () => {
    await mergeTextSearchPendingList(sql);
    const alone = await collectionWithChunk('alone', 'processing');
    await finish(alone);
    assert.equal(await mergeTextSearchPendingList(sql), 0, 'merged by the run');
  });
});
