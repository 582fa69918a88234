import { Router } from 'express';
import { startReembedding } from '../query/start-reembedding.ts';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';
import { CollectionRef } from '../schemas/collections.ts';
import { ReembedBody, ReembeddingStarted } from '../schemas/query.ts';

/** Re-embedding a collection after its embedding provider changed. */
export function reembeddingRoutes(deps: ApiDeps): Router {
  const router = Router();

  route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/reembed',
      summary:
        "Replaces every vector of a collection with the configured embedding provider's (after a change of provider or dimension). Vector search is off for the collection until it ends; follow it with GET /tasks/{task_id} (progress), cancel it like any task",
      tags: ['analysis'],
      params: CollectionRef,
      body: ReembedBody,
      data: ReembeddingStarted,
      successStatus: 202,
      errors: [404, 409],
    },
    async ({ params, body }) => startReembedding(deps, params.collection, body.force),
  );

  return router;
}
