// docker-compose.yml's topology without containers (the container engine does
// not run here): the processes compose starts, as separate hosts, from what the
// compose file says (test/faults/compose-topology.ts): two API processes
// (behind the required API key), one worker per task queue (each service's
// `--queues`), the Temporal dev server with the dynamic config file compose
// mounts (fairness on) and no search attributes of its own (the workers
// register them, as on a fresh cluster), PostgreSQL, and an S3 store served by
// rclone. All four FileIntel processes start at once, as compose starts them
// (migrations, search attributes and Schedules race). A batch of two
// collections goes through: uploaded through one API, submitted and followed
// through the other, its document work done by the documents worker only. Each
// process then stops on SIGTERM within the compose file's stop_grace_period.
// P6 (fair shares) on this topology: `npm run bench -- p6topology`
// (bench/fair-shares-topology.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../config/load.ts';
import { workflowIds } from '../../workflows/ids.ts';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes.ts';
import { prose } from '../fixtures/documents.ts';
import { field, file, multipartBody } from '../fixtures/multipart.ts';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import {
  compose,
  graceMs,
  startComposeTopology,
  TOPOLOGY_API_KEY,
  workerServices,
  type ComposeTopology,
} from './compose-topology.ts';

const DOCUMENTS_PER_COLLECTION = 6;

describe('docker-compose.yml topology as processes: 2 APIs, a worker per task queue, dev server with the compose dynamic config, PostgreSQL, S3', () => {
  let topology: ComposeTopology;

  before(() => {
    assert.deepEqual(
      workerServices.map((service) => service.queues).sort(),
      ['documents', 'workflows'],
      'compose runs one worker per task queue',
    );
    assert.equal(compose.services.api.environment?.FILEINTEL_STORAGE_BACKEND, 's3');
  });
  after(async () => {
    await topology?.stop();
  });

  test('all start at once; a batch goes through both APIs; document work on the documents worker only; clean stops', async () => {
    // All four FileIntel processes at once, with the app environment compose gives (storage on the bucket, secrets
    // from the environment) on this machine's services.
    topology = await startComposeTopology();
    const { temporal, hosts, documentsWorker } = topology;
    const [apiA, apiB] = topology.apis;
    const key = { 'x-api-key': TOPOLOGY_API_KEY };

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
