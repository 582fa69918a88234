import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { z } from 'zod';
import { innermostMessage } from '../../common/errors.ts';
import { progressQuery, type CollectionAnalysisProgress } from '../../workflows/collection-analysis-contract.ts';
import { KindKey } from '../../workflows/search-attributes.ts';
import type { TaskStatus } from '../schemas/tasks.ts';

export type TaskStatusJson = z.input<typeof TaskStatus>;

/** How long a `progress` query may take before the answer goes without it (no worker up, say). */
const QUERY_TIMEOUT_MS = 3_000;

/**
 * The status of any task (workflow id): Temporal's status, refined by the
 * result for analyses (a completed run whose documents partly or all failed
 * says COMPLETED_WITH_ERRORS or FAILED), live progress, result or error.
 * A running task whose cancel was requested is CANCELLING: its cleanup
 * (cancelling its documents, marking rows) still runs, and it shows CANCELLED
 * only once the workflow has closed. Undefined for an unknown id.
 */
export async function describeTask(temporal: Client, taskId: string): Promise<TaskStatusJson | undefined> {
  const handle = temporal.workflow.getHandle(taskId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
  const kind = description.typedSearchAttributes.get(KindKey) ?? description.type;
  // The call itself ends at the deadline too: with no worker to answer, Temporal would hold it open indefinitely.
  const queryProgress = () =>
    withTimeout(
      temporal.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(progressQuery)),
      QUERY_TIMEOUT_MS,
    ).catch(() => null);
  const temporalStatus = description.status.name;
  // A chain that continued as new is still running (its latest run is described); UNKNOWN etc. read as RUNNING too.
  const closed = ['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'] as const;
  let status: TaskStatusJson['status'] = (closed as readonly string[]).includes(temporalStatus)
    ? (temporalStatus as (typeof closed)[number])
    : 'RUNNING';
  if (status === 'RUNNING' && cancelRequested(description)) status = 'CANCELLING';
  let result: unknown = null;
  let error: string | null = null;
  let progress: CollectionAnalysisProgress | null;

  if (status === 'RUNNING' || status === 'CANCELLING') {
    progress = await queryProgress();
  } else if (status === 'COMPLETED') {
    result = await handle.result();
    const outcome = (result as { status?: string } | null)?.status;
    if (outcome === 'completed_with_errors') status = 'COMPLETED_WITH_ERRORS';
    if (outcome === 'failed') status = 'FAILED';
    progress = progressFromResult(result);
  } else {
    error = await handle.result().then(() => null, innermostMessage);
    // No result, but its last progress says what it did before it stopped (a worker replays it to answer).
    progress = await queryProgress();
  }

  // A task that continued as new: its start is the first run's start.
  const firstRunId = description.raw.workflowExecutionInfo?.firstRunId;
  let startedAt = description.startTime;
  if (firstRunId && firstRunId !== description.runId) {
    startedAt = (
      await temporal.workflow
        .getHandle(taskId, firstRunId)
        .describe()
        .catch(() => description)
    ).startTime;
  }
  return {
    task_id: taskId,
    kind,
    status,
    progress,
    result,
    error,
    started_at: startedAt.toISOString(),
    closed_at: description.closeTime?.toISOString() ?? null,
  };
}

/**
 * Temporal recorded a cancel request for this run (WorkflowExecutionExtendedInfo.cancel_requested):
 * true from the request on, whether or not a worker has seen it yet.
 */
export function cancelRequested(description: {
  raw: { workflowExtendedInfo?: { cancelRequested?: boolean | null } | null };
}) {
  return description.raw.workflowExtendedInfo?.cancelRequested === true;
}

/** An analysis result reads as its final progress. */
function progressFromResult(result: unknown): CollectionAnalysisProgress | null {
  const r = result as { total?: unknown; processed?: unknown; failed?: unknown; failures?: unknown } | null;
  if (!r || typeof r.processed !== 'number' || typeof r.failed !== 'number' || typeof r.total !== 'number') return null;
  return {
    phase: 'done',
    total: r.total,
    processed: r.processed,
    failed: r.failed,
    in_flight: 0,
    percentage: 100,
    recent_failures: Array.isArray(r.failures) ? r.failures : [],
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
