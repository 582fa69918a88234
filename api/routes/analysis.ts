import { Router } from 'express';
import type { DocumentSelection } from '../../workflows/collection-analysis-contract.ts';
import { processCollection } from '../analysis/process-collection.ts';
import { readProcessingStatus } from '../analysis/processing-status.ts';
import { loadCollection } from '../collections/collections.ts';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';
import { ProcessAnswer, ProcessBody, ProcessingStatus } from '../schemas/analysis.ts';
import { CollectionRef } from '../schemas/collections.ts';

export function analysisRoutes(deps: ApiDeps): Router {
  const router = Router();

  route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/process',
      summary:
        'Starts the analysis of a collection (documents not yet processed; only_failed: the failed ones; force: all)',
      tags: ['analysis'],
      params: CollectionRef,
      body: ProcessBody,
      data: ProcessAnswer,
      successStatus: 202,
      errors: [404, 409],
    },
    async ({ params, body, res }) => {
      const selection: DocumentSelection = body.force ? 'all' : body.only_failed ? 'only_failed' : 'pending';
      const { build_graph, extract_metadata, generate_embeddings } = body;
      const started = await processCollection(
        deps,
        params.collection,
        selection,
        { build_graph, extract_metadata, generate_embeddings },
        res,
      );
      return {
        task_id: started.task_id,
        collection_id: started.collection.id,
        selection,
        documents: started.documents,
      };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/collections/:collection/processing-status',
      summary:
        'Documents by status, chunk count, embedding coverage and graph size of a collection, and its running analysis',
      tags: ['analysis'],
      params: CollectionRef,
      data: ProcessingStatus,
      errors: [404],
    },
    async ({ params }) => readProcessingStatus(deps, await loadCollection(deps.sql, params.collection)),
  );

  return router;
}
