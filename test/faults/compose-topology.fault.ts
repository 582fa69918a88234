// docker-compose.yml's topology without containers (the container engine does
// not run here): the processes compose starts, as separate hosts, from what the
// compose file says: two API processes (behind the required API key), one
// worker per task queue (each service's `--queues`), the Temporal dev server
// with the dynamic config file compose mounts (fairness on) and no search
// attributes of its own (the workers register them, as on a fresh cluster),
// PostgreSQL, and an S3 store served by rclone. All four FileIntel processes
// start at once, as compose starts them (migrations, search attributes and
// Schedules race). A batch of two collections goes through: uploaded through
// one API, submitted and followed through the other, its document work done by
// the documents worker only. Each process then stops on SIGTERM within the
// compose file's stop_grace_period. P6 (fair shares) is not measured here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { parse } from 'yaml';
import { loadConfig } from '../../config/load.ts';
import { findTemporalCli } from '../../main/temporal-dev-server.ts';
import { workflowIds } from '../../workflows/ids.ts';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes.ts';
import { prose } from '../fixtures/documents.ts';
import { field, file, multipartBody } from '../fixtures/multipart.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import { freePort } from '../support/ports.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { startHostProcess, stopHost, type HostProcess } from './host-process.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const API_KEY = 'topology-test-key';
const DOCUMENTS_PER_COLLECTION = 6;

