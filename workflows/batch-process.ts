import {
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  setWorkflowOptions,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { BatchActivities } from '../activities/batch.ts';
import type { CollectionAnalysisActivities } from '../activities/collection-analysis.ts';
import { innermostMessage } from '../common/errors.ts';
import { collectionAnalysis } from './collection-analysis.ts';
import type { CollectionAnalysisInput, DocumentRouting } from './collection-analysis-contract.ts';
import {
  batchProgressQuery,
  type BatchItemState,
  type BatchProcessInput,
  type BatchProcessResult,
  type BatchRouting,
} from './batch-process-contract.ts';
import {
  BatchIdKey,
  CollectionIdKey,
  CollectionNameKey,
  KindKey,
  OutcomeKey,
  WorkflowKind,
} from './search-attributes.ts';

const shortActivities = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
} as const;
const { markCollectionsCancelled } = proxyActivities<BatchActivities>(shortActivities);
const { nextCollectionAnalysisRun } = proxyActivities<CollectionAnalysisActivities>(shortActivities);
const { postBatchCallback } = proxyActivities<BatchActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 6,
    nonRetryableErrorTypes: ['CallbackRefused'],
  },
});

/**
 * Processes several collections: `sequential` is a true chain (one child at a
 * time, optionally stopping at the first failure); `parallel` keeps at most
 * `maxParallel` children in flight. Every requested collection ends with an
 * outcome; a cancel reaches every child, and their cleanup has finished before
 * this workflow reports CANCELLED.
 */
