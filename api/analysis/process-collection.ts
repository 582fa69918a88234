import type { DocumentSelection, ProcessingOptions } from '../../workflows/collection-analysis-contract.ts';
import { loadCollection } from '../collections/collections.ts';
import { ApiError, notFound } from '../errors.ts';
import {
  AnalysisAlreadyRunningError,
  CollectionNotFoundError,
  NothingToProcessError,
  startCollectionAnalysis,
  type AnalysisStartDeps,
} from './start.ts';

/**
 * Starts the analysis of the collection a path names, with the refusals every
 * API version answers: 404 unknown collection, 409 an analysis already runs
 * (its task id in details), 400 nothing to process.
 */
export async function processCollection(
  deps: AnalysisStartDeps,
  ref: string,
  selection: DocumentSelection,
  options: ProcessingOptions,
) {
  const collection = await loadCollection(deps.sql, ref);
  try {
    const started = await startCollectionAnalysis(deps, { collectionId: collection.id, selection, options });
    return { collection, task_id: started.task_id, documents: started.documents };
  } catch (error) {
    if (error instanceof AnalysisAlreadyRunningError) {
      throw new ApiError(
        409,
        'analysis_running',
        `collection '${collection.name}' is being analysed by task ${error.taskId}`,
        { task_id: error.taskId },
      );
    }
    if (error instanceof NothingToProcessError)
      throw new ApiError(400, error.reason, `collection '${collection.name}': ${error.message}`, {
        collection_id: collection.id,
      });
    if (error instanceof CollectionNotFoundError) throw notFound('collection', ref);
    throw error;
  }
}
