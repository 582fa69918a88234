import type { Response } from 'express';
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
 * Seconds a client is told to wait (Retry-After) before processing a
 * collection again whose analysis is being cancelled: its cleanup (cancelling
 * its documents, marking rows) usually ends within a few seconds.
 */
export const CANCELLING_RETRY_AFTER_SECONDS = 3;

/** Where a refusal's headers go: the route's response. */
export type HeaderSink = Pick<Response, 'setHeader'>;

/**
 * Starts the analysis of the collection a path names, with the refusals every
 * API version answers: 404 unknown collection, 409 an analysis already runs
 * (its task id and state in details; `analysis_cancelling` with a Retry-After
 * header on `answer` while a cancelled run still cleans up), 400 nothing to
 * process.
 */
export async function processCollection(
  deps: AnalysisStartDeps,
  ref: string,
  selection: DocumentSelection,
  options: ProcessingOptions,
  answer?: HeaderSink,
) {
  const collection = await loadCollection(deps.sql, ref);
  try {
    const started = await startCollectionAnalysis(deps, { collectionId: collection.id, selection, options });
    return { collection, task_id: started.task_id, documents: started.documents };
  } catch (error) {
    if (error instanceof AnalysisAlreadyRunningError && error.state === 'CANCELLING') {
      answer?.setHeader('Retry-After', String(CANCELLING_RETRY_AFTER_SECONDS));
      throw new ApiError(
        409,
        'analysis_cancelling',
        `collection '${collection.name}': its analysis (task ${error.taskId}) is being cancelled and still cleaning up; process it again once that task has closed (retry in ${CANCELLING_RETRY_AFTER_SECONDS} s)`,
        { task_id: error.taskId, state: error.state, retry_after_seconds: CANCELLING_RETRY_AFTER_SECONDS },
      );
    }
    if (error instanceof AnalysisAlreadyRunningError) {
      throw new ApiError(
        409,
        'analysis_running',
        `collection '${collection.name}' is being analysed by task ${error.taskId}`,
        { task_id: error.taskId, state: error.state },
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
