import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { mapWithConcurrency } from '../../common/concurrency.ts';
import { executionStatusFromName, type ExecutionStatus } from './execution-status.ts';
import { isWellFormedTaskId } from '../schemas/ids.ts';

export type CancelOutcome = 'cancelled' | 'terminated' | 'already_completed' | 'not_found' | 'error';

export interface CancelResult {
  task_id: string;
  outcome: CancelOutcome;
  /** The final status, for already_completed. */
  status?: ExecutionStatus;
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
    return { task_id: taskId, outcome: 'cancelled' };
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