interface ComposeService {
  command?: string[];
  stop_grace_period?: string;
  environment?: Record<string, string>;
}
const compose = parse(readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
/** The compose services that run FileIntel's worker, with the task queues each serves (its `--queues`). */
const workerServices = Object.entries(compose.services)
  .filter(([, service]) => service.command?.includes('dist/main/worker.js'))
  .map(([name, service]) => ({ name, queues: service.command![service.command!.indexOf('--queues') + 1] }));
/** The dynamic config compose mounts into its Temporal server, as dev-server flags. */
const dynamicConfig = Object.entries(
  parse(readFileSync(path.join(repo, 'docker/temporal-dynamic-config.yaml'), 'utf8')) as Record<
    string,
    { value: unknown }[]
  >,
).flatMap(([key, [{ value }]]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
const graceMs = (service: string) =>
  Number(/^(\d+)s$/.exec(compose.services[service].stop_grace_period ?? '')![1]) * 1000;

describe('docker-compose.yml topology as processes: 2 APIs, a worker per task queue, dev server with the compose dynamic config, PostgreSQL, S3', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let s3: S3TestServer;
  const hosts: HostProcess[] = [];

  before(async () => {
    const cli = findTemporalCli();
    [temporal, database, s3] = await Promise.all([
      TestWorkflowEnvironment.createLocal({
        server: {
          executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
          ip: '127.0.0.1',
          log: { format: 'pretty', level: 'error' },
          extraArgs: dynamicConfig,
        },
      }),
      createTestDatabase(),
      startS3Server(),
    ]);
  });
  after(async () => {
    for (const host of hosts) await stopHost(host);
    for (const host of hosts) await rm(host.dir, { recursive: true, force: true });
    await temporal?.teardown();
    await database?.drop();
    await s3?.close();
  });

  test('all start at once; a batch goes through both APIs; document work on the documents worker only; clean stops', async () => {
    assert.deepEqual(
      workerServices.map((service) => service.queues).sort(),
      ['documents', 'workflows'],
      'compose runs one worker per task queue',
    );
    const pglite = database.kind === 'pglite';
    // The app environment compose gives (storage on the bucket, secrets from the environment), on this machine's services.
    const appEnv = {
      TEMPORAL_ADDRESS: temporal.address,
      DATABASE_URL: database.url,
      ...Object.fromEntries(
        Object.entries(s3.config).map(([key, value]) => [`FILEINTEL_${key.toUpperCase()}`, JSON.stringify(value)]),
      ),
      ...s3.env,
      FILEINTEL_TEXT_WORKER_THREADS: '1',
      FILEINTEL_MAX_CONCURRENT_ACTIVITIES: pglite ? '1' : '4',
      FILEINTEL_DB_POOL_SIZE: pglite ? '1' : '5',
    };
    assert.equal(compose.services.api.environment?.FILEINTEL_STORAGE_BACKEND, 's3');
    const apiPorts = [await freePort(), await freePort()];
    const started = await Promise.all([
      ...apiPorts.map((port, n) =>
        startHostProcess(
          `api-${n + 1}`,
          'main/api.ts',
          { ...appEnv, FILEINTEL_API_PORT: String(port), FILEINTEL_API_KEY: API_KEY },
          /\[api\] listening on /,
        ),
      ),
      ...workerServices.map((service) =>
        startHostProcess(
          service.name,
          'main/worker.ts',
          { ...appEnv, FILEINTEL_WORKER_QUEUES: service.queues },
          /\[worker\] polling/,
        ),
      ),
    ]);
    hosts.push(...started);
    const [apiA, apiB] = started.slice(0, 2).map((host) => /listening on (\S+)/.exec(host.readyLine)![1]);
    const documentsWorker = started[2 + workerServices.findIndex((service) => service.queues === 'documents')];
    const key = { 'x-api-key': API_KEY };

    // What the racing start-ups set up, once each.
    const client = temporal.client;
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const attribute of SEARCH_ATTRIBUTE_KEYS)
      assert.ok(attribute.name in (customAttributes ?? {}), attribute.name);
    const schedules: string[] = [];
    for await (const schedule of client.schedule.list()) schedules.push(schedule.scheduleId);
    assert.deepEqual(
      schedules.sort(),
      [workflowIds.reconcileStorageSchedule, workflowIds.settleClosedRunsSchedule].sort(),
    );

    // The key is required, on both APIs; /health is open.
    for (const api of [apiA, apiB]) {
      assert.equal((await request('GET', `${api}/collections`)).status, 401);
      assert.equal((await request('GET', `${api}/health`)).status, 200);
    }

    // Two collections, made and filled through API A.
    const collections: string[] = [];
    for (const name of ['topology-a', 'topology-b']) {
      const created = await request('POST', `${apiA}/collections`, { name }, key);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.data.id as string;
      const parts = Array.from({ length: DOCUMENTS_PER_COLLECTION }, (_, i) =>
        file(`${name}-${i}.txt`, Buffer.from(`${name} ${i}. ${prose(name, 6 + i)}`)),
      );
      const { body, contentType } = multipartBody([...parts, field('process_immediately', 'false')]);
      const upload = await fetch(`${apiA}/collections/${id}/upload-and-process`, {
        method: 'POST',
        headers: { ...key, 'content-type': contentType },
        body,
      });
      const uploaded = (await upload.json()) as { data: { counts: { stored: number } } };
      assert.equal(upload.status, 200, JSON.stringify(uploaded));
      assert.equal(uploaded.data.counts.stored, DOCUMENTS_PER_COLLECTION);
      collections.push(id);
    }

    // The batch: submitted through API B, followed through API A.
    const submitted = await request(
      'POST',
      `${apiB}/collections/batch-process`,
      { tasks: collections.map((id) => ({ collection_id: id })), workflow_type: 'parallel' },
      key,
    );
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const batchId = submitted.body.data.batch_id as string;
    const finished = await eventually(
      async () => (await request('GET', `${apiA}/batches/${batchId}`, undefined, key)).body.data,
      (data) => data?.status !== 'RUNNING',
      'the batch ends',
      { timeoutMs: 5 * 60_000, everyMs: 500 },
    );
    assert.equal(finished.status, 'COMPLETED', JSON.stringify(finished));
    for (const item of finished.collections) {
      assert.equal(item.processed, DOCUMENTS_PER_COLLECTION, JSON.stringify(item));
      assert.equal(item.failed, 0, JSON.stringify(item));
    }

    // Every document activity was scheduled on the documents queue and run by the documents worker.
    const config = loadConfig({});
    let documentActivities = 0;
    for await (const execution of client.workflow.list({ query: `ExecutionStatus = 'Completed'` })) {
      const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      const queueOf = new Map<number, string>();
      for (const event of history.events ?? []) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled) queueOf.set(Number(event.eventId), scheduled.taskQueue?.name ?? '');
        const startedEvent = event.activityTaskStartedEventAttributes;
        if (startedEvent && queueOf.get(Number(startedEvent.scheduledEventId)) === config.document_task_queue) {
          documentActivities++;
          assert.match(startedEvent.identity ?? '', new RegExp(`^${documentsWorker.pid}@`), execution.workflowId);
        }
      }
    }
    assert.ok(documentActivities > 0, 'document work ran on the documents queue');

    // docker compose stop: SIGTERM, then SIGKILL after stop_grace_period. Each stops cleanly before that.
    for (const host of hosts) {
      const service = host.name.startsWith('api') ? 'api' : host.name;
      const before = Date.now();
      host.process.kill('SIGTERM');
      const killer = setTimeout(() => host.process.kill('SIGKILL'), graceMs(service));
      await host.exited;
      clearTimeout(killer);
      assert.equal(host.process.exitCode, 0, `${host.name} exits 0 on SIGTERM:\n${host.output().slice(-2_000)}`);
      assert.ok(Date.now() - before < graceMs(service), `${host.name} stopped within ${graceMs(service)} ms`);
    }
  });
});
