import { z } from 'zod';
import { registry } from '../openapi/registry.ts';
import { CollectionStatus, DocumentStatus } from './collections.ts';
import { ProcessingOptionFields } from './processing-options.ts';

export const ProcessBody = z
  .object({
    ...ProcessingOptionFields,
    only_failed: z.boolean().default(false).openapi({ description: 'Retry only the documents that failed' }),
    force: z.boolean().default(false).openapi({ description: 'Process every document again, processed ones included' }),
  })
  .strict()
  .refine((body) => !(body.only_failed && body.force), {
    message: 'only_failed and force cannot both be set',
    path: ['only_failed'],
  });

export const ProcessAnswer = registry.register(
  'ProcessAnswer',
  z.object({
    task_id: z.string(),
    collection_id: z.string(),
    selection: z.enum(['pending', 'only_failed', 'all']),
    documents: z.number().int().openapi({ description: 'Documents this run takes' }),
  }),
);

export const DocumentFailure = z.object({ document_id: z.string(), filename: z.string(), error: z.string() });

export const Progress = registry.register(
  'AnalysisProgress',
  z.object({
    phase: z.string(),
    total: z.number().int(),
    processed: z.number().int(),
    failed: z.number().int(),
    in_flight: z.number().int(),
    queued: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'Documents the run took and has not started yet (status `queued`)' }),
    percentage: z.number(),
    recent_failures: z.array(DocumentFailure),
  }),
);

export const ProcessingStatus = registry.register(
  'ProcessingStatus',
  z.object({
    collection_id: z.string(),
    status: CollectionStatus,
    last_error: z.string().nullable(),
    documents: z.object({ total: z.number().int(), by_status: z.record(z.string(), z.number().int()) }),
    chunks: z.number().int(),
    embedded_chunks: z.number().int(),
    embedding_coverage: z.number().openapi({ description: 'Share of chunks with a vector, 0..1' }),
    embedding_provider: z.string().nullable(),
    embedding_dimension: z.number().int().nullable(),
    graph: z.object({ entities: z.number().int(), edges: z.number().int() }),
    running_task_id: z.string().nullable(),
  }),
);

export const DocumentDetail = registry.register(
  'DocumentDetail',
  z.object({
    id: z.string(),
    collection_id: z.string(),
    original_filename: z.string(),
    mime_type: z.string(),
    size_bytes: z.number(),
    content_hash: z.string(),
    status: DocumentStatus,
    processing_step: z.string().nullable(),
    error: z.string().nullable(),
    page_count: z.number().int().nullable(),
    chunk_count: z.number().int(),
    embedded_chunks: z.number().int(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
  }),
);

export const ChunkPageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(10_000_000).optional(),
    after: z.coerce
      .number()
      .int()
      .min(-1)
      .optional()
      .openapi({ description: 'Cursor: chunks with an ordinal above this (next_after of the previous page)' }),
  })
  .refine((query) => query.offset === undefined || query.after === undefined, {
    message: 'give offset or after, not both',
    path: ['after'],
  });

export const Chunk = z.object({
  ordinal: z.number().int(),
  text: z.string(),
  token_count: z.number().int(),
  page_start: z.number().int().nullable(),
  page_end: z.number().int().nullable(),
  heading_path: z.array(z.string()).openapi({
    description:
      "The headings the chunk's own text starts under, outermost first (HTML/EPUB h1–h6, DOCX heading styles, Markdown headings, a PDF's outline); [] when the document has none there",
  }),
  has_embedding: z.boolean(),
});

export const ChunkPage = registry.register(
  'ChunkPage',
  z.object({
    document_id: z.string(),
    chunks: z.array(Chunk),
    total: z.number().int(),
    limit: z.number().int(),
    next_after: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Pass as `after` for the next page; null at the end' }),
  }),
);
