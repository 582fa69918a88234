import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDocumentProcessingActivities } from '../../activities/document-processing/index.ts';
import { createTextWorkPool, type TextWork } from '../../activities/text-work/pool.ts';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { migrate } from '../../db/migrate.ts';
import { createPool, type Sql } from '../../db/pool.ts';
import { LocalDirectoryStorage } from '../../storage/local-storage.ts';
import type { FixtureFile } from '../fixtures/documents.ts';
import { createTestDatabase } from './database.ts';

export interface DocumentActivitiesHarness {
  config: Config;
  sql: Sql;
  /** The storage directory. */
  dir: string;
  textWork: TextWork;
  activities: ReturnType<typeof createDocumentProcessingActivities>;
  /** A collection the documents go in. */
  collectionId: string;
  /** Inserts a document row (status `uploaded`) and writes its file, unless `stored` is false (a missing file). */
  storeDocument(fixture: FixtureFile, options?: { stored?: boolean }): Promise<string>;
  teardown(): Promise<void>;
}

/**
 * The document activities for an activity-level test file: a database of its
 * own, a storage directory, a text worker pool and one collection. `env`
 * overrides config as FILEINTEL_* variables would.
 */
export async function startDocumentActivities(
  collectionName: string,
  env: NodeJS.ProcessEnv = {},
): Promise<DocumentActivitiesHarness> {
  const database = await createTestDatabase();
  const config = loadConfig(env);
  const sql = createPool(database.url, config, { singleConnection: database.kind === 'pglite' });
  await migrate(sql);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-documents-'));
  const textWork = createTextWorkPool(config);
  const activities = createDocumentProcessingActivities({
    config,
    sql,
    storage: new LocalDirectoryStorage(dir),
    textWork,
  });
  const [{ id: collectionId }] = await sql`INSERT INTO collections (name) VALUES (${collectionName}) RETURNING id`;

  return {
    config,
    sql,
    dir,
    textWork,
    activities,
    collectionId,
    storeDocument: (fixture, options) => storeDocumentIn({ sql, dir }, collectionId, fixture, options),
    async teardown() {
      await textWork.close();
      await sql.end({ timeout: 5 });
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Inserts a document row (status `uploaded`) in the collection and writes its file under `dir`, unless `stored` is false. */
export async function storeDocumentIn(
  where: { sql: Sql; dir: string },
  collectionId: string,
  fixture: FixtureFile,
  options: { stored?: boolean } = {},
): Promise<string> {
  const key = `${collectionId}/${randomUUID()}-${fixture.filename}`;
  if (options.stored !== false) {
    await mkdir(path.join(where.dir, collectionId), { recursive: true });
    await writeFile(path.join(where.dir, key), fixture.bytes);
  }
  const [row] = await where.sql`
    INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
    VALUES (${collectionId}, ${fixture.filename}, ${key}, ${fixture.mimeType}, ${fixture.bytes.length}, ${key})
    RETURNING id`;
  return row.id;
}
