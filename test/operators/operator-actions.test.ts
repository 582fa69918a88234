// An operator's actions on a running analysis, with the real `temporal` CLI
// against a real dev server, the real activities and a real database: each
// case ends with the collection and every document final, with a reason, no
// workflow of the collection running, and the counts equal to the rows. The
// time each took to settle is printed. (More cases, longer ones, in
// test/faults/operator-actions.fault.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { submitBatch } from '../../api/batches/submit-batch.ts';
import { ensureSettleClosedRunsSchedule } from '../../worker/schedules.ts';
import { progressQuery } from '../../workflows/collection-analysis-contract.ts';
import { workflowIds } from '../../workflows/ids.ts';
import { eventually } from '../support/eventually.ts';
import {
  assertCountsEqualRows,
  collectionWith,
  processedAtLeast,
  reportTime,
  running,
  settled,
  startAnalysis,
  startOperatorStack,
  type OperatorStack,
} from '../support/operators.ts';

describe('operator actions: terminate and reset from the temporal CLI leave nothing behind', () => {
  let stack: OperatorStack;
  before(async () => {
    // The server suggests continue-as-new early: analyses carry document workflows over to later runs.
    stack = await startOperatorStack({
      temporalArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'],
    });
    await ensureSettleClosedRunsSchedule(stack.temporal, stack.config);
  });
  after(() => stack?.teardown());

  test('a document workflow terminated mid-run: the analysis settles it failed, naming the operator and the reason; the rest carries on', async () => {
    const collection = await collectionWith(stack, 'terminate-document', { slow: 1, small: 12 });
    const [slowId] = collection.slowIds;
    const analysis = await startAnalysis(stack, collection.id);
    const documentWorkflow = workflowIds.documentProcessing(slowId, '1');
    await running(stack, documentWorkflow);
    const [queued] = await stack.sql`SELECT status FROM documents WHERE id = ${slowId}`;
    assert.equal(queued.status, 'queued', 'held before its first step: queued, not uploaded');

    const since = Date.now();
    await stack.temporalCli([
      'workflow',
      'terminate',
      '--workflow-id',
      documentWorkflow,
      '--reason',
      'stuck on page 3 (on-call)',
    ]);
    const result = await analysis.result();
    const state = await settled(stack, collection.id);
    reportTime('terminate a document workflow', since);

    assert.deepEqual(
      { status: result.status, processed: result.processed, failed: result.failed },
      { status: 'completed_with_errors', processed: 12, failed: 1 },
    );
    assert.equal(state.status, 'completed_with_errors');
    const slow = state.documents.find((document) => document.id === slowId)!;
    assert.equal(slow.status, 'failed');
    assert.match(slow.error!, /^document workflow was terminated by an operator \(.*\): stuck on page 3 \(on-call\)$/);
    assert.match(result.failures[0].error, /terminated by an operator/);
    assertCountsEqualRows(result, state);
    const outcome = (await analysis.describe()).typedSearchAttributes;
    assert.ok(JSON.stringify(outcome).includes('completed_with_errors'), 'the Outcome search attribute says so');
  });

  test('an analysis terminated mid-run: the sweeper cancels its documents and its running document workflow, the collection ends cancelled with the reason; a new run then processes everything', async () => {
    const collection = await collectionWith(stack, 'terminate-analysis', { slow: 1, small: 30 });
    const [slowId] = collection.slowIds;
    const analysis = await startAnalysis(stack, collection.id);
    await running(stack, workflowIds.documentProcessing(slowId, '1'));
    await processedAtLeast(stack, collection.id, 1);
    const progress = await analysis.query(progressQuery);
    assert.equal(
      progress.queued,
      progress.total - progress.processed - progress.failed - progress.in_flight,
      `the progress query counts the documents waiting: ${JSON.stringify(progress)}`,
    );

    const since = Date.now();
    await stack.temporalCli([
      'workflow',
      'terminate',
      '--workflow-id',
      analysis.workflowId,
      '--reason',
      'runaway analysis (on-call)',
    ]);
    const state = await settled(stack, collection.id);
    reportTime('terminate an analysis (sweeper)', since);

    assert.equal(state.status, 'cancelled');
    assert.match(state.last_error!, /was terminated by an operator \(.*\): runaway analysis \(on-call\)/);
    assert.ok((state.byStatus.cancelled ?? 0) > 0, 'documents it had not finished are cancelled');
    for (const document of state.documents.filter((document) => document.status === 'cancelled'))
      assert.match(document.error!, /terminated by an operator|processing was cancelled/, document.original_filename);

    // The rest carries on: the collection can be processed again, and this time everything finishes.
    stack.release(slowId);
    const again = await startAnalysis(stack, collection.id);
    assert.equal(again.workflowId, workflowIds.collectionAnalysis(collection.id, '2'));
    const result = await again.result();
    assert.equal(result.status, 'completed');
    const final = await settled(stack, collection.id);
    assert.deepEqual(final.byStatus, { processed: 31 });
  });

  test('an analysis reset to its first workflow task: the new run adopts the document workflow still running, redoes the rest, and ends with every document processed once', async () => {
    const collection = await collectionWith(stack, 'reset-analysis', { slow: 1, small: 20 });
    const [slowId] = collection.slowIds;
    const analysis = await startAnalysis(stack, collection.id);
    await running(stack, workflowIds.documentProcessing(slowId, '1'));
    await processedAtLeast(stack, collection.id, 5);
    const firstRun = (await analysis.describe()).runId;

    const since = Date.now();
    await stack.temporalCli([
      'workflow',
      'reset',
      '--workflow-id',
      analysis.workflowId,
      '--type',
      'FirstWorkflowTask',
      '--reason',
      'redo after a bad deploy (on-call)',
    ]);
    await eventually(
      async () => (await analysis.describe()).runId,
      (runId) => runId !== firstRun,
      'the analysis was reset to a new run',
    );
    stack.release(slowId);
    const result = await analysis.result();
    const state = await settled(stack, collection.id);
    reportTime('reset an analysis', since);

    assert.equal(result.status, 'completed');
    assert.equal(state.status, 'completed');
    assert.deepEqual(state.byStatus, { processed: 21 });
    // The new run counts what it settled: documents the reset run's groups finished after the reset are the rows' alone.
    assert.equal(result.failed, 0);
    assert.equal(result.total, result.processed, 'every document it settled, counted once');
  });

  test('a document workflow carried over a continue-as-new, terminated: the run that carries it settles it within the check interval', async () => {
    const collection = await collectionWith(stack, 'terminate-carried', { slow: 1, small: 150 });
    const [slowId] = collection.slowIds;
    const analysis = await startAnalysis(stack, collection.id);
    const documentWorkflow = workflowIds.documentProcessing(slowId, '1');
    await running(stack, documentWorkflow);
    const startedBy = (await stack.temporal.workflow.getHandle(documentWorkflow).describe()).parentExecution?.runId;
    await eventually(
      async () => (await analysis.describe()).runId,
      (runId) => runId !== startedBy,
      'the analysis continued as new with the document workflow in flight',
      { timeoutMs: 180_000 },
    );

    const since = Date.now();
    await stack.temporalCli(['workflow', 'terminate', '--workflow-id', documentWorkflow, '--reason', 'hung worker']);
    const result = await analysis.result();
    const state = await settled(stack, collection.id);
    reportTime('terminate a document workflow carried over a continue-as-new', since);

    assert.deepEqual(
      { status: result.status, processed: result.processed, failed: result.failed },
      { status: 'completed_with_errors', processed: 150, failed: 1 },
    );
    const slow = state.documents.find((document) => document.id === slowId)!;
    assert.equal(slow.status, 'failed');
    assert.match(slow.error!, /terminated by an operator \(.*\): hung worker$/);
    assertCountsEqualRows(result, state);
  });

  test('a document workflow reset to its first workflow task: its new run processes it once; the analysis hears it', async () => {
    const collection = await collectionWith(stack, 'reset-document', { slow: 1, small: 6 });
    const [slowId] = collection.slowIds;
    const analysis = await startAnalysis(stack, collection.id);
    const documentWorkflow = workflowIds.documentProcessing(slowId, '1');
    await running(stack, documentWorkflow);
    await processedAtLeast(stack, collection.id, 6);

    const since = Date.now();
    await stack.temporalCli([
      'workflow',
      'reset',
      '--workflow-id',
      documentWorkflow,
      '--type',
      'FirstWorkflowTask',
      '--reason',
      'retry from scratch',
    ]);
    stack.release(slowId);
    const result = await analysis.result();
    const state = await settled(stack, collection.id);
    reportTime('reset a document workflow', since);

    assert.equal(result.status, 'completed');
    assert.deepEqual(state.byStatus, { processed: 7 });
    assertCountsEqualRows(result, state);
  });

  test('cancel from the CLI: a document workflow ends cancelled and counts as failed; an analysis ends cancelled with every document final', async () => {
    const collection = await collectionWith(stack, 'cancel-cli', { slow: 2, small: 20 });
    const analysis = await startAnalysis(stack, collection.id);
    const [first, second] = collection.slowIds.map((id) => workflowIds.documentProcessing(id, '1'));
    await running(stack, first);
    await running(stack, second);

    let since = Date.now();
    await stack.temporalCli(['workflow', 'cancel', '--workflow-id', first]);
    const cancelledDocument = await eventually(
      async () => (await stack.sql`SELECT status, error FROM documents WHERE id = ${collection.slowIds[0]}`)[0],
      (row) => row.status === 'cancelled',
      'the cancelled document workflow marked its row',
    );
    reportTime('cancel a document workflow', since);
    assert.equal(cancelledDocument.error, 'processing was cancelled');

    since = Date.now();
    await stack.temporalCli(['workflow', 'cancel', '--workflow-id', analysis.workflowId]);
    await assert.rejects(
      analysis.result(),
      (error: unknown) => error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure,
    );
    const state = await settled(stack, collection.id);
    reportTime('cancel an analysis', since);
    assert.equal(state.status, 'cancelled');
    assert.equal(state.documents.find((document) => document.id === collection.slowIds[1])!.status, 'cancelled');
  });

  test('a batch terminated, and a batch cancelled, from the CLI: every collection ends final, nothing of them runs', async () => {
    for (const action of ['terminate', 'cancel'] as const) {
      const collections = [
        await collectionWith(stack, `batch-${action}-a`, { slow: 1, small: 8 }),
        await collectionWith(stack, `batch-${action}-b`, { slow: 1, small: 8 }),
      ];
      const batch = await submitBatch(stack, {
        tasks: collections.map((collection) => ({
          collection_id: collection.id,
          build_graph: false,
          extract_metadata: false,
          generate_embeddings: false,
        })),
        workflow_type: 'parallel',
        stop_on_failure: false,
      });
      for (const collection of collections)
        await running(stack, workflowIds.documentProcessing(collection.slowIds[0], '1'));

      const since = Date.now();
      // The CLI takes a reason for a terminate only.
      const reason = action === 'terminate' ? ['--reason', 'terminate (on-call)'] : [];
      await stack.temporalCli(['workflow', action, '--workflow-id', batch.task_id, ...reason]);
      for (const collection of collections) {
        const state = await settled(stack, collection.id);
        assert.equal(state.status, 'cancelled', `${action}: ${collection.id}`);
        if (action === 'terminate') assert.match(state.last_error!, /terminated by an operator/);
      }
      reportTime(`${action} a batch`, since);
    }
  });
});
