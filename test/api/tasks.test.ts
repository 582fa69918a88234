import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { reconcileStorage } from '../../workflows/reconcile-storage.ts';
import { BatchIdKey, CollectionIdKey, KindKey } from '../../workflows/search-attributes.ts';
import { eventually } from '../support/eventually.ts';
import { insertCollectionWith } from '../support/seed.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/** Nobody polls this queue: workflows started on it stay RUNNING until cancelled or terminated. */
const IDLE_QUEUE = 'nobody-polls-this-queue';

describe('tasks: list and cancel through Temporal (real dev server)', () => {
  let stack: TestStack;
  let url: string;
  const attributes = (kind: string, collection: string, batch?: string): SearchAttributePair[] => [
    { key: KindKey, value: kind },
    { key: CollectionIdKey, value: collection },
    ...(batch ? [{ key: BatchIdKey, value: batch }] : []),
  ];

  const startIdle = (id: string, kind: string, collection: string, batch?: string, timeout?: string) =>
    stack.temporal.workflow.start(reconcileStorage, {
      workflowId: id,
      taskQueue: IDLE_QUEUE,
      args: [{ repair: false }],
      typedSearchAttributes: attributes(kind, collection, batch),
      workflowExecutionTimeout: timeout,
    });

  const cancelRequested = async (handle: WorkflowHandle) => {
    const history = await handle.fetchHistory();
    return history.events!.some((event) => event.workflowExecutionCancelRequestedEventAttributes);
  };

  before(async () => {
    stack = await startTestStack();
    url = stack.apiUrl;
  });
  after(() => stack?.teardown());

  test('batch cancel over mixed states gives exact per-id outcomes and counts', async () => {
    const running = await Promise.all(
      Array.from({ length: 20 }, (_, i) => startIdle(`mixed-running-${i}`, 'collection_analysis', 'c-mixed')),
    );
    const completed = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        stack.temporal.workflow.start(reconcileStorage, {
          workflowId: `mixed-completed-${i}`,
          taskQueue: stack.config.task_queue,
          args: [{ repair: false }],
          typedSearchAttributes: attributes('reconcile_storage', 'c-mixed'),
        }),
      ),
    );
    await Promise.all(completed.map((handle) => handle.result()));
    const timedOut = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        startIdle(`mixed-timed-out-${i}`, 'collection_analysis', 'c-mixed', undefined, '1s'),
      ),
    );
    for (const handle of timedOut)
      await eventually(
        () => handle.describe(),
        (d) => d.status.name === 'TIMED_OUT',
        'timed out',
      );
    const terminated = await startIdle('mixed-terminated', 'collection_analysis', 'c-mixed');
    await terminated.terminate('set-up');

    const ids = [
      ...running.map((h) => h.workflowId),
      ...completed.map((h) => h.workflowId),
      ...timedOut.map((h) => h.workflowId),
      terminated.workflowId,
      'collection-analysis:unknown:1',
      'no-such-task',
      "x'; DROP TABLE collections; --",
      running[0].workflowId, // duplicates count once
      completed[0].workflowId,
    ];
    const res = await request('POST', `${url}/tasks/batch/cancel`, { task_ids: ids });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { results, summary, total } = res.body.data;
    assert.equal(total, ids.length - 2);
    assert.deepEqual(summary, { cancelled: 20, terminated: 0, already_completed: 9, not_found: 3, errors: 0 });
    const byId = new Map(results.map((r: { task_id: string }) => [r.task_id, r]));
    assert.deepEqual(byId.get(completed[1].workflowId), {
      task_id: completed[1].workflowId,
      outcome: 'already_completed',
      status: 'COMPLETED',
    });
    // Cancelled means requested: nobody runs these workflows' cleanup, so they are cancelling, not cancelled.
    assert.deepEqual(byId.get(running[1].workflowId), {
      task_id: running[1].workflowId,
      outcome: 'cancelled',
      status: 'CANCELLING',
    });
    // Read while no worker answers its progress query: the query is given up (and its call ends) after a few seconds.
    const cancelling = await request('GET', `${url}/tasks/${running[1].workflowId}/status`);
    assert.deepEqual([cancelling.body.data.status, cancelling.body.data.progress], ['CANCELLING', null]);
    assert.equal((byId.get(timedOut[0].workflowId) as { status: string }).status, 'TIMED_OUT');
    assert.equal((byId.get(terminated.workflowId) as { status: string }).status, 'TERMINATED');
    assert.equal((byId.get('no-such-task') as { outcome: string }).outcome, 'not_found');
    for (const handle of running.slice(0, 3))
      assert.ok(await cancelRequested(handle), 'a cancel request reached the workflow');
    // The summary is the results counted, not numbers kept aside.
    for (const key of ['cancelled', 'already_completed', 'not_found'] as const) {
      const outcome = key;
      assert.equal(summary[key], results.filter((r: { outcome: string }) => r.outcome === outcome).length);
    }
  });

  test('terminate is one call and differs from cancel: the task ends TERMINATED at once', async () => {
    const handle = await startIdle('terminate-me', 'collection_analysis', 'c-term');
    const res = await request('POST', `${url}/tasks/${handle.workflowId}/cancel`, { terminate: true, reason: 'test' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, { task_id: 'terminate-me', outcome: 'terminated' });
    const described = await handle.describe();
    assert.equal(described.status.name, 'TERMINATED');
    assert.equal(await cancelRequested(handle), false, 'no cancel before the terminate');

    const again = await request('POST', `${url}/tasks/${handle.workflowId}/cancel`, {});
    assert.deepEqual(again.body.data, { task_id: 'terminate-me', outcome: 'already_completed', status: 'TERMINATED' });
  });

  test('an unknown or malformed task id is 404 on status and cancel alike; one over 300 characters is 400 on both; bad bodies are 400', async () => {
    for (const id of ['does-not-exist', "a'b", '$(reboot)', 'x'.repeat(300)]) {
      const status = await request('GET', `${url}/tasks/${encodeURIComponent(id)}/status`);
      const cancel = await request('POST', `${url}/tasks/${encodeURIComponent(id)}/cancel`, {});
      for (const res of [status, cancel]) {
        assert.equal(res.status, 404, id.slice(0, 40));
        assert.equal(res.body.error.code, 'not_found');
      }
    }
    const tooLong = encodeURIComponent('x'.repeat(301));
    for (const res of [
      await request('GET', `${url}/tasks/${tooLong}/status`),
      await request('POST', `${url}/tasks/${tooLong}/cancel`, {}),
    ]) {
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'validation_error');
      assert.match(res.body.error.message, /path\.id/);
    }
    const listed = await request('POST', `${url}/tasks/batch/cancel`, { task_ids: ['x'.repeat(301)] });
    assert.equal(listed.status, 400, 'a listed id is held to the same limit');
    const bad = await request('POST', `${url}/tasks/does-not-exist/cancel`, { terminate: 'yes' });
    assert.equal(bad.status, 400);
  });

  test('cancel by batch_id and by collection_id reaches every running task carrying that search attribute', async () => {
    const inBatch = await Promise.all(
      Array.from({ length: 4 }, (_, i) => startIdle(`sel-batch-${i}`, 'collection_analysis', `c-sel-${i}`, 'b-sel')),
    );
    const otherBatch = await startIdle('sel-other', 'collection_analysis', 'c-sel-x', 'b-other');
    const inCollection = await Promise.all(
      Array.from({ length: 3 }, (_, i) => startIdle(`sel-col-${i}`, 'document_processing', 'c-picked')),
    );
    await eventually(
      () => request('GET', `${url}/tasks?batch=b-sel&status=RUNNING`),
      (res) => res.body.data?.tasks.length === 4,
      'visibility shows the batch',
    );

    const byBatch = await request('POST', `${url}/tasks/batch/cancel`, { batch_id: 'b-sel', terminate: true });
    assert.equal(byBatch.status, 200);
    assert.deepEqual(byBatch.body.data.summary, {
      cancelled: 0,
      terminated: 4,
      already_completed: 0,
      not_found: 0,
      errors: 0,
    });
    for (const handle of inBatch) assert.equal((await handle.describe()).status.name, 'TERMINATED');
    assert.equal((await otherBatch.describe()).status.name, 'RUNNING', 'another batch is untouched');

    await eventually(
      () => request('GET', `${url}/tasks?collection=c-picked&status=RUNNING`),
      (res) => res.body.data?.tasks.length === 3,
      'collection visible',
    );
    const byCollection = await request('POST', `${url}/tasks/batch/cancel`, { collection_id: 'c-picked' });
    assert.deepEqual(byCollection.body.data.summary, {
      cancelled: 3,
      terminated: 0,
      already_completed: 0,
      not_found: 0,
      errors: 0,
    });
    for (const handle of inCollection) assert.ok(await cancelRequested(handle));
  });

  test('over max_cancel_batch_size is 400 naming the limit, and nothing is cancelled', async () => {
    const handle = await startIdle('not-cancelled', 'collection_analysis', 'c-limit');
    const ids = [
      handle.workflowId,
      ...Array.from({ length: stack.config.max_cancel_batch_size }, (_, i) => `filler-${i}`),
    ];
    const res = await request('POST', `${url}/tasks/batch/cancel`, { task_ids: ids });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'limit_exceeded');
    assert.deepEqual(res.body.error.details, {
      limit: 'max_cancel_batch_size',
      allowed: stack.config.max_cancel_batch_size,
      actual: ids.length,
    });
    assert.equal(await cancelRequested(handle), false);
    // Exactly the limit, counting duplicates once, is accepted.
    const atLimit = [...ids.slice(0, stack.config.max_cancel_batch_size), handle.workflowId];
    assert.equal((await request('POST', `${url}/tasks/batch/cancel`, { task_ids: atLimit })).status, 200);
  });

  const badBatchBodies: [string, unknown][] = [
    ['no selector', {}],
    ['two selectors', { task_ids: ['a'], batch_id: 'b' }],
    ['an empty id list', { task_ids: [] }],
    ['ids that are not strings', { task_ids: [1, 2] }],
    ['a batch id with quotes', { batch_id: "b' OR '1'='1" }],
    ['an unknown field', { task_ids: ['a'], everything: true }],
  ];
  for (const [what, body] of badBatchBodies) {
    test(`batch cancel with ${what} is 400`, async () => {
      const res = await request('POST', `${url}/tasks/batch/cancel`, body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'validation_error');
    });
  }

  test('GET /tasks filters by collection, batch, status and kind, newest first, paged', async () => {
    const handles = [];
    for (let i = 0; i < 5; i++) handles.push(await startIdle(`list-${i}`, 'batch_process', 'c-list', 'b-list'));
    await startIdle('list-other-kind', 'document_processing', 'c-list', 'b-list');
    const all = await eventually(
      () => request('GET', `${url}/tasks?batch=b-list&kind=batch_process`),
      (res) => res.body.data?.tasks.length === 5,
      'listed',
    );
    assert.deepEqual(
      all.body.data.tasks.map((t: { task_id: string }) => t.task_id),
      ['list-4', 'list-3', 'list-2', 'list-1', 'list-0'],
    );
    const first = all.body.data.tasks[0];
    assert.deepEqual(
      { ...first, started_at: typeof first.started_at },
      {
        task_id: 'list-4',
        kind: 'batch_process',
        status: 'RUNNING',
        collection_id: 'c-list',
        batch_id: 'b-list',
        started_at: 'string',
        closed_at: null,
        outcome: null,
      },
    );

    const page1 = await request('GET', `${url}/tasks?batch=b-list&limit=4`);
    assert.equal(page1.body.data.tasks.length, 4);
    assert.ok(page1.body.data.next_page_token);
    const page2 = await request(
      'GET',
      `${url}/tasks?batch=b-list&limit=4&page_token=${page1.body.data.next_page_token}`,
    );
    assert.equal(page2.body.data.tasks.length, 2);
    const seen = new Set(
      [...page1.body.data.tasks, ...page2.body.data.tasks].map((t: { task_id: string }) => t.task_id),
    );
    assert.equal(seen.size, 6);

    await handles[0].terminate();
    await eventually(
      () => request('GET', `${url}/tasks?batch=b-list&status=TERMINATED`),
      (res) => res.body.data?.tasks.length === 1,
      'status filter',
    );

    for (const query of [
      'status=DONE',
      'kind=nope',
      "collection=a'b",
      'limit=0',
      'page_token=%%%',
      'page_token=AAAA',
      'page_token=eyJ9',
      'colour=red',
    ]) {
      assert.equal((await request('GET', `${url}/tasks?${query}`)).status, 400, query);
    }
  });

  test('GET /tasks/metrics: running tasks by kind, closed ones of the last day by status, the workers polling the task queue', async () => {
    const before = (await request('GET', `${url}/tasks/metrics`)).body.data;
    const idle = await Promise.all(
      [0, 1].map((i) => startIdle(`metrics-running-${i}`, 'document_processing', 'c-metrics')),
    );
    const res = await eventually(
      () => request('GET', `${url}/tasks/metrics`),
      (r) => r.body.data?.running.by_kind.document_processing === before.running.by_kind.document_processing + 2,
      'two more running document tasks counted',
    );
    const metrics = res.body.data;
    assert.equal(metrics.task_queue, stack.config.task_queue);
    assert.equal(
      metrics.running.total,
      Object.values(metrics.running.by_kind as Record<string, number>).reduce((a, b) => a + b, 0),
    );
    assert.equal(metrics.recently_closed.window_hours, 24);
    assert.ok(metrics.recently_closed.by_status.TIMED_OUT >= 3, 'the timed-out tasks of the first test');
    assert.ok(metrics.recently_closed.by_status.TERMINATED >= 1);
    assert.equal(typeof metrics.recently_closed.average_duration_seconds, 'number');
    // The stack's worker polls both halves of the task queue.
    assert.ok(
      metrics.workers.some((w: { polls: string[] }) => w.polls.includes('workflow') && w.polls.includes('activity')),
      JSON.stringify(metrics.workers),
    );

    await Promise.all(idle.map((handle) => handle.terminate('metrics test done')));
    await eventually(
      () => request('GET', `${url}/tasks/metrics`),
      (r) => r.body.data?.recently_closed.by_status.TERMINATED >= metrics.recently_closed.by_status.TERMINATED + 2,
      'the terminated tasks counted as closed',
    );
  });

  /** A collection of text documents, stored with these bytes; blank text passes nothing on: its processing fails. */
  async function collectionOf(name: string, texts: string[]) {
    const collection = await insertCollectionWith(
      stack.sql,
      name,
      texts.map((_, i) => `doc-${i}.txt`),
    );
    const rows = await stack.sql<{ id: string; storage_key: string; original_filename: string }[]>`
      SELECT id, storage_key, original_filename FROM documents WHERE collection_id = ${collection.id}`;
    for (const row of rows) {
      const bytes = Buffer.from(texts[Number(/doc-(\d+)/.exec(row.original_filename)![1])]);
      await stack.storage.put(row.storage_key, bytes);
      await stack.sql`UPDATE documents SET size_bytes = ${bytes.length} WHERE id = ${row.id}`;
    }
    return collection;
  }

  const closedTask = (taskId: string) =>
    eventually(
      () => request('GET', `${url}/tasks/${taskId}/status`),
      (res) => res.body.data?.closed_at !== null && res.body.data?.closed_at !== undefined,
      `${taskId} closed`,
      { timeoutMs: 120_000 },
    );

  test('GET /tasks/metrics counts an analysis whose documents all failed as FAILED, not COMPLETED (v3 and v2), though Temporal closed it COMPLETED; some failed: COMPLETED_WITH_ERRORS', async () => {
    const metricsNow = async () => (await request('GET', `${url}/tasks/metrics`)).body.data;
    const v2 = url.replace(/\/api\/v3$/, '/api/v2');
    const v2MetricsNow = async () => (await request('GET', `${v2}/tasks/metrics`)).body.data;
    const before = await metricsNow();
    const v2Before = await v2MetricsNow();
    const closedBefore = before.recently_closed;

    const words = 'The quick brown fox jumps over the lazy dog near the river bank. '.repeat(4);
    const allFailed = await collectionOf('metrics-all-failed', ['   \n\n   \n', '\n \n']);
    const someFailed = await collectionOf('metrics-some-failed', [words, '   \n']);
    const failedTask = (await request('POST', `${url}/collections/${allFailed.id}/process`, {})).body.data.task_id;
    const partialTask = (await request('POST', `${url}/collections/${someFailed.id}/process`, {})).body.data.task_id;
    assert.equal((await closedTask(failedTask)).body.data.status, 'FAILED');
    assert.equal((await closedTask(partialTask)).body.data.status, 'COMPLETED_WITH_ERRORS');
    // Temporal itself closed both COMPLETED: the workflow did its job, the work failed.
    for (const taskId of [failedTask, partialTask])
      assert.equal((await stack.temporal.workflow.getHandle(taskId).describe()).status.name, 'COMPLETED');

    // Other tasks may close meanwhile (the reconciler's schedule): compare what moved.
    const after = await eventually(
      metricsNow,
      (m) =>
        m.recently_closed.by_status.FAILED === closedBefore.by_status.FAILED + 1 &&
        m.recently_closed.by_status.COMPLETED_WITH_ERRORS === closedBefore.by_status.COMPLETED_WITH_ERRORS + 1,
      'both runs counted by outcome',
    );
    const closed = after.recently_closed;
    const moved = (counts: Record<string, number>, was: Record<string, number>, key: string) =>
      (counts[key] ?? 0) - (was[key] ?? 0);
    assert.equal(
      moved(closed.by_status, closedBefore.by_status, 'COMPLETED'),
      moved(closed.by_execution_status, closedBefore.by_execution_status, 'COMPLETED') - 2,
      'Temporal counts both COMPLETED; by outcome, neither is',
    );
    assert.equal(
      closed.total,
      Object.values(closed.by_status as Record<string, number>).reduce((a, b) => a + b, 0),
      'by_status adds up to the total',
    );
    assert.equal(
      closed.total,
      Object.values(closed.by_execution_status as Record<string, number>).reduce((a, b) => a + b, 0),
    );
    const analyses = closed.by_kind.collection_analysis as Record<string, number>;
    const analysesBefore = (closedBefore.by_kind.collection_analysis ?? {}) as Record<string, number>;
    assert.equal(moved(analyses, analysesBefore, 'FAILED'), 1);
    assert.equal(moved(analyses, analysesBefore, 'COMPLETED_WITH_ERRORS'), 1);
    assert.equal(moved(analyses, analysesBefore, 'COMPLETED'), 0);

    // v2: SUCCESS is completed and completed_with_errors; the all-failed run is a failure.
    const v2After = await eventually(
      v2MetricsNow,
      (m) => m.failed_tasks === v2Before.failed_tasks + 1,
      'v2 counts the all-failed run as failed',
    );
    assert.equal(
      v2After.completed_tasks - v2Before.completed_tasks,
      moved(v2After.recently_closed_by_execution_status, v2Before.recently_closed_by_execution_status, 'COMPLETED') - 1,
      'only the partly failed run counts as completed',
    );

    // The listing says how each ended beside Temporal's status.
    const listed = await eventually(
      () => request('GET', `${url}/tasks?collection=${allFailed.id}&kind=collection_analysis`),
      (res) => res.body.data?.tasks[0]?.outcome === 'failed',
      'the outcome listed',
    );
    assert.equal(listed.body.data.tasks[0].status, 'COMPLETED');
  });
});
