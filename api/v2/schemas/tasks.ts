import { z } from 'zod';
import { registry } from '../../openapi/registry.ts';
import { TaskId } from '../../schemas/ids.ts';
import { cancelWaitSeconds } from '../../schemas/tasks.ts';
import { CELERY_STATES } from '../task-states.ts';

// Request schemas of the original contract: its fields and defaults; unknown
// fields are ignored, as its pydantic models did.

export const V2CancelBody = z.object({
  terminate: z.boolean().default(false),
  reason: z.string().max(1_000).nullable().optional(),
  wait_seconds: cancelWaitSeconds(
    'Not in the original: how long the answer waits for the task to close (REVOKED); `state` says CANCELLED or, still cleaning up, CANCELLING',
  ),
});

export const V2BatchCancelBody = z.object({
  task_ids: z.array(TaskId).min(1, 'give at least one task id'),
  terminate: z.boolean().default(false),
});

export const V2ListTasksQuery = z.object({
  status: z.string().max(40).optional().openapi({
    description:
      'A Celery state (PENDING, STARTED, PROGRESS, SUCCESS, FAILURE, REVOKED) or a native one (RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT)',
  }),
  limit: z.coerce.number().int().min(1).max(1_000).default(20),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

const CeleryState = z.enum(CELERY_STATES);

export const V2TaskProgress = z.object({
  current: z.number().int(),
  total: z.number().int(),
  percentage: z.number(),
  message: z.string(),
  timestamp: z.number(),
  phase: z.string(),
  processed: z.number().int(),
  failed: z.number().int(),
  in_flight: z.number().int(),
});

export const V2TaskStatus = registry.register(
  'V2TaskStatus',
  z.object({
    task_id: z.string(),
    task_name: z.string(),
    status: CeleryState,
    state: z.string().openapi({
      description:
        'The precise state: RUNNING, CANCELLING (a cancel requested, the cleanup still running: STARTED or PROGRESS, not yet REVOKED), COMPLETED, COMPLETED_WITH_ERRORS, FAILED, CANCELLED, TERMINATED or TIMED_OUT',
    }),
    result: z.record(z.string(), z.unknown()).nullable(),
    error: z.string().nullable(),
    progress: V2TaskProgress.nullable(),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    worker_id: z.string().nullable(),
    retry_count: z.number().int(),
    collection_id: z.string().nullable().optional(),
    batch_id: z.string().nullable().optional(),
  }),
);

export const V2TaskList = z.object({
  tasks: z.array(V2TaskStatus),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  has_more: z.boolean(),
});

export const V2TaskResult = z.object({
  task_id: z.string(),
  ready: z.boolean(),
  successful: z.boolean().nullable().openapi({ description: 'null while the task runs' }),
  status: CeleryState,
  state: z.string(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
});

export const V2CancelAnswer = z.object({
  task_id: z.string(),
  success: z.boolean(),
  message: z.string(),
  timestamp: z.string(),
  outcome: z.enum(['cancelled', 'terminated']),
  status: CeleryState.openapi({
    description: 'REVOKED once the task has closed; STARTED or PROGRESS while it cleans up',
  }),
  state: z.string().openapi({
    description:
      'The precise state after the wait: CANCELLED (closed), CANCELLING (its cleanup still runs) or TERMINATED',
  }),
});

export const V2BatchCancelAnswer = z.object({
  total_tasks: z.number().int(),
  successful_cancellations: z.number().int(),
  failed_cancellations: z.number().int(),
  results: z.array(
    z.object({
      task_id: z.string(),
      success: z.boolean(),
      message: z.string(),
      outcome: z.enum(['cancelled', 'terminated', 'already_completed', 'not_found', 'error']),
      state: z.string().optional(),
    }),
  ),
  summary: z.object({
    cancelled: z.number().int().openapi({ description: 'Cancelled or terminated' }),
    already_completed: z.number().int(),
    errors: z.number().int().openapi({ description: 'Unknown ids and failures' }),
    terminated: z.number().int(),
    not_found: z.number().int(),
  }),
});

export const V2TaskMetrics = z.object({
  active_tasks: z.number().int(),
  pending_tasks: z.number().int(),
  completed_tasks: z.number().int(),
  failed_tasks: z.number().int(),
  average_task_duration: z.number().nullable(),
  worker_count: z.number().int(),
  queue_lengths: z.record(z.string(), z.number().int()),
  workers: z.record(
    z.string(),
    z.object({
      status: z.string(),
      active_tasks: z.null(),
      polls: z.array(z.string()),
      last_access_time: z.string().nullable(),
    }),
  ),
  window_hours: z.number(),
  running_by_kind: z.record(z.string(), z.number().int()),
  recently_closed_by_status: z.record(z.string(), z.number().int()).openapi({
    description: 'By outcome: an analysis whose documents all failed counts as FAILED, not COMPLETED',
  }),
  recently_closed_by_execution_status: z.record(z.string(), z.number().int()),
  recently_closed_by_kind: z.record(z.string(), z.record(z.string(), z.number().int())),
  task_queue: z.string(),
});
