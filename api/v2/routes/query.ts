import { Router } from 'express';
import { z } from 'zod';
import type { RetrievalMode } from '../../../workflows/query-contract.ts';
import type { ApiDeps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { API_V2_PREFIX } from '../../prefixes.ts';
import { startQuery } from '../../query/start-query.ts';
import { CollectionRef } from '../../schemas/collections.ts';
import { v2Route } from '../route.ts';
import { V2_SEARCH_TYPES, V2QueryAnswer, V2QueryBody } from '../schemas/query.ts';

type V2QueryBody = z.output<typeof V2QueryBody>;

const DocumentQueryPath = CollectionRef.extend({
  document: z.string().min(1).max(1_000).openapi({ description: 'Document id or file name' }),
});

/**
 * The original contract's query routes: each starts a query task and answers
 * its id at once (the original's async mode, which it forced for every
 * query); the answer is the task's result (GET /tasks/{id}/status or /result).
 */
export function v2QueryRoutes(deps: ApiDeps): Router {
  const router = Router();

  const start = async (collection: string, document: string | undefined, body: V2QueryBody) => {
    const searchType = body.search_type ?? 'adaptive';
    const started = await startQuery(deps, {
      collection,
      document,
      question: body.question,
      k: body.max_results,
      mode: modeOf(searchType),
      answerFormat: body.answer_format ?? 'default',
      includeCitedChunks: body.include_cited_chunks ?? false,
      searchType,
    });
    return {
      task_id: started.task_id,
      status: 'processing' as const,
      query_type: `${modeOf(searchType)}${document ? '_document' : ''}`,
      collection_id: started.collection_id,
      ...(started.document_id ? { document_id: started.document_id } : {}),
      question: body.question,
      message: `${document ? 'Document query' : 'Query'} submitted for async processing. Use task_id to check status.`,
      status_endpoint: `${API_V2_PREFIX}/tasks/${started.task_id}`,
    };
  };

  v2Route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/query',
      summary:
        "Queries a collection (the original's QueryRequest): starts a query task and answers its task_id; the answer, with sources cited by document and page, is the task's result",
      tags: ['v2 query'],
      params: CollectionRef,
      body: V2QueryBody,
      data: V2QueryAnswer,
      errors: [404],
    },
    async ({ params, body }) => start(params.collection, undefined, body),
  );

  v2Route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/documents/:document/query',
      summary: 'Queries one document of a collection (by id or file name), as a query task',
      tags: ['v2 query'],
      params: DocumentQueryPath,
      body: V2QueryBody,
      data: V2QueryAnswer,
      errors: [404],
    },
    async ({ params, body }) => start(params.collection, params.document, body),
  );

  return router;
}

/** vector searches vectors alone; adaptive and the graph types (no GraphRAG here) search hybrid. */
function modeOf(searchType: string): RetrievalMode {
  if (!(V2_SEARCH_TYPES as readonly string[]).includes(searchType)) {
    throw new ApiError(
      400,
      'validation_error',
      `Unsupported search_type '${searchType}'. Supported: ${V2_SEARCH_TYPES.join(', ')}`,
      { search_type: searchType },
    );
  }
  return searchType === 'vector' ? 'vector' : 'hybrid';
}
