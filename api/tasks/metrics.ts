import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { WorkflowKind } from '../../workflows/search-attributes.ts';
import { mapWithConcurrency } from '../../common/concurrency.ts';
import type { ExecutionStatus } from './execution-status.ts';
import { countTasks, listTasks } from './visibility.ts';

const QueueType = proto.temporal.api.enums.v1.TaskQueueType;

/** Closed tasks are counted over this window. */
const RECENT_WINDOW_HOURS = 24;
/** Closed tasks read for the per-kind tally and the average duration (the totals are exact counts). */
const RECENT_SAMPLE = 1_000;
const CLOSED_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'] as const;

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
    by_status: Record<string, number>;
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
 * tasks closed in the last day by status (and, from a sample, by kind, with
 * their average duration), the workers polling the task queue and its backlog.
 */
export async function readTaskMetrics(
  client: Client,
  namespace: string,
  taskQueue: string,
  documentTaskQueue?: string,
): Promise<TaskMetrics> {
  const since = new Date(Date.now() - RECENT_WINDOW_HOURS * 3_600_000);
  const kinds = Object.values(WorkflowKind);
  const [runningByKind, closedByStatus, sample, queues, documents] = await Promise.all([
    mapWithConcurrency(kinds, 4, (kind) => countTasks(client, namespace, { status: 'RUNNING', kind })),
    mapWithConcurrency(CLOSED_STATUSES, 5, (status) => countTasks(client, namespace, { status, closedAfter: since })),
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
    byKind[kind][task.status] = (byKind[kind][task.status] ?? 0) + 1;
    if (task.started_at && task.closed_at) {
      durationTotal += (Date.parse(task.closed_at) - Date.parse(task.started_at)) / 1000;
      durations++;
    }
  }
  const byStatus = Object.fromEntries(CLOSED_STATUSES.map((status, i) => [status, closedByStatus[i]])) as Record<
    ExecutionStatus,
    number
  >;
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
