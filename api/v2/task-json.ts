import type { TaskStatusJson } from '../tasks/describe-task.ts';
import type { TaskSummary } from '../tasks/visibility.ts';
import { celeryStateOf } from './task-states.ts';

/** A task status (native) as the original contract's TaskStatusResponse, with the precise state beside it. */
export function v2TaskStatus(task: TaskStatusJson) {
  const progress = task.progress;
  const done = progress ? progress.processed + progress.failed : 0;
  const status = celeryStateOf(task.status, done > 0);
  const result = resultObject(task.result);
  return {
    task_id: task.task_id,
    task_name: task.kind,
    status,
    state: task.status,
    result,
    error: task.error ?? failedOutcome(result),
    progress: progress
      ? {
          current: done,
          total: progress.total,
          percentage: progress.percentage,
          message: `${progress.phase}: ${progress.processed} processed, ${progress.failed} failed of ${progress.total}${progress.in_flight ? `, ${progress.in_flight} in flight` : ''}`,
          timestamp: Date.now() / 1000,
          phase: progress.phase,
          processed: progress.processed,
          failed: progress.failed,
          in_flight: progress.in_flight,
        }
      : null,
    started_at: task.started_at,
    completed_at: task.closed_at,
    // Temporal runs a workflow on whichever worker polls next; no one worker owns it.
    worker_id: null,
    retry_count: 0,
  };
}

/** A task from a listing (visibility: no result or progress) in the same shape. */
export function v2TaskSummary(task: TaskSummary) {
  return {
    task_id: task.task_id,
    task_name: task.kind ?? 'unknown',
    status: celeryStateOf(task.status),
    state: task.status,
    result: null,
    error: null,
    progress: null,
    started_at: task.started_at,
    completed_at: task.closed_at,
    worker_id: null,
    retry_count: 0,
    collection_id: task.collection_id,
    batch_id: task.batch_id,
  };
}

/** The original typed `result` as an object; a bare value is wrapped the way it wrapped one. */
function resultObject(result: unknown): Record<string, unknown> | null {
  if (result === null || result === undefined) return null;
  if (typeof result === 'object' && !Array.isArray(result)) return result as Record<string, unknown>;
  return { result };
}

/** An analysis that ran to its end with every document failed is a FAILURE; its result says why. */
function failedOutcome(result: Record<string, unknown> | null): string | null {
  if (result?.status !== 'failed') return null;
  const failures = Array.isArray(result.failures) ? (result.failures as { filename?: string; error?: string }[]) : [];
  const first = failures[0];
  return `all ${String(result.failed ?? failures.length)} document(s) failed${first ? `; first: ${first.filename}: ${first.error}` : ''}`;
}
