import { z } from 'zod';
import { registry } from '../openapi/registry.ts';

export const CollectionStatus = z.enum([
  'created',
  'processing',
  'completed',
  'completed_with_errors',
  'failed',
  'cancelled',
]);
export const DocumentStatus = z.enum(['uploaded', 'queued', 'processing', 'processed', 'failed', 'cancelled']);

export const CollectionRef = z.object({
  collection: z.string().min(1).max(256).openapi({ description: 'Collection id or name' }),
});

export const CreateCollectionBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[^\x00-\x1f\x7f]+$/, 'must not contain control characters'),
    description: z.string().max(2_000).optional(),
  })
  .strict();

export const Pagination = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

export const DocumentSummary = registry.register(
  'DocumentSummary',
  z.object({
    id: z.string(),
    original_filename: z.string(),
    mime_type: z.string(),
    size_bytes: z.number(),
    status: DocumentStatus,
    error: z.string().nullable(),
    created_at: z.string(),
  }),
);

export const Collection = registry.register(
  'Collection',
  z.object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    status: CollectionStatus,
    last_error: z.string().nullable(),
    document_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
);

export const CollectionWithDocuments = Collection.extend({
  documents: z.array(DocumentSummary),
  limit: z.number().int(),
  offset: z.number().int(),
});
