import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { WorkflowKind } from '../../workflows/search-attributes.ts';
import { mapWithConcurrency } from '../../common/concurrency.ts';
import { causes } from '../../common/errors.ts';
import { countTasks, listTasks } from './visibility.ts';

const QueueType = proto.temporal.api.enums.v1.TaskQueueType;

/** Closed tasks are counted over this window. */
const RECENT_WINDOW_HOURS = 24;
/** Closed tasks read for the per-kind tally and the average duration (the totals are exact counts). */
const RECENT_SAMPLE = 1_000;
const CLOSED_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'] as const;

/**
 * A closed task's status as GET /tasks/{id}/status says it: the `Outcome`
 * search attribute (OutcomeKey) refines a COMPLETED execution, since Temporal
 * closes an analysis whose documents all failed as COMPLETED. Each maps to the
 * status it counts under.
 */
const OUTCOME_STATUS = {
  completed_with_errors: 'COMPLETED_WITH_ERRORS',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
} as const satisfies Record<string, ClosedTaskStatus>;
type RefiningOutcome = keyof typeof OUTCOME_STATUS;
const REFINING_OUTCOMES = Object.keys(OUTCOME_STATUS) as RefiningOutcome[];

/** How a task closed, by outcome: Temporal's statuses and COMPLETED_WITH_ERRORS. */
export type ClosedTaskStatus = (typeof CLOSED_STATUSES)[number] | 'COMPLETED_WITH_ERRORS';

/**
 * A closed task's status by its outcome: only a COMPLETED execution is refined
 * by its Outcome (completed_with_errors, failed, cancelled); one without
 * Outcome (closed before the attribute existed, or a kind that sets none) and
 * every other execution status count as Temporal says.
 */
export function closedStatusOf(executionStatus: string, outcome: string | null): string {
  if (executionStatus !== 'COMPLETED' || outcome === null || !(outcome in OUTCOME_STATUS)) return executionStatus;
  return OUTCOME_STATUS[outcome as RefiningOutcome];
}

export interface WorkerPoller {
  identity: string;
  polls: ('workflow' | 'activity')[];
  last_access_time: string | null;
}

export interface TaskMetrics {
  task_queue: string;
  running: { total: number; by_kind: Record<string, number> };
  recently_closed: {
    window_hours: number;
    total: number;
    /** By outcome (closedStatusOf): an analysis whose documents all failed is FAILED, not COMPLETED. */
    by_status: Record<ClosedTaskStatus, number>;
    /** By Temporal's execution status alone. */
    by_execution_status: Record<(typeof CLOSED_STATUSES)[number], number>;
    by_kind: Record<string, Record<string, number>>;
    sample_size: number;
    average_duration_seconds: number | null;
  };
  workers: WorkerPoller[];
  backlog: { workflow: number | null; activity: number | null };
  /** The queue of document work: its backlog is what document workers are scaled on. */
  document_queue?: { task_queue: string; backlog: number | null; workers: WorkerPoller[] };
}

/**
 * What the task system is doing, asked of Temporal: running tasks by kind,
 * tasks closed in the last day by status (by outcome, and by execution status
 * alone), from a sample by kind (by outcome) with their average duration, the
 * workers polling the task queue and its backlog.
 */
