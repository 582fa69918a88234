import { z } from 'zod';

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
