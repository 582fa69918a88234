import { z } from 'zod';

export const V2SingleUpload = z.object({
  document_id: z.string(),
  filename: z.string().openapi({ description: 'The stored file name (<id>.<ext>)' }),
  original_filename: z.string(),
  content_hash: z.string(),
  file_size: z.number().int(),
  file_path: z.string().openapi({ description: 'The storage key; documents/add accepts it' }),
  duplicate: z.boolean(),
  message: z.string(),
  collection_id: z.string(),
  outcome: z.enum(['stored', 'duplicate']),
  reason: z.string().optional(),
});

export const V2UploadAndProcess = z.object({
  uploaded_files: z.number().int(),
  duplicates_skipped: z.number().int(),
  file_paths: z.array(z.string()),
  duplicates: z.array(
    z.object({
      filename: z.string(),
      existing_document_id: z.string(),
      content_hash: z.string(),
      file_size: z.number().int(),
      reason: z.string(),
    }),
  ),
  task_id: z.string().optional(),
  processing_status: z.enum(['submitted', 'skipped', 'not_started']).optional(),
  estimated_duration: z.number().int().nullable().optional(),
  message: z.string().optional(),
  running_task_id: z.string().optional(),
  collection_id: z.string(),
  atomic: z.boolean(),
  files: z.array(z.record(z.string(), z.unknown())),
  counts: z.object({
    total: z.number().int(),
    stored: z.number().int(),
    duplicate: z.number().int(),
    rejected: z.number().int(),
  }),
});
