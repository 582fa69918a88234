import { z } from 'zod';

export const OPERATION_TYPES = ['complete_analysis', 'document_processing_only', 'incremental_update'] as const;

/** The original TaskSubmissionRequest: its fields and defaults (build_graph true); unknown fields ignored. */
export const V2ProcessBody = z.object({
  collection_id: z.string().max(256).optional().openapi({ description: 'Ignored: the path names the collection' }),
  operation_type: z
    .enum(OPERATION_TYPES, { message: `operation_type must be one of ${OPERATION_TYPES.join(', ')}` })
    .default('complete_analysis'),
  build_graph: z.boolean().default(true),
  extract_metadata: z.boolean().default(true),
  generate_embeddings: z.boolean().default(true),
  parameters: z.record(z.string(), z.unknown()).nullable().default({}).openapi({
    description:
      'force: true processes every document again; only_failed: true retries the failed ones; other keys are ignored and listed in ignored_parameters',
  }),
});

export const V2ProcessAnswer = z.object({
  task_id: z.string(),
  task_type: z.string(),
  status: z.literal('PENDING'),
  submitted_at: z.string(),
  estimated_duration: z.number().int().nullable(),
  collection_id: z.string(),
  selection: z.enum(['pending', 'only_failed', 'all']),
  documents: z.number().int(),
  message: z.string().optional(),
  ignored_parameters: z.array(z.string()),
});

/** The original DocumentProcessingRequest. Paths name documents already uploaded to the collection (their file_path, id or file name). */
export const V2AddDocumentsBody = z
  .object({
    file_paths: z.array(z.string().min(1).max(2_000)).default([]),
    document_ids: z.array(z.string().min(1).max(100)).nullable().optional(),
    chunk_size: z.number().int().nullable().optional(),
    chunk_overlap: z.number().int().nullable().optional(),
  })
  .refine((body) => body.file_paths.length + (body.document_ids?.length ?? 0) > 0, {
    message: 'No file paths provided',
    path: ['file_paths'],
  });

export const V2AddDocumentsAnswer = V2ProcessAnswer.extend({
  added: z.array(
    z.object({ reference: z.string(), document_id: z.string(), original_filename: z.string(), status: z.string() }),
  ),
  not_found: z.array(z.object({ reference: z.string(), reason: z.string() })),
});

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
