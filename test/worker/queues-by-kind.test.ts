import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { temporal } from '@temporalio/proto';
import { makePdf } from '../fixtures/upload-files.ts';
import { mixedText } from '../fixtures/mixed-text.ts';
import { field, file, postMultipart } from '../fixtures/multipart.ts';
import { eventually } from '../support/eventually.ts';
import { recordHistoryIfAsked } from '../support/histories.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import type {
  CollectionAnalysisInput,
  CollectionAnalysisResult,
} from '../../workflows/collection-analysis-contract.ts';
import { fairnessWeightOf } from '../../workflows/fairness-weight.ts';
import { workflowIds } from '../../workflows/ids.ts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * Task queues by kind: workflows (and their bookkeeping) on task_queue,
 * document work on document_task_queue, each served by the workers told to.
 * A worker serving only workflows leaves the document work queued, untouched,
 * until a worker serving documents appears; the priority and fairness key of
 * every scheduled piece of document work are read back from the histories.
 */
describe('task queues by kind', () => {
  let stack: TestStack;
  let url: string;
  before(async () => {
    // Groups of three small documents and a PDF in a workflow of its own: both kinds of document work.
    // A cap above 1,000 / 3 documents, so each collection's weight tells its size.
    stack = await startTestStack({
      worker: false,
      config: { group_max_documents: 3, max_concurrent_documents: 4, fairness_max_weight: 1_000 },
    });
    url = stack.apiUrl;
  });
  after(() => stack?.teardown());

  /** A collection of `texts` mixed-language text files and `pdfs` PDFs, uploaded without processing. */
  async function collectionWith(name: string, texts: number, pdfs: number): Promise<string> {
    const created = await request('POST', `${url}/collections`, { name });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id: string = created.body.data.id;
    const parts = Array.from({ length: texts }, (_, i) =>
      file(`${name}-notes-${i}.txt`, Buffer.from(mixedText(3_000 + i * 700, 40 + i))),
    );
    for (let i = 0; i < pdfs; i++)
      parts.push(
        file(`${name}-report-${i}.pdf`, await makePdf(`${name} quarterly report ${i}: ${mixedText(400, 90 + i)}`)),
      );
    const uploaded = await postMultipart(`${url}/collections/${id}/upload-and-process`, [
      ...parts,
      field('process_immediately', 'false'),
    ]);
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    return id;
  }

  async function waitForTask(taskId: string) {
    return eventually(
      async () => (await request('GET', `${url}/tasks/${taskId}/status`)).body.data,
      (data) => data.status !== 'RUNNING',
      `task ${taskId} to finish`,
      { timeoutMs: 120_000 },
    );
  }

  const events = async (workflowId: string): Promise<HistoryEvent[]> =>
    (await stack.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = (history: HistoryEvent[], type: string) =>
    history
      .map((event) => event.activityTaskScheduledEventAttributes)
      .filter((attributes) => attributes?.activityType?.name === type);
  const documentWorkflowIds = (history: HistoryEvent[]) =>
    history.flatMap((event) => event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []);

  test('only workflows served: document work waits until a documents worker comes, then completes', async () => {
    const stopWorkflows = await stack.startWorker(undefined, ['workflows']);
    const collectionId = await collectionWith('queues', 7, 1);
    const started = await request('POST', `${url}/collections/${collectionId}/process`, {});
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const taskId: string = started.body.data.task_id;

    // Seven small documents in groups of three (3 groups) and the PDF in a documentProcessing child.
    const history = await eventually(
      () => events(taskId),
      (h) => scheduled(h, 'processDocumentGroup').length === 3 && documentWorkflowIds(h).length === 1,
      'the groups scheduled and the PDF child started',
    );
    const [childId] = documentWorkflowIds(history);
    await eventually(
      () => events(childId),
      (h) => scheduled(h, 'processDocument').length === 1,
      'the PDF child to schedule processDocument',
    );
    // Time for any worker to take the work, were it on a queue one polls.
    await sleep(2_000);
    const pending = async (workflowId: string) =>
      ((await stack.temporal.workflow.getHandle(workflowId).describe()).raw.pendingActivities ?? []).map(
        (activity) => ({
          type: activity.activityType?.name,
          state: activity.state,
        }),
      );
    const SCHEDULED = 1; // PENDING_ACTIVITY_STATE_SCHEDULED: no worker has taken it
    assert.deepEqual(
      await pending(taskId),
      Array.from({ length: 3 }, () => ({ type: 'processDocumentGroup', state: SCHEDULED })),
    );
    assert.deepEqual(await pending(childId), [{ type: 'processDocument', state: SCHEDULED }]);
    const [{ processed }] = await stack.sql<{ processed: number }[]>`
      SELECT count(*) FILTER (WHERE status = 'processed')::int AS processed
      FROM documents WHERE collection_id = ${collectionId}`;
    assert.equal(processed, 0, 'no document processed without a documents worker');
    assert.equal((await stack.temporal.workflow.getHandle(taskId).describe()).status.name, 'RUNNING');

    // GET /tasks/metrics shows it: the document queue's backlog (what document workers are scaled on),
    // nobody polling it.
    const waiting = await eventually(
      async () => (await request('GET', `${url}/tasks/metrics`)).body.data.document_queue,
      (queue) => queue.backlog >= 4,
      'the document queue to report its backlog',
    );
    assert.equal(waiting.task_queue, stack.config.document_task_queue);
    assert.deepEqual(waiting.workers, []);

    const stopDocuments = await stack.startWorker(undefined, ['documents']);
    const status = await waitForTask(taskId);
    assert.equal(status.status, 'COMPLETED', JSON.stringify(status));
    assert.equal(status.result.processed, 8);
    const served = (await request('GET', `${url}/tasks/metrics`)).body.data.document_queue;
    assert.equal(served.workers.length, 1, JSON.stringify(served));
    assert.deepEqual(served.workers[0].polls, ['activity']);
    const rows = await stack.sql<{ status: string; chunks: number }[]>`
      SELECT d.status, (SELECT count(*)::int FROM chunks c WHERE c.document_id = d.id) AS chunks
      FROM documents d WHERE d.collection_id = ${collectionId}`;
    assert.equal(rows.length, 8);
    for (const row of rows) {
      assert.equal(row.status, 'processed');
      assert.ok(row.chunks > 0, 'every document has its chunks');
    }

    // Document work on the documents queue at the interactive priority, fair-keyed by collection;
    // bookkeeping stays with the workflow.
    const { config } = stack;
    const analysis = await events(taskId);
    const child = await events(childId);
    const documentWork = [...scheduled(analysis, 'processDocumentGroup'), ...scheduled(child, 'processDocument')];
    assert.equal(documentWork.length, 4);
    for (const attributes of documentWork) {
      assert.equal(attributes?.taskQueue?.name, config.document_task_queue);
      assert.equal(attributes?.priority?.priorityKey, config.interactive_priority);
      assert.equal(attributes?.priority?.fairnessKey, collectionId);
      assert.equal(attributes?.priority?.fairnessWeight, fairnessWeightOf(8, 1_000), 'weighed by its 8 documents');
    }
    for (const type of ['beginCollectionRun', 'nextWorkUnits', 'finishCollectionRun']) {
      for (const attributes of scheduled(analysis, type))
        assert.equal(attributes?.taskQueue?.name, config.task_queue, type);
    }
    const childStart = child[0].workflowExecutionStartedEventAttributes!;
    assert.equal(childStart.taskQueue?.name, config.task_queue, 'document workflows are orchestration');
    assert.equal(childStart.priority?.fairnessKey, collectionId);
    assert.equal(childStart.priority?.fairnessWeight, fairnessWeightOf(8, 1_000));
    assert.equal(
      analysis[0].workflowExecutionStartedEventAttributes?.priority?.priorityKey,
      config.interactive_priority,
    );

    await recordHistoryIfAsked(stack.temporal.workflow.getHandle(taskId), 'collection-analysis-queues-by-kind');
    await recordHistoryIfAsked(stack.temporal.workflow.getHandle(childId), 'document-processing-queues-by-kind');
    await stopDocuments();
    await stopWorkflows();
  });

  test('a run from before the split (no routing) keeps document work on the workflow queue', async () => {
    const stop = await stack.startWorker(undefined, ['workflows']);
    const collectionId = await collectionWith('before-split', 4, 1);
    // As the API started it before task queues by kind: the same input, no routing, no priority.
    const input: CollectionAnalysisInput = {
      collectionId,
      selection: 'pending',
      options: { build_graph: true, extract_metadata: true, generate_embeddings: true },
    };
    const handle = await stack.temporal.workflow.start('collectionAnalysis', {
      workflowId: workflowIds.collectionAnalysis(collectionId, '1'),
      taskQueue: stack.config.task_queue,
      args: [input],
    });
    const result = (await handle.result()) as CollectionAnalysisResult;
    assert.equal(result.status, 'completed');
    assert.equal(result.processed, 5);
    const analysis = await events(handle.workflowId);
    const documentWork = [
      ...scheduled(analysis, 'processDocumentGroup'),
      ...scheduled(analysis, 'rebuildCollectionGraph'),
    ];
    for (const childId of documentWorkflowIds(analysis))
      documentWork.push(...scheduled(await events(childId), 'processDocument'));
    assert.equal(documentWork.length, 4, 'two groups, the graph, the PDF');
    for (const attributes of documentWork) {
      assert.equal(attributes?.taskQueue?.name, stack.config.task_queue);
      assert.ok(!attributes?.priority?.fairnessKey);
      assert.ok(!attributes?.priority?.fairnessWeight);
    }
    await stop();
  });

  test("a batch's collections run at the batch priority, each with its own fairness key", async () => {
    const stop = await stack.startWorker();
    const first = await collectionWith('bulk-a', 4, 0);
    const second = await collectionWith('bulk-b', 2, 1);
    const submitted = await request('POST', `${url}/collections/batch-process`, {
      tasks: [{ collection_id: first }, { collection_id: second }],
      workflow_type: 'parallel',
    });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const batch = await waitForTask(submitted.body.data.task_id);
    assert.equal(batch.status, 'COMPLETED', JSON.stringify(batch));

    const { config } = stack;
    assert.equal(
      (await events(submitted.body.data.task_id))[0].workflowExecutionStartedEventAttributes?.priority?.priorityKey,
      config.batch_priority,
    );
    for (const [collectionId, documents] of [
      [first, 4],
      [second, 3],
    ] as const) {
      const item = batch.result.collections.find((c: { collection_id: string }) => c.collection_id === collectionId);
      const analysis = await events(item.task_id);
      const start = analysis[0].workflowExecutionStartedEventAttributes!;
      assert.equal(start.priority?.priorityKey, config.batch_priority);
      assert.equal(start.priority?.fairnessKey, collectionId);
      const work = [...scheduled(analysis, 'processDocumentGroup')];
      for (const childId of documentWorkflowIds(analysis))
        work.push(...scheduled(await events(childId), 'processDocument'));
      assert.ok(work.length > 0);
      for (const attributes of work) {
        assert.equal(attributes?.taskQueue?.name, config.document_task_queue);
        assert.equal(attributes?.priority?.priorityKey, config.batch_priority);
        assert.equal(attributes?.priority?.fairnessKey, collectionId);
        assert.equal(attributes?.priority?.fairnessWeight, fairnessWeightOf(documents, 1_000), 'its own size');
      }
    }
    await stop();
  });
});
