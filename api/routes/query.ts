import { Router } from 'express';
import { startQuery } from '../query/start-query.ts';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';
import { CollectionRef } from '../schemas/collections.ts';
import { QueryBody, QueryStarted } from '../schemas/query.ts';

/** A question over a collection's chunks, answered by a query workflow (its result is the answer). */
export function queryRoutes(deps: ApiDeps): Router {
  const router = Router();

  route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/query',
      summary:
        'Asks a question of a collection (or of one document, document_id): a query task retrieves passages, then answers through the chat endpoint (llm_base_url) citing them, or with the passages themselves (extractive). The answer is the task result (GET /tasks/{task_id})',
      tags: ['query'],
      params: CollectionRef,
      body: QueryBody,
      data: QueryStarted,
      successStatus: 202,
      errors: [404],
    },
    async ({ params, body }) => {
      const started = await startQuery(deps, {
        collection: params.collection,
        document: body.document_id,
        question: body.question,
        k: body.k,
        mode: body.mode,
        answerFormat: body.answer_format,
        includeCitedChunks: body.include_cited_chunks,
      });
      return {
        task_id: started.task_id,
        collection_id: started.collection_id,
        document_id: started.document_id,
        k: started.k,
        mode: body.mode,
      };
    },
  );

  return router;
}
