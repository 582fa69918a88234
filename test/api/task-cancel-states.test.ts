// Task states agree while a cancelled analysis cleans up (issue 22, item 6):
// the original CLI cancelled a running analysis, `tasks get` said REVOKED, and
// processing the collection again 3 s later was refused with 409 by the same,
// still-running task. Here the cleanup is held open on purpose (the document
// group's activity, once cancelled, waits for the test to let it go), so every
// read in between is made while the workflow still runs.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { currentAnalysisRun } from '../../db/queries/analysis.ts';
import { file, postMultipart } from '../fixtures/multipart.ts';
import { makeText } from '../fixtures/upload-files.ts';
import { workflowIds } from '../../workflows/ids.ts';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import { insertCollectionWith } from '../support/seed.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/** A request whose answer headers the test reads too. */
async function requestWithHeaders(method: string, url: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

/** What the held cleanup does: it waits on `release` once its cancel has arrived. */
class CleanupGate {
  started = 0;
  cancelled = 0;
  release!: () => void;
  private open!: Promise<void>;
  /** Activities left from an earlier test (a run terminated at its end) neither count nor wait. */
  private generation = 0;
  constructor() {
    this.reset();
  }
  reset() {
    this.generation++;
    this.started = 0;
    this.cancelled = 0;
    this.open = new Promise((resolve) => (this.release = resolve));
  }
  /** processDocumentGroup as a stand-in: runs until cancelled, then holds its cleanup until released. */
  activity = async () => {
    const generation = this.generation;
    this.started++;
    const context = Context.current();
    const beat = setInterval(() => context.heartbeat(), 100);
    try {
      await context.cancelled;
    } catch (error) {
      if (generation !== this.generation) throw error;
      this.cancelled++;
      await this.open;
      throw error;
    } finally {
      clearInterval(beat);
    }
    throw new Error('not reached: cancelled only rejects');
  };
}

describe('task states agree while a cancelled analysis cleans up (real dev server, v2 and v3)', () => {
  let stack: TestStack;
  let v3: string;
  let v2: string;
  const gate = new CleanupGate();

  before(async () => {
    stack = await startTestStack({ worker: false });
    await stack.startWorker({ ...stack.realActivities(), processDocumentGroup: gate.activity });
    v3 = stack.apiUrl;
    v2 = stack.apiUrl.replace(/\/api\/v3$/, '/api/v2');
  });
  after(async () => {
    gate.release?.();
    await stack?.teardown();
  });
  beforeEach(() => {
    gate.release?.();
    gate.reset();
  });

  /** A collection of two small text documents (one group), its analysis started and its group running. */
  async function runningAnalysis(name: string) {
    const collection = await insertCollectionWith(stack.sql, name, ['a.txt', 'b.txt']);
    const started = await request('POST', `${v3}/collections/${collection.id}/process`, {});
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const taskId: string = started.body.data.task_id;
    await eventually(
      () => gate.started,
      (n) => n === 1,
      'the group activity runs',
    );
    return { collection, taskId, handle: stack.temporal.workflow.getHandle(taskId) };
  }

  const closed = async (taskId: string) =>
    (await stack.temporal.workflow.getHandle(taskId).describe()).status.name !== 'RUNNING';

  /** A refused process request started nothing: same run key, same execution, no workflow under the next key. */
  async function assertNothingStarted(collectionId: string, taskId: string, runKey: number, runId: string) {
    assert.equal(await currentAnalysisRun(stack.sql, collectionId), runKey, 'the run key did not move');
    assert.equal((await stack.temporal.workflow.getHandle(taskId).describe()).runId, runId, 'the same execution');
    await assert.rejects(
      stack.temporal.workflow.getHandle(workflowIds.collectionAnalysis(collectionId, String(runKey + 1))).describe(),
      WorkflowNotFoundError,
    );
  }

  test('v3: cancel answers CANCELLING while the cleanup runs; the task reads CANCELLING, never CANCELLED, until the workflow has closed; process again is 409 with Retry-After, then accepted', async () => {
    const { collection, taskId, handle } = await runningAnalysis('v3-cancelling');
    const runKey = (await currentAnalysisRun(stack.sql, collection.id))!;
    const runId = (await handle.describe()).runId;

    const cancel = await request('POST', `${v3}/tasks/${taskId}/cancel`, { wait_seconds: 0 });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.deepEqual(cancel.body.data, { task_id: taskId, outcome: 'cancelled', status: 'CANCELLING' });

    const status = await request('GET', `${v3}/tasks/${taskId}/status`);
    assert.equal(status.status, 200);
    assert.equal(status.body.data.status, 'CANCELLING');
    assert.equal(status.body.data.closed_at, null);
    assert.equal(await closed(taskId), false);

    // The cleanup is held until the group's activity has seen its cancel, and then until released.
    await eventually(
      () => gate.cancelled,
      (n) => n === 1,
      'the cancel reached the group',
    );
    assert.equal((await request('GET', `${v3}/tasks/${taskId}/status`)).body.data.status, 'CANCELLING');

    const refused = await requestWithHeaders('POST', `${v3}/collections/${collection.id}/process`, {});
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'analysis_cancelling');
    assert.deepEqual(refused.body.error.details, { task_id: taskId, state: 'CANCELLING', retry_after_seconds: 3 });
    assert.match(refused.body.error.message, /being cancelled/);
    assert.equal(refused.headers.get('retry-after'), '3');
    // Upload-and-process stores the file and says why no analysis started.
    const uploaded = await postMultipart(`${v3}/collections/${collection.id}/upload-and-process`, [
      file('late.txt', makeText('a late document')),
    ]);
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    assert.equal(uploaded.body.data.task_id, null);
    assert.equal(uploaded.body.data.processing.started, false);
    assert.match(uploaded.body.data.processing.reason, new RegExp(`task ${taskId}\\) is being cancelled`));
    await assertNothingStarted(collection.id, taskId, runKey, runId);

    // A bounded wait that runs out says so.
    const waited = Date.now();
    const again = await request('POST', `${v3}/tasks/${taskId}/cancel`, { wait_seconds: 1 });
    assert.ok(Date.now() - waited >= 1_000, 'it waited the bound');
    assert.deepEqual(again.body.data, { task_id: taskId, outcome: 'cancelled', status: 'CANCELLING' });

    // Released: every read says CANCELLING until the workflow has closed, then CANCELLED.
    gate.release();
    const seen = new Set<string>();
    await eventually(
      async () => {
        const read = (await request('GET', `${v3}/tasks/${taskId}/status`)).body.data.status as string;
        seen.add(read);
        if (read === 'CANCELLED') assert.ok(await closed(taskId), 'CANCELLED only once the workflow has closed');
        else assert.equal(read, 'CANCELLING');
        return read;
      },
      (read) => read === 'CANCELLED',
      'the task closes CANCELLED',
      { everyMs: 20 },
    );
    assert.equal((await handle.describe()).status.name, 'CANCELLED');

    const accepted = await request('POST', `${v3}/collections/${collection.id}/process`, {});
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.notEqual(accepted.body.data.task_id, taskId);
    await request('POST', `${v3}/tasks/${accepted.body.data.task_id}/cancel`, { terminate: true });
  });

  test('v2: cancel says the cleanup still runs; the task stays STARTED/PROGRESS (state CANCELLING, result not ready), never REVOKED, while the workflow runs; process again is 409 with Retry-After, then accepted', async () => {
    const { collection, taskId, handle } = await runningAnalysis('v2-cancelling');
    const runKey = (await currentAnalysisRun(stack.sql, collection.id))!;
    const runId = (await handle.describe()).runId;

    const cancel = await request('POST', `${v2}/tasks/${taskId}/cancel`, { terminate: false, wait_seconds: 0 });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.equal(cancel.body.data.success, true);
    assert.equal(cancel.body.data.outcome, 'cancelled');
    assert.equal(cancel.body.data.state, 'CANCELLING');
    assert.ok(['STARTED', 'PROGRESS'].includes(cancel.body.data.status), cancel.body.data.status);
    assert.match(cancel.body.data.message, /still running .*CANCELLING.*REVOKED once it has closed/);

    const status = await request('GET', `${v2}/tasks/${taskId}/status`);
    assert.ok(['STARTED', 'PROGRESS'].includes(status.body.data.status), status.body.data.status);
    assert.equal(status.body.data.state, 'CANCELLING');
    assert.equal(status.body.data.completed_at, null);
    const result = await request('GET', `${v2}/tasks/${taskId}/result`);
    assert.deepEqual([result.body.data.ready, result.body.data.successful], [false, null]);
    assert.equal(await closed(taskId), false);

    await eventually(
      () => gate.cancelled,
      (n) => n === 1,
      'the cancel reached the group',
    );
    const refused = await requestWithHeaders('POST', `${v2}/collections/${collection.id}/process`, {
      operation_type: 'complete_analysis',
      parameters: {},
    });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.success, false);
    assert.equal(refused.body.code, 'analysis_cancelling');
    assert.match(refused.body.detail, new RegExp(`task ${taskId}\\) is being cancelled`));
    assert.deepEqual(refused.body.details, { task_id: taskId, state: 'CANCELLING', retry_after_seconds: 3 });
    assert.equal(refused.headers.get('retry-after'), '3');
    // documents/add is refused the same way.
    const add = await requestWithHeaders('POST', `${v2}/collections/${collection.id}/documents/add`, {
      file_paths: ['a.txt'],
    });
    assert.equal(add.status, 409, JSON.stringify(add.body));
    assert.equal(add.headers.get('retry-after'), '3');
    await assertNothingStarted(collection.id, taskId, runKey, runId);

    gate.release();
    await eventually(
      async () => {
        const read = (await request('GET', `${v2}/tasks/${taskId}/status`)).body.data;
        if (read.status === 'REVOKED') assert.ok(await closed(taskId), 'REVOKED only once the workflow has closed');
        else assert.equal(read.state, 'CANCELLING');
        return read.status as string;
      },
      (read) => read === 'REVOKED',
      'the task closes REVOKED',
      { everyMs: 20 },
    );

    const accepted = await request('POST', `${v2}/collections/${collection.id}/process`, {
      operation_type: 'complete_analysis',
      parameters: {},
    });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.notEqual(accepted.body.data.task_id, taskId);
    await request('POST', `${v3}/tasks/${accepted.body.data.task_id}/cancel`, { terminate: true });
  });

  /**
   * The group's activity hears its cancel at its next heartbeat sent, up to the
   * worker's 5 s heartbeat throttle later: a wait that covers that for sure.
   */
  const QUICK_WAIT_SECONDS = 15;

  test('a cancel whose cleanup ends within the wait answers CANCELLED (v3) and REVOKED (v2), and the workflow has closed; process is accepted at once', async () => {
    gate.release(); // the cleanup is quick this time
    for (const version of ['v3', 'v2'] as const) {
      gate.started = 0;
      const { collection, taskId, handle } = await runningAnalysis(`quick-cleanup-${version}`);
      const cancel =
        version === 'v3'
          ? await request('POST', `${v3}/tasks/${taskId}/cancel`, { wait_seconds: QUICK_WAIT_SECONDS })
          : await request('POST', `${v2}/tasks/${taskId}/cancel`, {
              terminate: false,
              reason: null,
              wait_seconds: QUICK_WAIT_SECONDS,
            });
      assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
      if (version === 'v3')
        assert.deepEqual(cancel.body.data, { task_id: taskId, outcome: 'cancelled', status: 'CANCELLED' });
      else {
        assert.deepEqual([cancel.body.data.status, cancel.body.data.state], ['REVOKED', 'CANCELLED']);
        assert.match(cancel.body.data.message, /cancelled successfully/);
      }
      assert.equal((await handle.describe()).status.name, 'CANCELLED');
      const accepted = await request('POST', `${v3}/collections/${collection.id}/process`, {});
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      await request('POST', `${v3}/tasks/${accepted.body.data.task_id}/cancel`, { terminate: true });
    }
  });

  test('a running analysis that is not being cancelled is 409 analysis_running with state RUNNING and no Retry-After', async () => {
    const { collection, taskId } = await runningAnalysis('plain-running');
    const refused = await requestWithHeaders('POST', `${v3}/collections/${collection.id}/process`, {});
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'analysis_running');
    assert.deepEqual(refused.body.error.details, { task_id: taskId, state: 'RUNNING' });
    assert.equal(refused.headers.get('retry-after'), null);
    assert.equal((await request('GET', `${v3}/tasks/${taskId}/status`)).body.data.status, 'RUNNING');
    await request('POST', `${v3}/tasks/${taskId}/cancel`, { terminate: true });
  });
});
