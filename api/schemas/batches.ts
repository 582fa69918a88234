import { z } from 'zod';
import { registry } from '../openapi/registry.ts';
import { ProcessingOptionFields } from './processing-options.ts';

export const BatchTaskRequest = z
  .object({
    collection_id: z.string().min(1).max(256).openapi({ description: 'Collection id or name' }),
    ...ProcessingOptionFields,
  })
  .strict();

export const BatchProcessBody = z
  .object({
    tasks: z.array(BatchTaskRequest).min(1, 'give at least one collection'),
    workflow_type: z.enum(['parallel', 'sequential']).default('parallel'),
    stop_on_failure: z
      .boolean()
      .default(false)
      .openapi({ description: 'Sequential: stop at the first collection that fails or is cancelled' }),
    max_parallel: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: 'Parallel: children in flight (default max_parallel_collections)' }),
    callback_url: z
      .string()
      .max(2_000)
      .optional()
      .openapi({ description: 'POSTed the result when the batch ends; host must be on callback_allowed_hosts' }),
  })
  .strict();

export const BatchItemRejection = z.object({
  collection_id: z.string(),
  outcome: z.enum(['not_found', 'no_documents', 'duplicate']),
  reason: z.string(),
});

export const BatchAccepted = z.object({ collection_id: z.string(), name: z.string(), documents: z.number().int() });

export const BatchSubmitted = registry.register(
  'BatchSubmitted',
  z.object({
    batch_id: z.string(),
    task_id: z.string(),
    workflow_type: z.enum(['parallel', 'sequential']),
    accepted: z.array(BatchAccepted),
    rejected: z.array(BatchItemRejection),
  }),
);

export const BatchRef = z.object({
  batch_id: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,100}$/, 'a batch id')
    .openapi({ description: 'Batch id' }),
});

export const BatchItemState = registry.register(
  'BatchItemState',
  z.object({
    collection_id: z.string(),
    name: z.string(),
    task_id: z.string().nullable(),
    status: z.string(),
    processed: z.number().int(),
    failed: z.number().int(),
    reason: z.string().optional(),
  }),
);

export const BatchStatus = registry.register(
  'BatchStatus',
  z.object({
    batch_id: z.string(),
    task_id: z.string(),
    status: z.string().openapi({
      description: 'RUNNING, COMPLETED, COMPLETED_WITH_ERRORS, FAILED, CANCELLED, TERMINATED or TIMED_OUT',
    }),
    workflow_type: z.string().nullable(),
    collections: z.array(BatchItemState),
    counts: z.record(z.string(), z.number().int()),
    error: z.string().nullable(),
  }),
);

export const BatchCancelled = z.object({
  batch_id: z.string(),
  task_id: z.string(),
  outcome: z.enum(['cancel_requested', 'already_completed']),
  status: z.string(),
});
