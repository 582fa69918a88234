import { z } from 'zod';
import { registry } from '../openapi/registry.ts';

/** Ids a filter may name at once. */
const MAX_FILTER_DOCUMENTS = 1_000;

export const SearchBody = z
  .object({
    query: z
      .string()
      .openapi({ description: 'What to look for: words, or a question (web-search syntax: "a phrase", or, -word)' }),
    k: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'Hits to answer, from 1 to search_max_k (default search_default_k)' }),
    mode: z.enum(['hybrid', 'text', 'vector']).default('hybrid').openapi({
      description: 'hybrid: full text and vectors fused by reciprocal rank; text: full text only; vector: vectors only',
    }),
    filters: z
      .object({
        document_ids: z.array(z.uuid()).min(1).max(MAX_FILTER_DOCUMENTS).optional(),
        page_from: z.number().int().min(0).optional().openapi({ description: 'Chunks ending on this page or later' }),
        page_to: z.number().int().min(0).optional().openapi({ description: 'Chunks starting on this page or earlier' }),
        metadata: z.record(z.string().min(1).max(100), z.string().max(1_000)).optional().openapi({
          description: 'Document metadata fields equal to these values, e.g. {"language": "fra"} (ISO 639-3)',
        }),
      })
      .strict()
      .optional(),
  })
  .strict();

export const SearchHit = registry.register(
  'SearchHit',
  z.object({
    document_id: z.string(),
    document_name: z.string(),
    ordinal: z.number().int(),
    page_start: z.number().int().nullable(),
    page_end: z.number().int().nullable(),
    heading_path: z.array(z.string()).nullable(),
    text: z.string(),
    snippet: z.string().openapi({ description: 'The best passages of the chunk, query words between « and »' }),
    scores: z.object({
      text: z.number().optional().openapi({ description: 'ts_rank of the full-text match' }),
      vector: z.number().optional().openapi({ description: 'Cosine similarity to the query' }),
      fused: z.number().openapi({ description: 'Reciprocal rank fusion score: the order of the hits' }),
    }),
  }),
);

export const SearchAnswer = registry.register(
  'SearchAnswer',
  z.object({
    collection_id: z.string(),
    query: z.string(),
    mode: z.enum(['hybrid', 'text', 'vector']).openapi({ description: 'The mode that answered' }),
    vector_search: z.enum(['pgvector_hnsw', 'exact_cosine', 'none']).openapi({
      description: "How the vector list was found: pgvector's HNSW index, exact cosine, or not at all",
    }),
    notice: z.string().optional().openapi({ description: "Why the answer's mode differs from the request's" }),
    hits: z.array(SearchHit),
  }),
);
