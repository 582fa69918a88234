import { z } from 'zod';
import { ProcessingOptionFields } from '../../schemas/processing-options.ts';

export const OPERATION_TYPES = ['complete_analysis', 'document_processing_only', 'incremental_update'] as const;

/** The original TaskSubmissionRequest: its fields and defaults (the processing options' defaults are the original's); unknown fields ignored. */
export const V2ProcessBody = z.object({
  collection_id: z.string().max(256).optional().openapi({ description: 'Ignored: the path names the collection' }),
  operation_type: z
    .enum(OPERATION_TYPES, { message: `operation_type must be one of ${OPERATION_TYPES.join(', ')}` })
    .default('complete_analysis'),
  ...ProcessingOptionFields,
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

export const V2ProcessingStatus = z.object({
  collection_identifier: z.string(),
  collection_name: z.string(),
  document_count: z.number().int(),
  chunk_count: z.number().int(),
  chunks_with_embeddings: z.number().int(),
  embedding_coverage: z.number().openapi({ description: 'Percent of chunks with a vector, 0..100' }),
  last_updated: z.string(),
  created_at: z.string(),
  processing_status: z.string(),
  status_description: z.string(),
  available_operations: z.array(z.string()),
  current_task_id: z.string().nullable(),
  status_updated_at: z.string(),
  last_error: z.string().nullable(),
  documents_by_status: z.record(z.string(), z.number().int()),
  graph: z.object({ entities: z.number().int(), edges: z.number().int() }),
  embedding_provider: z.string().nullable(),
  embedding_dimension: z.number().int().nullable(),
});