export async function batchProcess(input: BatchProcessInput): Promise<BatchProcessResult> {
  const items: BatchItemState[] = input.collections.map((c) => ({
    collection_id: c.collection_id,
    name: c.name,
    task_id: null,
    status: 'pending',
    processed: 0,
    failed: 0,
  }));
  let phase: 'running' | 'done' | 'cancelling' = 'running';
  setHandler(batchProgressQuery, () => ({ batch_id: input.batchId, mode: input.mode, phase, collections: items }));

  try {
    if (input.mode === 'sequential') {
      await runSequentially(input, items);
    } else {
      await runInParallel(input, items);
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    phase = 'cancelling';
    await CancellationScope.nonCancellable(async () => {
      for (const item of items) {
        if (item.status === 'pending' || item.status === 'running') {
          item.status = 'cancelled';
          item.reason ??= 'batch cancelled';
        }
      }
      // Children clean up after themselves; this catches any collection a
      // child could not reach (for example one cancelled before it started).
      await markCollectionsCancelled({ collectionIds: items.map((item) => item.collection_id) });
      await notify(input, resultOf(input, items, 'cancelled'));
    });
    upsertSearchAttributes([{ key: OutcomeKey, value: 'cancelled' }]);
    throw error;
  }

  phase = 'done';
  const result = resultOf(input, items);
  await notify(input, result);
  upsertSearchAttributes([{ key: OutcomeKey, value: result.status }]);
  return result;
}

async function runSequentially(input: BatchProcessInput, items: BatchItemState[]): Promise<void> {
  for (let index = 0; index < items.length; index++) {
    await runCollection(input, items[index], index);
    if (input.stopOnFailure && isFailure(items[index])) {
      for (const rest of items.slice(index + 1)) {
        rest.status = 'skipped';
        rest.reason = `stopped after ${items[index].name} ended ${items[index].status}`;
      }
      return;
    }
  }
}

async function runInParallel(input: BatchProcessInput, items: BatchItemState[]): Promise<void> {
  let inFlight = 0;
  const children: Promise<void>[] = [];
  for (let index = 0; index < items.length; index++) {
    await condition(() => inFlight < input.maxParallel);
    inFlight += 1;
    children.push(runCollection(input, items[index], index).finally(() => (inFlight -= 1)));
  }
  // Wait for every child, even after one was cancelled, so none is left behind.
  const settled = await Promise.allSettled(children);
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/** Runs one collection's analysis as a child; records how it ended. Rethrows only the batch's own cancellation. */
async function runCollection(input: BatchProcessInput, item: BatchItemState, index: number): Promise<void> {
  const collection = input.collections[index];
  try {
    // The collection's current run id: while an analysis runs, this is its
    // id, so a second analysis of the same collection fails to start.
    const run = await nextCollectionAnalysisRun({ collectionId: collection.collection_id });
    if (run === null) {
      item.status = 'failed';
      item.reason = 'the collection was deleted';
      return;
    }
    const routing = collectionRoutingOf(input.routing, collection.collection_id);
    const childInput: CollectionAnalysisInput = {
      collectionId: collection.collection_id,
      options: collection.options,
      selection: 'pending',
      batchId: input.batchId,
      ...(routing ? { routing } : {}),
      runKey: run.runKey,
    };
    const { workflowId } = run;
    const child = await startChild(collectionAnalysis, {
      workflowId,
      args: [childInput],
      ...(routing ? { priority: routing.priority } : {}),
      typedSearchAttributes: [
        { key: KindKey, value: WorkflowKind.collectionAnalysis },
        { key: CollectionIdKey, value: collection.collection_id },
        { key: CollectionNameKey, value: collection.name },
        { key: BatchIdKey, value: input.batchId },
      ],
      staticSummary: `${collection.name}: analysis (collection ${collection.collection_id}, batch ${input.batchId}, ${input.mode})`,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      // Terminating the batch is the hard stop: children end with it, no cleanup.
      // Cancelling it is the clean stop, through the scope, with cleanup.
      parentClosePolicy: ParentClosePolicy.TERMINATE,
    });
    item.task_id = workflowId;
    item.status = 'running';
    const result = await child.result();
    item.status = result.status;
    item.processed = result.processed;
    item.failed = result.failed;
  } catch (error) {
    if (CancellationScope.current().consideredCancelled) throw error;
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      item.status = 'failed';
      item.reason = `an analysis of this collection is already running (${error.workflowId})`;
    } else if (isCancellation(error)) {
      item.status = 'cancelled';
      item.reason = 'its analysis was cancelled';
    } else {
      item.status = 'failed';
      item.reason = innermostMessage(error);
    }
  }
}

/** A collection's routing in the batch: the batch's queue and priority, its own id as fairness key (fairness on). */
function collectionRoutingOf(routing: BatchRouting | undefined, collectionId: string): DocumentRouting | undefined {
  if (!routing) return undefined;
  if (!routing.fairness) return { taskQueue: routing.taskQueue, priority: { priorityKey: routing.priorityKey } };
  return {
    taskQueue: routing.taskQueue,
    priority: { priorityKey: routing.priorityKey, fairnessKey: collectionId },
    ...(routing.fairnessMaxWeight ? { fairnessMaxWeight: routing.fairnessMaxWeight } : {}),
  };
}

function isFailure(item: BatchItemState): boolean {
  return item.status === 'failed' || item.status === 'cancelled';
}

function resultOf(input: BatchProcessInput, items: BatchItemState[], forced?: 'cancelled'): BatchProcessResult {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item.status] = (counts[item.status] ?? 0) + 1;
  const succeeded = items.filter(
    (item) => item.status === 'completed' || item.status === 'completed_with_errors',
  ).length;
  const clean = items.every((item) => item.status === 'completed');
  const status = forced ?? (clean ? 'completed' : succeeded > 0 ? 'completed_with_errors' : 'failed');
  return { batch_id: input.batchId, mode: input.mode, status, collections: items.map((item) => ({ ...item })), counts };
}

async function notify(input: BatchProcessInput, result: BatchProcessResult): Promise<void> {
  if (!input.callbackUrl) return;
  try {
    await postBatchCallback({ url: input.callbackUrl, body: { ...result, task_id: workflowInfo().workflowId } });
  } catch {
    // A receiver that never answered does not change the batch's outcome; the
    // failed activity stays in the history for operators to see.
  }
}

// Short: it finishes on the build that started it (Worker Versioning).
setWorkflowOptions({ versioningBehavior: 'PINNED' }, batchProcess);
