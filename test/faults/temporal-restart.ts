// The Temporal dev server stopped in the middle of a batch and started again
// with its SQLite file: shared by the fault run (20 s) and any shorter run.
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startApiServer } from '../../api/server.ts';
import { migrate } from '../../db/migrate.ts';
import { createPool } from '../../db/pool.ts';
import { createStorage } from '../../storage/index.ts';
import { tempDirConfig } from '../support/temp-config.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../../main/temporal-dev-server.ts';
import { createTestDatabase } from '../support/database.ts';
import { request } from '../support/http.ts';
import { freePort } from '../support/ports.ts';
import {
  assertExactlyOnce,
  configEnv,
  forkChild,
  seedDocuments,
  sleep,
  stopChild,
  type Child,
} from '../support/faults.ts';
import { eventually } from '../support/eventually.ts';

/** Processes (ours: the dev server we started) whose command line names this SQLite file. */
async function processesUsing(file: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(file)) pids.push(Number(entry));
  }
  return pids;
}

/** True when nothing accepts connections on the port. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

export async function temporalRestartScenario(options: { collections: number; documentsEach: number; downMs: number }) {
  const { dataDir, config } = await tempDirConfig('fileintel-temporal-restart-', { page_size: 10 });
  const database = await createTestDatabase();
  const pglite = database.kind === 'pglite';
  const sql = createPool(database.url, { db_pool_size: pglite ? 1 : 4 });
  const dbFilename = path.join(dataDir, 'temporal.sqlite');
  const port = await freePort();
  let server: TemporalDevServer | undefined = await startTemporalDevServer({ dbFilename, port });
  const address = server.address;
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace: config.temporal_namespace });
  const { storage, staging } = await createStorage(config);
  await staging.ensure();
  const api = await startApiServer({ config, sql, temporal, storage, staging }, '127.0.0.1', 0);
  let worker: Child | undefined;
  const startWorker = () =>
    forkChild('worker-child.ts', {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: address,
      WORKER_DB_POOL: String(pglite ? 1 : config.db_pool_size),
      ...configEnv(config),
    });
  const started = Date.now();
  try {
    await migrate(sql);
    const ids: string[] = [];
    for (let c = 0; c < options.collections; c++) {
      const [{ id }] = await sql`INSERT INTO collections (name) VALUES (${`temporal-restart-${c}`}) RETURNING id`;
      await seedDocuments(sql, storage, id, options.documentsEach);
      ids.push(id);
    }
    worker = await startWorker();
    const submitted = await request('POST', `${api.url}/collections/batch-process`, {
      tasks: ids.map((collection_id) => ({ collection_id, build_graph: true })),
      workflow_type: 'parallel',
    });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const batchId = submitted.body.data.batch_id as string;
    const total = options.collections * options.documentsEach;
    const processed = async () =>
      (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM documents WHERE status = 'processed'`)[0].n;
    const before = await eventually(processed, (n) => n >= total / 3, 'a third of the documents processed', {
      timeoutMs: 10 * 60_000,
      everyMs: 200,
    });

    await server.stop();
    server = undefined;
    const stoppedAt = Date.now();
    // teardown() can return while the server process is still shutting down; the
    // restart must not meet the old one on the same port and SQLite file.
    const lingering = await eventually(
      async () => (await processesUsing(dbFilename)).length === 0 && (await portIsFree(port)),
      Boolean,
      'the old server gone',
      { timeoutMs: 30_000, everyMs: 200 },
    ).then(
      () => [] as number[],
      async () => processesUsing(dbFilename),
    );
    if (lingering.length > 0)
      console.log(`temporal-restart: old server process(es) ${lingering.join(', ')} still running 30 s after stop`);
    assert.deepEqual(lingering, [], 'the stopped dev server exited');
    console.log(`temporal-restart: server stopped at ${before}/${total} processed`);
    const askedWhileDown = Date.now();
    const whileDownAnswer = request('GET', `${api.url}/batches/${batchId}`).then(
      (res) => ({
        status: res.status,
        code: (res.body as { error?: { code?: string } })?.error?.code ?? null,
        ms: Date.now() - askedWhileDown,
      }),
      (error: Error) => ({ status: 0, code: error.message, ms: Date.now() - askedWhileDown }),
    );
    await sleep(options.downMs);
    const processedWhileDown = (await processed()) - before;
    console.log('temporal-restart: starting the server again');
    server = await startTemporalDevServer({ dbFilename, port }).catch(async (error: Error) => {
      throw new Error(
        `restarting the dev server failed (${error.message}); processes on its file: ${JSON.stringify(await processesUsing(dbFilename))}`,
      );
    });
    const whileDown = await whileDownAnswer;
    const downMs = Date.now() - stoppedAt;
    const workerSurvived = worker.process.exitCode === null && worker.process.signalCode === null;
    if (!workerSurvived) worker = await startWorker();
    console.log(
      `temporal-restart: stopped at ${before}/${total} processed for ${downMs} ms (API answered ${JSON.stringify(whileDown)} meanwhile); worker ${workerSurvived ? 'kept running' : 'had exited and was restarted'}`,
    );

    const final = await eventually(
      () => request('GET', `${api.url}/batches/${batchId}`),
      (res) => res.status === 200 && res.body.data.status !== 'RUNNING',
      'the batch completes after the restart',
      { timeoutMs: 15 * 60_000, everyMs: 500 },
    );
    assert.equal(final.body.data.status, 'COMPLETED', JSON.stringify(final.body));
    const outcomes = final.body.data.collections.map((c: { status: string }) => c.status);
    let chunks = 0;
    for (const id of ids) chunks += (await assertExactlyOnce(sql, storage, config, id, options.documentsEach)).chunks;
    return {
      database: database.kind,
      collections: options.collections,
      documents: total,
      stopped_at_processed: before,
      down_ms: downMs,
      processed_while_down: processedWhileDown,
      api_while_down: whileDown,
      worker_survived_outage: workerSurvived,
      batch: { status: final.body.data.status, collections: outcomes, counts: final.body.data.counts },
      exactly_once: { documents: total, chunks },
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await stopChild(worker);
    await api.close();
    await connection.close();
    await server?.stop();
    await sql.end({ timeout: 2 }).catch(() => {});
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
