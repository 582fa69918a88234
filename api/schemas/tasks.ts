import { z } from 'zod';
import { registry } from '../openapi/registry.ts';
import { Progress } from './analysis.ts';
import { TaskId } from './ids.ts';
import { CANCEL_WAIT_MS, MAX_CANCEL_WAIT_SECONDS } from '../tasks/cancel.ts';
import { QUERY_VALUE } from '../tasks/visibility.ts';

export const TaskStatusFilter = z.enum([
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
]);
export const TaskKind = z.enum([
  'collection_analysis',
  'document_processing',
  'batch_process',
  'reconcile_storage',
  'query',
  'reembedding',
]);
const filterValue = z.string().regex(QUERY_VALUE, 'letters, digits and _.:- only, at most 200');

export const ListTasksQuery = z
  .object({
    collection: filterValue.optional().openapi({ description: 'Collection id or name' }),
    batch: filterValue.optional(),
    status: TaskStatusFilter.optional(),
    kind: TaskKind.optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(50),
    page_token: z
      .string()
      .max(4_096)
      .regex(/^[A-Za-z0-9_-]*$/, 'a page token from a previous answer')
      .optional(),
  })
  .strict();

export const TaskSummary = registry.register(
  'TaskSummary',
  z.object({
    task_id: z.string(),
    kind: z.string().nullable(),
    status: z.string(),
    collection_id: z.string().nullable(),
    batch_id: z.string().nullable(),
    started_at: z.string().nullable(),
    closed_at: z.string().nullable(),
    outcome: z.string().nullable().openapi({
      description:
        'How an analysis or batch ended (completed, completed_with_errors, failed, cancelled): its Outcome search attribute; null while it runs, for other kinds, and for runs closed before it existed',
    }),
  }),
);

export const TaskList = z.object({ tasks: z.array(TaskSummary), next_page_token: z.string().nullable() });

const cancelOptions = {
  terminate: z.boolean().default(false).openapi({ description: 'Terminate instead of cancel: no cleanup runs' }),
  reason: z.string().max(1_000).optional(),
};

/** How long a cancel's answer waits for the task to close (v2 and v3 alike; each describes it in its own words). */
export const cancelWaitSeconds = (description: string) =>
  z
    .number()
    .min(0)
    .max(MAX_CANCEL_WAIT_SECONDS)
    .default(CANCEL_WAIT_MS / 1000)
    .openapi({ description });

export const CancelTaskBody = z
  .object({
    ...cancelOptions,
    wait_seconds: cancelWaitSeconds(
      'How long the answer waits for the cancelled task to close (its cleanup to end); its `status` says whether it did (CANCELLED) or not yet (CANCELLING)',
    ),
  })
  .strict();

export const BatchCancelBody = z
  .object({
    task_ids: z.array(TaskId).min(1).optional(),
    batch_id: filterValue.optional(),
    collection_id: filterValue.optional().openapi({ description: 'Collection id or name' }),
    ...cancelOptions,
  })
  .strict()
  .refine((body) => [body.task_ids, body.batch_id, body.collection_id].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of task_ids, batch_id or collection_id',
  });

export const CancelResult = registry.register(
  'CancelResult',
  z.object({
    task_id: z.string(),
    outcome: z.enum(['cancelled', 'terminated', 'already_completed', 'not_found', 'error']).openapi({
      description: 'cancelled: the cancel was requested (accepted); `status` says whether the task has closed since',
    }),
    status: z.string().optional().openapi({
      description:
        'already_completed: how it closed. cancelled: CANCELLING while its cleanup runs (a batch cancel does not wait); one task: CANCELLED once it closed within wait_seconds (or how it closed otherwise)',
    }),
    message: z.string().optional(),
  }),
);

export const CancelSummary = z.object({
  cancelled: z.number().int(),
  terminated: z.number().int(),
  already_completed: z.number().int(),
  not_found: z.number().int(),
  errors: z.number().int(),
});

export const BatchCancelAnswer = z.object({
  results: z.array(CancelResult),
  summary: CancelSummary,
  total: z.number().int(),
});

export const TaskMetrics = registry.register(
  'TaskMetrics',
  z.object({
    task_queue: z.string(),
    running: z.object({ total: z.number().int(), by_kind: z.record(z.string(), z.number().int()) }),
    recently_closed: z.object({
      window_hours: z.number(),
      total: z.number().int(),
      by_status: z.record(z.string(), z.number().int()).openapi({
        description:
          'By outcome, as GET /tasks/{id}/status says it: a COMPLETED execution whose Outcome is failed counts as FAILED, completed_with_errors as COMPLETED_WITH_ERRORS; one without Outcome (closed before it existed) by its execution status',
      }),
      by_execution_status: z.record(z.string(), z.number().int()).openapi({
        description: "By Temporal's execution status alone (an analysis whose documents all failed COMPLETED)",
      }),
      by_kind: z
        .record(z.string(), z.record(z.string(), z.number().int()))
        .openapi({ description: 'By outcome, from the newest closed tasks (sample_size of them)' }),
      sample_size: z.number().int(),
      average_duration_seconds: z.number().nullable(),
    }),
    workers: z.array(
      z.object({
        identity: z.string(),
        polls: z.array(z.enum(['workflow', 'activity'])),
        last_access_time: z.string().nullable(),
      }),
    ),
    backlog: z.object({ workflow: z.number().int().nullable(), activity: z.number().int().nullable() }),
    document_queue: z
      .object({
        task_queue: z.string(),
        backlog: z.number().int().nullable(),
        workers: z.array(
          z.object({
            identity: z.string(),
            polls: z.array(z.enum(['workflow', 'activity'])),
            last_access_time: z.string().nullable(),
          }),
        ),
      })
      .optional()
      .openapi({
        description:
          'The queue of document work (document_task_queue): its backlog is what document workers are scaled on',
      }),
  }),
);

export const TaskStatusValue = z.enum([
  'RUNNING',
  'CANCELLING',
  'COMPLETED',
  'COMPLETED_WITH_ERRORS',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'TIMED_OUT',
]);

export const TaskStatus = registry.register(
  'TaskStatus',
  z.object({
    task_id: z.string(),
    kind: z.string(),
    status: TaskStatusValue.openapi({
      description:
        'RUNNING; CANCELLING: a cancel was requested and the cleanup still runs (CANCELLED once the workflow has closed); or how it closed, refined by the outcome for analyses and batches',
    }),
    progress: Progress.nullable(),
    result: z.unknown().nullable(),
    error: z.string().nullable(),
    started_at: z.string(),
    closed_at: z.string().nullable(),
  }),
);
