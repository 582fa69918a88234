import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { innermostMessage } from '../../common/errors.ts';
import {
  batchProgressQuery,
  type BatchItemState,
  type BatchProcessResult,
} from '../../workflows/batch-process-contract.ts';
import { progressQuery } from '../../workflows/collection-analysis-contract.ts';
import { workflowIds } from '../../workflows/ids.ts';
import { mapWithConcurrency } from '../../common/concurrency.ts';

const CHILD_QUERY_CONCURRENCY = 8;

export interface BatchView {
  batch_id: string;
  task_id: string;
  status: string;
  workflow_type: string | null;
  collections: BatchItemState[];
  counts: Record<string, number>;
  error: string | null;
}

/**
 * A batch as a user wants to see it: its result once it ended, else its live
 * progress, with each running child's own counts asked of that child (the
 * batch keeps no per-document counts in its history).
 */
export async function readBatch(temporal: Client, batchId: string): Promise<BatchView | undefined> {
  const taskId = workflowIds.batchProcess(batchId);
  const handle = temporal.workflow.getHandle(taskId);
  let temporalStatus: string;
  try {
    temporalStatus = (await handle.describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }

  if (temporalStatus === 'COMPLETED') {
    const result = (await handle.result()) as BatchProcessResult;
    return view(batchId, taskId, result.status.toUpperCase(), result.mode, result.collections, null);
  }

  let error: string | null = null;
  if (temporalStatus === 'FAILED') {
    error = await handle.result().then(() => null, innermostMessage);
  }
  // Queries work on closed workflows too (a worker replays them); a batch
  // terminated before its first task has nothing to answer with.
  const progress = await handle.query(batchProgressQuery).catch(() => undefined);
  const collections = progress?.collections ?? [];
  // The batch records a child's counts only from its result. A child still
  // running, or one cancelled or terminated with the batch, has none there:
  // ask the child itself, so a cancelled batch still shows what each
  // collection processed before the cancel (a closed child answers too: a
  // worker replays it).
  await mapWithConcurrency(collections, CHILD_QUERY_CONCURRENCY, async (item) => {
    if (!item.task_id || !countsMissing(item)) return;
    const child = await temporal.workflow
      .getHandle(item.task_id)
      .query(progressQuery)
      .catch(() => undefined);
    if (child) {
      item.processed = child.processed;
      item.failed = child.failed;
    }
  });
  return view(batchId, taskId, temporalStatus, progress?.mode ?? null, collections, error);
}

/** Counts that did not come from the child's result: it runs, or ended without one (cancelled, terminated). */
function countsMissing(item: BatchItemState): boolean {
  return (
    item.status === 'running' ||
    ((item.status === 'cancelled' || item.status === 'failed') && item.processed === 0 && item.failed === 0)
  );
}

function view(
  batchId: string,
  taskId: string,
  status: string,
  mode: string | null,
  collections: BatchItemState[],
  error: string | null,
): BatchView {
  const counts: Record<string, number> = {};
  for (const item of collections) counts[item.status] = (counts[item.status] ?? 0) + 1;
  return { batch_id: batchId, task_id: taskId, status, workflow_type: mode, collections, counts, error };
}