export async function readTaskMetrics(
  client: Client,
  namespace: string,
  taskQueue: string,
  documentTaskQueue?: string,
): Promise<TaskMetrics> {
  const since = new Date(Date.now() - RECENT_WINDOW_HOURS * 3_600_000);
  const kinds = Object.values(WorkflowKind);
  const [runningByKind, closedByStatus, completedByOutcome, sample, queues, documents] = await Promise.all([
    mapWithConcurrency(kinds, 4, (kind) => countTasks(client, namespace, { status: 'RUNNING', kind })),
    mapWithConcurrency(CLOSED_STATUSES, 5, (status) => countTasks(client, namespace, { status, closedAfter: since })),
    mapWithConcurrency(REFINING_OUTCOMES, 3, (outcome) =>
      countTasks(client, namespace, { status: 'COMPLETED', closedAfter: since, outcome }).catch(outcomeNotRegistered),
    ),
    listTasks(client, namespace, { status: [...CLOSED_STATUSES], closedAfter: since }, { pageSize: RECENT_SAMPLE }),
    Promise.all([
      describeQueue(client, namespace, taskQueue, QueueType.TASK_QUEUE_TYPE_WORKFLOW),
      describeQueue(client, namespace, taskQueue, QueueType.TASK_QUEUE_TYPE_ACTIVITY),
    ]),
    documentTaskQueue === undefined
      ? undefined
      : describeQueue(client, namespace, documentTaskQueue, QueueType.TASK_QUEUE_TYPE_ACTIVITY),
  ]);

  const byKind: Record<string, Record<string, number>> = {};
  let durationTotal = 0;
  let durations = 0;
  for (const task of sample.tasks) {
    const kind = task.kind ?? 'unknown';
    byKind[kind] ??= {};
    const status = closedStatusOf(task.status, task.outcome);
    byKind[kind][status] = (byKind[kind][status] ?? 0) + 1;
    if (task.started_at && task.closed_at) {
      durationTotal += (Date.parse(task.closed_at) - Date.parse(task.started_at)) / 1000;
      durations++;
    }
  }
  const byExecutionStatus = Object.fromEntries(
    CLOSED_STATUSES.map((status, i) => [status, closedByStatus[i]]),
  ) as TaskMetrics['recently_closed']['by_execution_status'];
  const byStatus: Record<ClosedTaskStatus, number> = { ...byExecutionStatus, COMPLETED_WITH_ERRORS: 0 };
  REFINING_OUTCOMES.forEach((outcome, i) => {
    // Counted a moment apart: never move more than the COMPLETED count holds.
    const moved = Math.min(completedByOutcome[i], byStatus.COMPLETED);
    byStatus.COMPLETED -= moved;
    byStatus[OUTCOME_STATUS[outcome]] += moved;
  });
  return {
    task_queue: taskQueue,
    running: {
      total: sum(runningByKind),
      by_kind: Object.fromEntries(kinds.map((kind, i) => [kind, runningByKind[i]])),
    },
    recently_closed: {
      window_hours: RECENT_WINDOW_HOURS,
      total: sum(closedByStatus),
      by_status: byStatus,
      by_execution_status: byExecutionStatus,
      by_kind: byKind,
      sample_size: sample.tasks.length,
      average_duration_seconds: durations === 0 ? null : Math.round((durationTotal / durations) * 1000) / 1000,
    },
    workers: mergePollers(queues[0].pollers, queues[1].pollers),
    backlog: { workflow: queues[0].backlog, activity: queues[1].backlog },
    ...(documents
      ? {
          document_queue: {
            task_queue: documentTaskQueue!,
            backlog: documents.backlog,
            workers: mergePollers([], documents.pollers),
          },
        }
      : {}),
  };
}

/**
 * A server whose `Outcome` search attribute is not registered yet (the worker
 * registers it at start-up; an API may be newer) refuses the query with
 * INVALID_ARGUMENT: nothing carries it there, so nothing is refined.
 */
function outcomeNotRegistered(error: unknown): number {
  if (causes(error).some((cause) => (cause as { code?: unknown }).code === INVALID_ARGUMENT)) return 0;
  throw error;
}
const INVALID_ARGUMENT = 3;

async function describeQueue(client: Client, namespace: string, name: string, taskQueueType: number) {
  const response = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name },
    taskQueueType,
    reportStats: true,
  });
  const backlog = response.stats?.approximateBacklogCount;
  return {
    pollers: response.pollers ?? [],
    backlog: backlog === undefined || backlog === null ? null : Number(backlog),
  };
}

type Poller = { identity?: string | null; lastAccessTime?: { seconds?: unknown; nanos?: number | null } | null };

/** One entry per worker identity, saying which of the queue's two kinds it polls. */
function mergePollers(workflow: Poller[], activity: Poller[]): WorkerPoller[] {
  const workers = new Map<string, WorkerPoller>();
  const add = (pollers: Poller[], kind: 'workflow' | 'activity') => {
    for (const poller of pollers) {
      const identity = poller.identity ?? 'unknown';
      const worker = workers.get(identity) ?? { identity, polls: [], last_access_time: null };
      worker.polls.push(kind);
      const seen = poller.lastAccessTime
        ? new Date(Number(poller.lastAccessTime.seconds ?? 0) * 1000).toISOString()
        : null;
      if (seen && (!worker.last_access_time || seen > worker.last_access_time)) worker.last_access_time = seen;
      workers.set(identity, worker);
    }
  };
  add(workflow, 'workflow');
  add(activity, 'activity');
  return [...workers.values()];
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
