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

export const V2DocumentDetail = z.object({
  id: z.string(),
  filename: z.string(),
  original_filename: z.string(),
  content_hash: z.string(),
  file_size: z.number(),
  mime_type: z.string(),
  file_path: z.string().openapi({ description: 'The storage key (not a server path); documents/add accepts it' }),
  collection_ids: z.array(z.string()),
  collections: z.array(z.object({ id: z.string(), name: z.string() })),
  created_at: z.string(),
  document_metadata: z.record(z.string(), z.unknown()),
  status: z.string(),
  error: z.string().nullable(),
  processing_step: z.string().nullable(),
  page_count: z.number().int().nullable(),
  chunk_count: z.number().int(),
  embedded_chunks: z.number().int(),
  updated_at: z.string(),
});

export const V2ChunkPage = z.object({
  document_id: z.string(),
  total_chunks: z.number().int(),
  chunks_returned: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  chunks: z.array(
    z.object({
      chunk_id: z.string(),
      chunk_index: z.number().int(),
      text: z.string(),
      has_embedding: z.boolean(),
      embedding_dimensions: z.number().int().nullable(),
      chunk_metadata: z.record(z.string(), z.unknown()),
    }),
  ),
});

export const V2ChunkQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});
