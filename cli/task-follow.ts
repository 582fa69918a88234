import type { TaskStatusJson } from '../api/client/tasks.ts';
import { follow } from './follow.ts';
import { oneLine, printFields, printTable } from './output.ts';
import type { WorkProgress } from './progress.ts';

/** The command that follows a task (again). */
export const followTaskCommand = (taskId: string) => `fileintel tasks status ${taskId} --wait`;

/** Follows any task (workflow id) to its end through GET /tasks/{id}/status. */
export function followTask(taskId: string, options: { json: boolean }): Promise<TaskStatusJson> {
  return follow(
    {
      label: `task ${taskId}`,
      resume: followTaskCommand(taskId),
      read: (client) => client.tasks.status(taskId),
      // CANCELLING still runs (its cleanup); it ends CANCELLED once the workflow has closed.
      ended: (status) => status.status !== 'RUNNING' && status.status !== 'CANCELLING',
      progress: (status) => taskProgress(status.progress),
    },
    options,
  );
}

/**
 * An analysis reports documents; a batch's progress lists its collections,
 * whose document counts are summed.
 */
function taskProgress(progress: unknown): WorkProgress | undefined {
  const p = progress as {
    phase?: string;
    total?: number;
    processed?: number;
    failed?: number;
    in_flight?: number;
    collections?: { status: string; processed: number; failed: number }[];
  } | null;
  if (!p) return undefined;
  if (Array.isArray(p.collections)) {
    const ended = p.collections.filter((c) => !['pending', 'running'].includes(c.status)).length;
    const sum = (key: 'processed' | 'failed') => p.collections!.reduce((total, c) => total + c[key], 0);
    return {
      phase: p.phase ?? 'running',
      done: sum('processed') + sum('failed'),
      failed: sum('failed'),
      inFlight: 0,
      note: `${ended}/${p.collections.length} collections ended`,
    };
  }
  return {
    phase: p.phase ?? 'running',
    done: (p.processed ?? 0) + (p.failed ?? 0),
    failed: p.failed ?? 0,
    inFlight: p.in_flight ?? 0,
    total: p.total,
  };
}

/** Only a task that completed without errors counts as success. */
export const taskSucceeded = (status: TaskStatusJson) => status.status === 'COMPLETED';

/** The outcome of an ended task: counts, error, and each failed document or collection with its reason. */
export function printTaskOutcome(status: TaskStatusJson): void {
  const result = status.result as {
    processed?: number;
    failed?: number;
    total?: number;
    failures?: { filename: string; error: string }[];
    collections?: { name: string; status: string; processed: number; failed: number; reason?: string }[];
  } | null;
  const progress = status.progress as {
    processed?: number;
    failed?: number;
    total?: number;
    recent_failures?: { filename: string; error: string }[];
  } | null;
  // A cancelled or failed task has no result; its last progress holds what it did before it stopped.
  const counts = result?.processed !== undefined ? result : progress;
  printFields({
    task_id: status.task_id,
    kind: status.kind,
    status: status.status,
    processed: counts?.processed,
    failed: counts?.failed,
    total: counts?.total,
    error: status.error,
    started: status.started_at,
    closed: status.closed_at,
  });
  const failures = result?.failures ?? progress?.recent_failures ?? [];
  if (failures.length > 0)
    printTable(
      ['file', 'error'],
      failures.map((f) => [f.filename, oneLine(f.error, 100)]),
    );
  if (result?.collections?.length)
    printTable(
      ['collection', 'status', 'processed', 'failed', 'reason'],
      result.collections.map((c) => [c.name, c.status, c.processed, c.failed, c.reason]),
    );
}
