// PostgreSQL restarted in the middle of an analysis: shared by the quick test
// and the fault run.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startCollectionAnalysis } from '../../api/analysis/start.ts';
import { migrate } from '../../db/migrate.ts';
import { createPool } from '../../db/pool.ts';
import { createStorage } from '../../storage/index.ts';
import { tempDirConfig } from '../support/temp-config.ts';
import { startTemporalDevServer } from '../../main/temporal-dev-server.ts';
import type { CollectionAnalysisResult } from '../../workflows/collection-analysis-contract.ts';
import { startOwnDatabase } from './own-database.ts';
import {
  assertExactlyOnce,
  configEnv,
  forkChild,
  retriesInHistory,
  seedDocuments,
  stopChild,
  type Child,
} from '../support/faults.ts';
import { eventually } from '../support/eventually.ts';

export async function postgresRestartScenario(options: { documents: number; restarts: number; downMs: number }) {
  const { dataDir, config } = await tempDirConfig('fileintel-pgrestart-', { page_size: 50 });
  const database = await startOwnDatabase();
  const pglite = database.kind === 'pglite';
  const sql = createPool(database.url, { db_pool_size: pglite ? 1 : 4 });
  const temporal = await startTemporalDevServer({});
  let worker: Child | undefined;
  const started = Date.now();
  try {
    await migrate(sql);
    const { storage } = await createStorage(config);
    const [{ id: collectionId }] = await sql`INSERT INTO collections (name) VALUES ('pg-restart') RETURNING id`;
    const documentIds = await seedDocuments(sql, storage, collectionId, options.documents);
    worker = await forkChild('worker-child.ts', {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporal.address,
      WORKER_DB_POOL: String(pglite ? 1 : config.db_pool_size),
      ...configEnv(config),
    });
    const { task_id } = await startCollectionAnalysis(
      { temporal: temporal.env.client, config, sql },
      {
        collectionId,
        selection: 'pending',
        options: { build_graph: true, extract_metadata: true, generate_embeddings: true },
      },
    );
    const processed = async () =>
      (
        await sql<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collectionId} AND status = 'processed'`
      )[0].n;
    const restarts: { atProcessed: number; inFlight: string[]; downMs: number }[] = [];
    for (let r = 0; r < options.restarts; r++) {
      const threshold = Math.floor(options.documents * (0.25 + 0.3 * r));
      await eventually(processed, (n) => n >= threshold, `${threshold} processed before restart ${r + 1}`, {
        timeoutMs: 15 * 60_000,
        everyMs: 200,
      });
      const busy = (
        await sql<
          { id: string }[]
        >`SELECT id FROM documents WHERE collection_id = ${collectionId} AND status = 'processing'`
      ).map((row) => row.id);
      const at = await processed();
      const downAt = Date.now();
      await database.restart(options.downMs);
      restarts.push({ atProcessed: at, inFlight: busy, downMs: Date.now() - downAt });
      console.log(
        `postgres-restart ${r + 1} (${database.kind}): at ${at}/${options.documents} processed, ${busy.length} in flight, down ${Date.now() - downAt} ms`,
      );
    }
    const result = (await temporal.env.client.workflow.getHandle(task_id).result()) as CollectionAnalysisResult;
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(result.processed, options.documents);
    const effect = await assertExactlyOnce(sql, storage, config, collectionId, options.documents);
    const runKey = task_id.split(':').pop()!;
    const history = await retriesInHistory(
      temporal.env.client,
      documentIds.map((id) => `document:${id}:${runKey}`),
    );
    const failedAttemptsLogged = (worker.stderr().match(/Activity failed/g) ?? []).length;
    return {
      database: database.kind,
      documents: options.documents,
      restarts: restarts.map((r) => ({ atProcessed: r.atProcessed, inFlight: r.inFlight.length, downMs: r.downMs })),
      result: { status: result.status, processed: result.processed, failed: result.failed },
      exactly_once: effect,
      retries_in_document_histories: history,
      activity_attempts_failed_in_worker_log: failedAttemptsLogged,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await stopChild(worker);
    await temporal.stop();
    await sql.end({ timeout: 2 }).catch(() => {});
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
