import { Router } from 'express';
import { findCollection } from '../../db/queries/collections.ts';
import { currentAnalysisRun, processingStatus } from '../../db/queries/analysis.ts';
import type { DocumentSelection } from '../../workflows/collection-analysis-contract.ts';
import { workflowIds } from '../../workflows/ids.ts';
import { AnalysisAlreadyRunningError, CollectionNotFoundError, NothingToProcessError, startCollectionAnalysis } from '../analysis/start.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { route } from '../route.ts';
import { ProcessAnswer, ProcessBody, ProcessingStatus } from '../schemas/analysis.ts';
import { CollectionRef } from '../schemas/collections.ts';

export function analysisRoutes(deps: ApiDeps): Router {
  const { sql } = deps;
  const router = Router();

  route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/process',
      summary: 'Starts the analysis of a collection (documents not yet processed; only_failed: the failed ones; force: all)',
      tags: ['analysis'],
      params: CollectionRef,
      body: ProcessBody,
      data: ProcessAnswer,
      successStatus: 202,
      errors: [404, 409],
    },
    async ({ params, body }) => {
      const collection = await findCollection(sql, params.collection);
      if (!collection) throw notFound('collection', params.collection);
      const selection: DocumentSelection = body.force ? 'all' : body.only_failed ? 'only_failed' : 'pending';
      try {
        const started = await startCollectionAnalysis(deps, {
          collectionId: collection.id,
          selection,
          options: { build_graph: body.build_graph, extract_metadata: body.extract_metadata, generate_embeddings: body.generate_embeddings },
        });
        return { task_id: started.task_id, collection_id: collection.id, selection, documents: started.documents };
      } catch (error) {
        if (error instanceof AnalysisAlreadyRunningError) {
          throw new ApiError(409, 'analysis_running', `collection '${collection.name}' is being analysed by task ${error.taskId}`, { task_id: error.taskId });
        }
        if (error instanceof NothingToProcessError) throw new ApiError(400, error.reason, `collection '${collection.name}': ${error.message}`, { collection_id: collection.id });
        if (error instanceof CollectionNotFoundError) throw notFound('collection', params.collection);
        throw error;
      }
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/collections/:collection/processing-status',
      summary: 'Documents by status, chunk count, embedding coverage and graph size of a collection, and its running analysis',
      tags: ['analysis'],
      params: CollectionRef,
      data: ProcessingStatus,
      errors: [404],
    },
    async ({ params }) => {
      const collection = await findCollection(sql, params.collection);
      if (!collection) throw notFound('collection', params.collection);
      const [counts, [provider], runKey] = await Promise.all([
        processingStatus(sql, collection.id),
        sql<{ embedding_provider: string | null; embedding_dimension: number | null }[]>`
          SELECT embedding_provider, embedding_dimension FROM collections WHERE id = ${collection.id}`,
        currentAnalysisRun(sql, collection.id),
      ]);
      return {
        collection_id: collection.id,
        status: collection.status as 'processing',
        last_error: collection.last_error,
        documents: { total: counts.documents, by_status: counts.by_status },
        chunks: counts.chunks,
        embedded_chunks: counts.embedded_chunks,
        embedding_coverage: counts.chunks === 0 ? 0 : counts.embedded_chunks / counts.chunks,
        embedding_provider: provider?.embedding_provider ?? null,
        embedding_dimension: provider?.embedding_dimension ?? null,
        graph: { entities: counts.entities, edges: counts.edges },
        running_task_id: runKey === undefined ? null : await runningTask(workflowIds.collectionAnalysis(collection.id, String(runKey))),
      };
    },
  );

  /** The analysis under the current run key, when it is running. */
  async function runningTask(taskId: string): Promise<string | null> {
    try {
      const description = await deps.temporal.workflow.getHandle(taskId).describe();
      return description.status.name === 'RUNNING' ? taskId : null;
    } catch {
      return null;
    }
  }

  return router;
}
