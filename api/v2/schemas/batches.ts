import { z } from 'zod';
import { V2ProcessBody } from './analysis.ts';

export const V2BatchTask = V2ProcessBody.extend({
  collection_id: z.string().min(1).max(256).optional(),
  collection_identifier: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .openapi({ description: 'Accepted for collection_id (the original read this name)' }),
}).refine((task) => task.collection_id !== undefined || task.collection_identifier !== undefined, {
  message: 'give collection_id',
  path: ['collection_id'],
});

export const V2BatchBody = z.object({
  tasks: z.array(V2BatchTask).min(1, 'No tasks provided in batch'),
  workflow_type: z.enum(['parallel', 'sequential']).default('parallel'),
  callback_url: z.string().max(2_000).nullable().optional(),
  stop_on_failure: z.boolean().default(false),
  max_parallel: z.number().int().min(1).optional(),
});

export const V2BatchAnswer = z.object({
  batch_id: z.string(),
  task_ids: z
    .array(z.string())
    .openapi({ description: "The batch's one task (a Temporal workflow running every collection as a child)" }),
  submitted_count: z.number().int(),
  failed_count: z.number().int(),
  failures: z.array(z.object({ collection_identifier: z.string(), error: z.string(), outcome: z.string() })),
  workflow_type: z.string(),
  estimated_duration: z.number().int().nullable(),
  task_id: z.string(),
  accepted: z.array(z.object({ collection_id: z.string(), name: z.string(), documents: z.number().int() })),
});
