import { z } from 'zod';
import { registry } from '../openapi/registry.ts';
import { ANSWER_FORMATS } from '../../workflows/query-contract.ts';

/** A question: text after trimming; its length limit (query_max_question_chars) is checked against config. */
export const Question = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .openapi({ description: 'The question; at most search_max_query_chars characters' });

export const AnswerFormatField = z.enum(ANSWER_FORMATS).openapi({
  description: 'How the chat model writes the answer (an extractive answer is the passages whatever the format)',
});

export const QueryBody = z
  .object({
    question: Question,
    k: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: 'Passages to retrieve (default query_default_k, at most search_max_k)' }),
    mode: z.enum(['hybrid', 'text', 'vector']).default('hybrid'),
    document_id: z
      .string()
      .min(1)
      .max(1_000)
      .optional()
      .openapi({ description: 'Ask about one document of the collection (id or file name)' }),
    answer_format: AnswerFormatField.default('default'),
    include_cited_chunks: z
      .boolean()
      .default(false)
      .openapi({ description: "Put each passage's whole text in the result" }),
  })
  .strict();

export const QueryStarted = registry.register(
  'QueryStarted',
  z.object({
    task_id: z.string().openapi({ description: 'query:<uuid>; the answer is the result of GET /tasks/{task_id}' }),
    collection_id: z.string(),
    document_id: z.string().nullable(),
    k: z.number().int(),
    mode: z.enum(['hybrid', 'text', 'vector']),
  }),
);

export const ReembedBody = z
  .object({
    force: z
      .boolean()
      .default(false)
      .openapi({ description: "Re-embed even when the collection's vectors are the configured provider's" }),
  })
  .strict();

export const ReembeddingStarted = registry.register(
  'ReembeddingStarted',
  z.object({
    task_id: z.string().openapi({ description: 'reembedding:<collection id>' }),
    collection_id: z.string(),
    from: z.string().nullable().openapi({ description: "The collection's embedding provider before" }),
    to: z.string().openapi({ description: 'The configured provider its vectors move to' }),
    documents: z.number().int().openapi({ description: 'Processed documents to re-embed' }),
  }),
);
