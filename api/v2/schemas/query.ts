import { z } from 'zod';
import '../../openapi/registry.ts';
import { registry } from '../../openapi/registry.ts';
import { AnswerFormatField, Question } from '../../schemas/query.ts';

/** The search types the original accepted; without GraphRAG, the graph ones search chunks too (hybrid). */
export const V2_SEARCH_TYPES = ['vector', 'graph', 'global', 'local', 'adaptive'] as const;

/** The original's QueryRequest (extra fields are ignored, as pydantic did). */
export const V2QueryBody = z.object({
  question: Question,
  search_type: z
    .string()
    .nullable()
    .optional()
    .openapi({
      description: `One of ${V2_SEARCH_TYPES.join(', ')} (default adaptive): vector searches vectors, the others hybrid`,
    }),
  max_results: z
    .number()
    .int()
    .min(1)
    .nullable()
    .optional()
    .openapi({ description: 'Passages to retrieve (default query_default_k)' }),
  include_sources: z.boolean().nullable().optional().openapi({ description: 'Accepted; sources are always included' }),
  include_cited_chunks: z.boolean().nullable().optional(),
  query_mode: z.string().nullable().optional().openapi({ description: 'Accepted; every query runs as a task (async)' }),
  answer_format: AnswerFormatField.nullable().optional(),
});

export const V2QueryAnswer = registry.register(
  'V2QueryAnswer',
  z.object({
    task_id: z.string(),
    status: z.literal('processing'),
    query_type: z.string(),
    collection_id: z.string(),
    document_id: z.string().optional(),
    question: z.string(),
    message: z.string(),
    status_endpoint: z.string(),
  }),
);
