import type { z } from 'zod';
import { currentAnalysisRun, processingStatus } from '../../db/queries/analysis.ts';
import { findEmbeddingProvider, type CollectionRow } from '../../db/queries/collections.ts';
import { workflowIds } from '../../workflows/ids.ts';
import type { ApiDeps } from '../deps.ts';
import type { ProcessingStatus } from '../schemas/analysis.ts';

/** Documents by status, chunk and embedding counts, graph size and the running analysis of a collection. */
export async function readProcessingStatus(
  deps: Pick<ApiDeps, 'sql' | 'temporal'>,
  collection: CollectionRow,
): Promise<z.input<typeof ProcessingStatus>> {
  const { sql } = deps;
  const [counts, provider, runKey] = await Promise.all([
    processingStatus(sql, collection.id),
    findEmbeddingProvider(sql, collection.id),
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
    running_task_id:
      runKey === undefined
        ? null
        : await runningTask(deps, workflowIds.collectionAnalysis(collection.id, String(runKey))),
  };
}

/** The collection's analysis task when one is running (its status alone can be stale: a terminated run does no cleanup). */
export async function runningAnalysis(
  deps: Pick<ApiDeps, 'sql' | 'temporal'>,
  collectionId: string,
): Promise<string | null> {
  const runKey = await currentAnalysisRun(deps.sql, collectionId);
  return runKey === undefined ? null : runningTask(deps, workflowIds.collectionAnalysis(collectionId, String(runKey)));
}

/** The analysis under the current run key, when it is running. */
async function runningTask(deps: Pick<ApiDeps, 'temporal'>, taskId: string): Promise<string | null> {
  try {
    const description = await deps.temporal.workflow.getHandle(taskId).describe();
    return description.status.name === 'RUNNING' ? taskId : null;
  } catch {
    return null;
  }
}
