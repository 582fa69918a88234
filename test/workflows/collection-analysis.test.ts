import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { startCollectionAnalysis } from '../../api/analysis/start.ts';
import type { collectionAnalysis } from '../../workflows/collection-analysis.ts';
import { progressQuery, type CollectionAnalysisInput } from '../../workflows/collection-analysis-contract.ts';
import { CollectionIdKey, KindKey } from '../../workflows/search-attributes.ts';
import { recordHistoryIfAsked } from '../support/histories.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const OPTIONS = { build_graph: false, extract_metadata: true, generate_embeddings: true };

/**
 * Workflow logic with the document activity (processDocument) mocked (the
 * collection steps are the real ones, on a real database): a file named
 * `fail-*` is unreadable, `gate-*` holds its processing until the test opens
 * the gate. Every run of it is counted, so "each document exactly once" can be
 * asserted across runs.
 */
describe('collectionAnalysis workflow (document activity mocked)', () => {
  let stack: TestStack;
  const extractions = new Map<string, number>();
  let gateOpen = false;

  before(async () => {
    stack = await startTestStack({
      api: false,
      worker: false,
      // No groups: every document is its own documentProcessing workflow (groups: collection-window.test.ts).
      config: { page_size: 4, max_concurrent_documents: 2, small_document_mb: 0 },
      // The server suggests continue-as-new early, so runs end mid-page too.
      temporalArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=40'],
    });
    const real = stack.realActivities();
    const filenameOf = async (documentId: string) => {
      const [row] =
        await stack.sql`UPDATE documents SET status = 'processing', processing_step = 'extract' WHERE id = ${documentId} RETURNING original_filename`;
      return row.original_filename as string;
    };
    await stack.startWorker({
      ...real,
      async processDocument({ documentId }: { documentId: string }) {
        const filename = await filenameOf(documentId);
        extractions.set(documentId, (extractions.get(documentId) ?? 0) + 1);
        // As the real activity does, the failure names its step.
        if (filename.startsWith('fail-'))
          throw ApplicationFailure.nonRetryable(`extract: corrupt_file: ${filename} is broken`, 'UnreadableDocument');
        while (filename.startsWith('gate-') && !gateOpen) {
          Context.current().heartbeat();
          if (Context.current().cancellationSignal.aborted) throw new CancelledFailure('cancelled');
          await sleep(20);
        }
        return { chunks: 3, pages: 1 };
      },
    });
  });
  after(() => stack?.teardown());

  async function collectionWith(
    name: string,
    filenames: string[],
  ): Promise<{ id: string; documents: Map<string, string> }> {
    const [{ id }] = await stack.sql`INSERT INTO collections (name) VALUES (${name}) RETURNING id`;
    const documents = new Map<string, string>();
    for (const [i, filename] of filenames.entries()) {
      const [doc] =
        await stack.sql`INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
        VALUES (${id}, ${filename}, ${`${id}/${i}.txt`}, 'text/plain', 10, ${`${name}-${i}`}) RETURNING id`;
      documents.set(filename, doc.id);
    }
    return { id, documents };
  }

  async function start(
    collectionId: string,
    selection: CollectionAnalysisInput['selection'] = 'pending',
  ): Promise<WorkflowHandle<typeof collectionAnalysis>> {
    const { task_id } = await startCollectionAnalysis(stack, { collectionId, options: OPTIONS, selection });
    return stack.temporal.workflow.getHandle<typeof collectionAnalysis>(task_id);
  }

  const statuses = async (collectionId: string) =>
    Object.fromEntries(
      (await stack.sql`SELECT original_filename, status FROM documents WHERE collection_id = ${collectionId}`).map(
        (r) => [r.original_filename, r.status],
      ),
    );

  test('partial failure: the others go on, the outcome is completed_with_errors and the failures are listed', async () => {
    const names = ['a.txt', 'fail-b.txt', 'c.txt', 'd.txt', 'fail-e.txt', 'f.txt', 'g.txt', 'h.txt', 'i.txt', 'j.txt'];
    const { id, documents } = await collectionWith('partial', names);
    const handle = await start(id);
    const result = await handle.result();

    assert.equal(result.status, 'completed_with_errors');
    assert.deepEqual(
      { total: result.total, processed: result.processed, failed: result.failed },
      { total: 10, processed: 8, failed: 2 },
    );
    assert.deepEqual(result.failures.map((f) => f.filename).sort(), ['fail-b.txt', 'fail-e.txt']);
    assert.match(result.failures[0].error, /^extract: corrupt_file: fail-.\.txt is broken$/);
    for (const documentId of documents.values())
      assert.equal(extractions.get(documentId), 1, 'each document processed exactly once across runs');

    const rows = await statuses(id);
    assert.equal(rows['fail-b.txt'], 'failed');
    assert.equal(rows['a.txt'], 'processed');
    const [failedRow] =
      await stack.sql`SELECT error, processing_step FROM documents WHERE id = ${documents.get('fail-b.txt')!}`;
    assert.deepEqual(
      { ...failedRow },
      { error: 'extract: corrupt_file: fail-b.txt is broken', processing_step: 'extract' },
    );
    const [collection] =
      await stack.sql`SELECT status, last_error, analysis_run, embedding_provider FROM collections WHERE id = ${id}`;
    assert.equal(collection.status, 'completed_with_errors');
    assert.match(collection.last_error, /^2 of 10 document\(s\) failed; last: fail-[be]\.txt: extract: corrupt_file/);
    assert.equal(collection.analysis_run, 2, 'the run key moved on when the run closed');

    // It continued as new (10 documents, pages of 4), and the chain kept its search attributes.
    const description = await handle.describe();
    assert.notEqual(description.runId, description.raw.workflowExecutionInfo?.firstRunId);
    assert.equal(description.typedSearchAttributes.get(CollectionIdKey), id);
    assert.equal(description.typedSearchAttributes.get(KindKey), 'collection_analysis');

    // Every document is its own workflow, findable by id and by collection.
    const child = await stack.temporal.workflow.getHandle(`document:${documents.get('fail-b.txt')}:1`).describe();
    assert.equal(child.status.name, 'FAILED');
    assert.equal(child.typedSearchAttributes.get(KindKey), 'document_processing');
    assert.equal(child.typedSearchAttributes.get(CollectionIdKey), id);
    assert.match((await child.staticSummary()) ?? '', /fail-b\.txt/);

    // The progress query answers from the final state.
    const progress = await handle.query(progressQuery);
    assert.deepEqual(
      { ...progress, recent_failures: progress.recent_failures.length },
      {
        phase: 'done',
        total: 10,
        processed: 8,
        failed: 2,
        in_flight: 0,
        queued: 0,
        percentage: 100,
        recent_failures: 2,
        in_flight_documents: [],
      },
    );
    // (collection-analysis-partial-failure-continued.json is the same test before the sliding window.)
    await recordHistoryIfAsked(handle, 'collection-analysis-window-partial-failure-continued');

    // A second run with only_failed takes just the two failed ones (and fails them again).
    const retry = await start(id, 'only_failed');
    assert.equal(retry.workflowId, `collection-analysis:${id}:2`);
    const retried = await retry.result();
    assert.deepEqual(
      { total: retried.total, failed: retried.failed, status: retried.status },
      { total: 2, failed: 2, status: 'failed' },
    );
  });

  test('all failed: the outcome is failed, never a false completed', async () => {
    const { id } = await collectionWith('all-failed', ['fail-1.txt', 'fail-2.txt', 'fail-3.txt']);
    const handle = await start(id);
    const result = await handle.result();
    assert.equal(result.status, 'failed');
    assert.equal(result.failed, 3);
    assert.equal(result.processed, 0);
    const [collection] =
      await stack.sql`SELECT status, last_error, embedding_provider FROM collections WHERE id = ${id}`;
    assert.equal(collection.status, 'failed');
    assert.equal(collection.embedding_provider, null, 'collection-level steps run over succeeded documents only');
    await recordHistoryIfAsked(handle, 'collection-analysis-window-all-failed');
  });

  test('continue-as-new mid-page (server suggestion) carries cursor and counts: every document exactly once', async () => {
    const names = Array.from({ length: 14 }, (_, i) => `doc-${String(i).padStart(2, '0')}.txt`);
    names[5] = 'fail-05.txt';
    const { id, documents } = await collectionWith('many', names);
    const handle = await start(id);
    const result = await handle.result();
    assert.deepEqual(
      { total: result.total, processed: result.processed, failed: result.failed },
      { total: 14, processed: 13, failed: 1 },
    );
    for (const documentId of documents.values()) assert.equal(extractions.get(documentId), 1);
    assert.ok(Object.values(await statuses(id)).every((status) => status === 'processed' || status === 'failed'));
  });

  test('cancelled mid-page: cleanup marks the collection and the running documents cancelled before the cancel is reported', async () => {
    gateOpen = false;
    const names = ['gate-a.txt', 'gate-b.txt', 'gate-c.txt', 'gate-d.txt', 'gate-e.txt', 'gate-f.txt'];
    const { id } = await collectionWith('cancel', names);
    const handle = await start(id);
    // Wait until two documents of the first page are in flight, in the workflow and in their rows.
    let inFlight: string[] = [];
    for (let i = 0; inFlight.length < 2; i++) {
      assert.ok(i < 500, 'never reached two documents in flight');
      await sleep(20);
      inFlight = (await stack.sql`SELECT id FROM documents WHERE collection_id = ${id} AND status = 'processing'`).map(
        (r) => r.id,
      );
    }
    const progress = await handle.query(progressQuery);
    assert.deepEqual(
      { phase: progress.phase, in_flight: progress.in_flight, total: progress.total },
      { phase: 'processing', in_flight: 2, total: 6 },
    );
    assert.deepEqual(
      progress.in_flight_documents?.map((document) => document.id).sort(),
      [...inFlight].sort(),
      'the progress query names the documents in flight',
    );
    await handle.cancel();
    // The held steps may now return (a real step would see the cancel at its next heartbeat, which the SDK throttles).
    await sleep(200);
    gateOpen = true;
    await assert.rejects(
      handle.result(),
      (error: unknown) => error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure,
    );
    const rows = await stack.sql`SELECT id, status, error FROM documents WHERE collection_id = ${id}`;
    for (const row of rows)
      assert.deepEqual(
        { status: row.status, error: row.error },
        inFlight.includes(row.id)
          ? { status: 'cancelled', error: 'processing was cancelled' }
          : { status: 'cancelled', error: 'analysis was cancelled' },
        'in flight: cancelled by its workflow; queued, never started: cancelled with the analysis',
      );
    const [collection] = await stack.sql`SELECT status, last_error, analysis_run FROM collections WHERE id = ${id}`;
    assert.equal(collection.status, 'cancelled');
    assert.equal(collection.analysis_run, 2, 'a cancelled run frees the run key too');
    // (collection-analysis-cancelled.json and document-processing-single-activity-cancelled.json: the same before the sliding window.)
    await recordHistoryIfAsked(handle, 'collection-analysis-window-children-cancelled');
    // A cancelled document that reports to its analysis by signal.
    await recordHistoryIfAsked(
      stack.temporal.workflow.getHandle(`document:${inFlight[0]}:1`),
      'document-processing-reported-cancelled',
    );
  });

  test('a second start while one runs is refused with the running task id; a run closed without freeing its key is skipped', async () => {
    gateOpen = false;
    const { id } = await collectionWith('concurrent', ['gate-only.txt']);
    const starts = await Promise.allSettled([start(id), start(id), start(id)]);
    const started = starts.filter((s) => s.status === 'fulfilled');
    const refused = starts.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    assert.equal(started.length, 1);
    assert.equal(refused.length, 2);
    for (const r of refused) {
      assert.equal(r.reason.name, 'AnalysisAlreadyRunningError');
      assert.equal(r.reason.taskId, `collection-analysis:${id}:1`);
    }
    // Terminated: the run never frees its key; the next start moves past it.
    await (started[0] as PromiseFulfilledResult<WorkflowHandle>).value.terminate('test');
    gateOpen = true;
    const next = await start(id);
    assert.equal(next.workflowId, `collection-analysis:${id}:2`);
    assert.equal((await next.result()).status, 'completed');
  });
});
