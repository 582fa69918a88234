import { z } from 'zod';
import { registry } from '../../openapi/registry.ts';
import { Collection, CreateCollectionBody } from '../../schemas/collections.ts';

export const V2CreateCollectionBody = z.object({
  name: CreateCollectionBody.shape.name,
  description: z.string().max(2_000).nullable().optional(),
});

/** Optional paging: without it the original answered every item, and so does v2. */
export const V2OptionalPaging = z.object({
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

export const V2Document = registry.register(
  'V2Document',
  z.object({
    id: z.string(),
    filename: z.string().openapi({ description: 'The stored file name (<id>.<ext>)' }),
    original_filename: z.string(),
    mime_type: z.string(),
    file_size: z.number(),
    size_bytes: z.number(),
    content_hash: z.string(),
    status: z.string(),
    error: z.string().nullable(),
    created_at: z.string(),
  }),
);

export const V2CollectionWithDocuments = Collection.extend({ documents: z.array(V2Document) });

export const V2Deleted = z.object({
  message: z.string(),
  id: z.string(),
  name: z.string().optional(),
  collection_id: z.string().optional(),
  filename: z.string().optional(),
  deleted_documents: z.number().int().optional(),
});
