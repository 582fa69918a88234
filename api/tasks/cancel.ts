import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { mapWithConcurrency } from '../../common/concurrency.ts';
import { executionStatusFromName, type ExecutionStatus } from './execution-status.ts';
import { isWellFormedTaskId } from '../schemas/ids.ts';

export type CancelOutcome = 'cancelled' | 'terminated' | 'already_completed' | 'not_found' | 'error';

export interface CancelResult {
  task_id: string;
  outcome: CancelOutcome;
  /**
   * The final status, for already_completed. For cancelled: CANCELLING (the
   * workflow accepted the cancel and its cleanup runs); after a wait for the
   * close (waitForCloseMs), how it closed (CANCELLED, or COMPLETED etc. when it
   * ended otherwise), or CANCELLING when its cleanup still ran at the bound.
   */
  status?: ExecutionStatus | 'CANCELLING';
  message?: string;
}

export interface CancelSummary {
  cancelled: number;
  terminated: number;
  already_completed: number;
  not_found: number;
  errors: number;
}

/** Requests at once against Temporal: enough to overlap round trips, few enough not to flood it. */
const CANCEL_CONCURRENCY = 16;

/**
 * How long a one-task cancel waits, by default, for the task to close: a
 * cancelled analysis cancels its documents, waits for them and marks rows
 * before it closes, which usually takes well under this.
 */
export const CANCEL_WAIT_MS = 5_000;
/** The longest wait a caller may ask for (wait_seconds). */
export const MAX_CANCEL_WAIT_SECONDS = 30;
/** How often the wait looks (one describe each time). */
const CLOSE_POLL_MS = 200;

interface CancelOptions {
  terminate: boolean;
  reason?: string;
  /**
   * The ids come from a visibility listing of running tasks made a moment ago:
   * skip the describe that tells closed from running (one round trip instead
   * of two). Temporal accepts a cancel of a closed workflow silently, so this
   * is only for ids known to be running.
   */
  listedAsRunning?: boolean;
  /** After a cancel, wait up to this long for the task to close, and say in `status` whether it did. */
  waitForCloseMs?: number;
}

/**
 * Cancels (or terminates: one call, never both) each running task once.
 * Duplicate ids count once; every id gets an outcome.
 */
export async function cancelTasks(
  client: Client,
  taskIds: readonly string[],
  options: CancelOptions,
): Promise<{ results: CancelResult[]; summary: CancelSummary }> {
  const unique = [...new Set(taskIds)];
  const results = await mapWithConcurrency(unique, CANCEL_CONCURRENCY, (id) => cancelOne(client, id, options));
  return { results, summary: summarise(results) };
}

async function cancelOne(client: Client, taskId: string, options: CancelOptions): Promise<CancelResult> {
  if (!isWellFormedTaskId(taskId)) return { task_id: taskId, outcome: 'not_found' };
  const handle = client.workflow.getHandle(taskId);
  try {
    if (!options.listedAsRunning) {
      const described = await handle.describe();
      if (described.status.name !== 'RUNNING') {
        return {
          task_id: taskId,
          outcome: 'already_completed',
          status: executionStatusFromName(described.status.name),
        };
      }
    }
    if (options.terminate) {
      await handle.terminate(options.reason ?? 'terminated through the FileIntel API');
      return { task_id: taskId, outcome: 'terminated' };
    }
    await handle.cancel();
    // Accepted by a running workflow: it is cancelling now (its cleanup runs before it closes).
    if (options.waitForCloseMs === undefined) return { task_id: taskId, outcome: 'cancelled', status: 'CANCELLING' };
    return { task_id: taskId, outcome: 'cancelled', status: await statusWithin(handle, options.waitForCloseMs) };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      // It may have closed between describe and cancel: say how it ended.
      const closed = await handle.describe().catch(() => undefined);
      if (closed && closed.status.name !== 'RUNNING') {
        return { task_id: taskId, outcome: 'already_completed', status: executionStatusFromName(closed.status.name) };
      }
      return { task_id: taskId, outcome: 'not_found' };
    }
    return { task_id: taskId, outcome: 'error', message: (error as Error).message };
  }
}

/**
 * The task's status once it has closed, looked at every CLOSE_POLL_MS up to
 * `ms`; CANCELLING when it still runs then (its cancel is recorded, its
 * cleanup not done). A describe that fails stops the wait: the cancel itself
 * went through, so the answer says CANCELLING rather than failing.
 */
async function statusWithin(handle: WorkflowHandle, ms: number): Promise<ExecutionStatus | 'CANCELLING'> {
  const deadline = Date.now() + ms;
  for (;;) {
    const described = await handle.describe().catch(() => undefined);
    if (!described) return 'CANCELLING';
    const status = executionStatusFromName(described.status.name);
    if (status !== 'RUNNING' && status !== 'CONTINUED_AS_NEW' && status !== 'UNKNOWN') return status;
    const left = deadline - Date.now();
    if (left <= 0) return 'CANCELLING';
    await new Promise((resolve) => setTimeout(resolve, Math.min(CLOSE_POLL_MS, left)));
  }
}

/** Counted from the results, never kept on the side. */
export function summarise(results: readonly CancelResult[]): CancelSummary {
  const count = (outcome: CancelOutcome) => results.filter((result) => result.outcome === outcome).length;
  return {
    cancelled: count('cancelled'),
    terminated: count('terminated'),
    already_completed: count('already_completed'),
    not_found: count('not_found'),
    errors: count('error'),
  };
}
