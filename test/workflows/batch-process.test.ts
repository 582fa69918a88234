import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { insertCollectionWith } from '../support/seed.ts';
import { eventually } from '../support/eventually.ts';
import { recordHistoryIfAsked } from '../support/histories.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/**
 * batchProcess over the real collectionAnalysis and documentProcessing
 * workflows and the real collection activities; only the document activity
 * (processDocument) is a stand-in that records when each document started and ended in the database
 * (how long it takes and whether it fails come from the file name), so the
 * tests can check the ordering of whole collections.
 */
describe('batchProcess workflow', () => {
  let stack: TestStack;
  let url: string;
  let callbackServer: http.Server;
  const callbacks: unknown[] = [];

  before(async () => {
    callbackServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        callbacks.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    callbackServer.listen(0, '127.0.0.1');
    await once(callbackServer, 'listening');

    stack = await startTestStack({
      worker: false,
      // No groups: processDocument is the stand-in, so every document is its own documentProcessing workflow.
      config: {
        max_parallel_collections: 2,
        max_concurrent_documents: 2,
        page_size: 5,
        small_document_mb: 0,
        callback_allowed_hosts: ['127.0.0.1'],
      },
    });
    url = stack.apiUrl;
    await stack.sql`CREATE TABLE document_runs (document_id uuid, collection_id uuid, started_at timestamptz NOT NULL DEFAULT clock_timestamp(), ended_at timestamptz)`;
    const real = stack.realActivities();
    await stack.startWorker({
      ...real,
      async processDocument({ documentId }: { documentId: string }) {
        const [doc] = await stack.sql`SELECT collection_id, original_filename FROM documents WHERE id = ${documentId}`;
        const [run] =
          await stack.sql`INSERT INTO document_runs (document_id, collection_id) VALUES (${documentId}, ${doc.collection_id}) RETURNING ctid`;
        try {
          const ms = doc.original_filename.startsWith('slow') ? 30_000 : 150;
          for (let waited = 0; waited < ms; waited += 50) {
            Context.current().heartbeat();
            await Context.current().sleep(50);
          }
          if (doc.original_filename.startsWith('bad'))
            throw ApplicationFailure.nonRetryable('extract: not a real PDF', 'UnreadableDocument');
          return { chunks: 1, pages: null };
        } finally {
          await stack.sql`UPDATE document_runs SET ended_at = clock_timestamp() WHERE ctid = ${run.ctid}`;
        }
      },
    });
  });
  after(async () => {
    await stack?.teardown();
    callbackServer?.close();
  });

  let counter = 0;
  /** A collection with documents named as given (their names steer the stand-in). */
  const collectionWith = (...filenames: string[]) => insertCollectionWith(stack.sql, `batch-c${++counter}`, filenames);

  async function submit(body: Record<string, unknown>) {
    const res = await request('POST', `${url}/collections/batch-process`, body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.data as { batch_id: string; task_id: string };
  }

  const finished = (batchId: string) =>
    eventually(
      () => request('GET', `${url}/batches/${batchId}`),
      (res) => res.body.data.status !== 'RUNNING',
      `batch ${batchId} ends`,
      { timeoutMs: 3 * 60_000 },
    ).then((res) => res.body.data);

  /** Each collection's span: first document started to last document ended. */
  async function spans(collectionIds: string[]) {
    return stack.sql<{ collection_id: string; first: Date; last: Date; open: number }[]>`
      SELECT collection_id, min(started_at) AS first, max(ended_at) AS last, count(*) FILTER (WHERE ended_at IS NULL)::int AS open
      FROM document_runs WHERE collection_id = ANY(${collectionIds}::uuid[]) GROUP BY collection_id`;
  }

  test('sequential is a true chain: no two collections ever overlap, in the order asked; outcomes are honest; the callback gets the result', async () => {
    const a = await collectionWith('a1.txt', 'a2.txt', 'a3.txt');
    const b = await collectionWith('b1.txt', 'b2.txt', 'b3.txt');
    const c = await collectionWith('c1.txt', 'bad-c2.pdf');
    const { batch_id, task_id } = await submit({
      tasks: [{ collection_id: a.name }, { collection_id: b.id }, { collection_id: c.name }],
      workflow_type: 'sequential',
      callback_url: `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/done`,
    });
    const batch = await finished(batch_id);
    assert.equal(batch.status, 'COMPLETED_WITH_ERRORS');
    assert.deepEqual(
      batch.collections.map((item: { name: string; status: string; processed: number; failed: number }) => [
        item.name,
        item.status,
        item.processed,
        item.failed,
      ]),
      [
        [a.name, 'completed', 3, 0],
        [b.name, 'completed', 3, 0],
        [c.name, 'completed_with_errors', 1, 1],
      ],
    );
    assert.deepEqual(batch.counts, { completed: 2, completed_with_errors: 1 });

    const byId = new Map((await spans([a.id, b.id, c.id])).map((span) => [span.collection_id, span]));
    const ordered = [a, b, c].map((collection) => byId.get(collection.id)!);
    for (let i = 1; i < ordered.length; i++) {
      assert.ok(ordered[i - 1].last <= ordered[i].first, `collection ${i} started before collection ${i - 1} ended`);
    }
    const [collectionC] = await stack.sql`SELECT status FROM collections WHERE id = ${c.id}`;
    assert.equal(collectionC.status, 'completed_with_errors');

    await eventually(
      async () => callbacks.length,
      (n) => n > 0,
      'callback received',
    );
    const posted = callbacks.at(-1) as { batch_id: string; task_id: string; status: string };
    assert.deepEqual([posted.batch_id, posted.task_id, posted.status], [batch_id, task_id, 'completed_with_errors']);
    await recordHistoryIfAsked(stack.temporal.workflow.getHandle(task_id), 'batch-process-sequential');
  });

  test('parallel never has more than max_parallel collections in flight, and the children carry the BatchId', async () => {
    const collections = [];
    for (let i = 0; i < 4; i++) collections.push(await collectionWith(`p${i}-1.txt`, `p${i}-2.txt`, `p${i}-3.txt`));
    const { batch_id, task_id } = await submit({
      tasks: collections.map((c) => ({ collection_id: c.id })),
      workflow_type: 'parallel',
      max_parallel: 2,
    });
    const batch = await finished(batch_id);
    assert.equal(batch.status, 'COMPLETED');

    const intervals = (await spans(collections.map((c) => c.id))).map(
      (span) => [span.first.getTime(), span.last.getTime()] as const,
    );
    assert.equal(intervals.length, 4);
    const events = intervals
      .flatMap(
        ([start, end]) =>
          [
            [start, +1],
            [end, -1],
          ] as const,
      )
      .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let inFlight = 0;
    let peak = 0;
    for (const [, delta] of events) peak = Math.max(peak, (inFlight += delta));
    assert.equal(peak, 2, 'two at once, never three');

    const children = await eventually(
      () => request('GET', `${url}/tasks?batch=${batch_id}&kind=collection_analysis`),
      (res) => res.body.data.tasks.length === 4,
      'children listed by BatchId',
    );
    assert.ok(children.body.data.tasks.every((t: { status: string }) => t.status === 'COMPLETED'));
    await recordHistoryIfAsked(stack.temporal.workflow.getHandle(task_id), 'batch-process-parallel');
  });

  test('stop_on_failure stops the chain at the first failed collection and reports the rest skipped, untouched', async () => {
    const broken = await collectionWith('bad-1.pdf', 'bad-2.pdf');
    const untouched = await collectionWith('u1.txt');
    const { batch_id } = await submit({
      tasks: [{ collection_id: broken.id }, { collection_id: untouched.id }],
      workflow_type: 'sequential',
      stop_on_failure: true,
    });
    const batch = await finished(batch_id);
    assert.equal(batch.status, 'FAILED');
    assert.deepEqual(batch.collections[0].status, 'failed');
    assert.deepEqual(batch.collections[1].status, 'skipped');
    assert.match(batch.collections[1].reason, new RegExp(`stopped after ${broken.name} ended failed`));
    assert.equal((await spans([untouched.id])).length, 0, 'no document of the skipped collection ran');
    const [row] = await stack.sql`SELECT status FROM documents WHERE collection_id = ${untouched.id}`;
    assert.equal(row.status, 'uploaded');
  });

  test('cancelling a batch in flight cancels every child; by the time it shows CANCELLED, cleanup is done and nothing runs', async () => {
    const first = await collectionWith('slow-1.txt', 'slow-2.txt', 'slow-3.txt');
    const second = await collectionWith('slow-4.txt', 'slow-5.txt');
    const { batch_id, task_id } = await submit({
      tasks: [{ collection_id: first.id }, { collection_id: second.id }],
      workflow_type: 'parallel',
    });
    await eventually(
      async () => (await spans([first.id, second.id])).length,
      (n) => n === 2,
      'both collections running',
    );

    const cancel = await request('POST', `${url}/batches/${batch_id}/cancel`, {});
    assert.deepEqual(cancel.body.data, { batch_id, task_id, outcome: 'cancel_requested', status: 'RUNNING' });
    const batch = await finished(batch_id);
    assert.equal(batch.status, 'CANCELLED');
    assert.ok(
      batch.collections.every((item: { status: string }) => item.status === 'cancelled'),
      JSON.stringify(batch.collections),
    );

    // Checked right away: the CANCELLED status comes only after the cleanup.
    const collections = await stack.sql`SELECT status FROM collections WHERE id IN (${first.id}, ${second.id})`;
    assert.deepEqual(
      collections.map((row) => row.status),
      ['cancelled', 'cancelled'],
    );
    const documents =
      await stack.sql`SELECT status FROM documents WHERE collection_id IN (${first.id}, ${second.id}) AND status IN ('processing')`;
    assert.equal(documents.length, 0, 'no document left processing');
    const stillRunning = await spans([first.id, second.id]);
    assert.ok(
      stillRunning.every((span) => span.open === 0),
      'every extraction activity has ended',
    );
    assert.equal(await stack.staging.count(), 0, 'no staged file left');
    const running = await stack.temporal.workflow.count(`BatchId = '${batch_id}' AND ExecutionStatus = 'Running'`);
    assert.equal(running.count, 0, 'no child still running');

    const again = await request('POST', `${url}/batches/${batch_id}/cancel`, {});
    assert.equal(again.body.data.outcome, 'already_completed');
    await recordHistoryIfAsked(stack.temporal.workflow.getHandle(task_id), 'batch-process-cancelled');
  });

  test('terminate differs from cancel: the batch and its children stop at once and no cleanup runs', async () => {
    const slow = await collectionWith('slow-t1.txt');
    const { batch_id, task_id } = await submit({ tasks: [{ collection_id: slow.id }] });
    await eventually(
      async () => (await spans([slow.id])).length,
      (n) => n === 1,
      'collection running',
    );
    const res = await request('POST', `${url}/tasks/${task_id}/cancel`, { terminate: true, reason: 'operator' });
    assert.equal(res.body.data.outcome, 'terminated');
    assert.equal((await stack.temporal.workflow.getHandle(task_id).describe()).status.name, 'TERMINATED');
    const [collection] = await stack.sql`SELECT status FROM collections WHERE id = ${slow.id}`;
    assert.equal(collection.status, 'processing', 'a terminate runs no collection cleanup');
    const batch = await request('GET', `${url}/batches/${batch_id}`);
    assert.equal(batch.body.data.status, 'TERMINATED');
  });
});
