import {
  AnalysisAlreadyRunningError,
  NothingToProcessError,
  startCollectionAnalysis,
  type AnalysisStartDeps,
} from '../analysis/start.ts';
import { CANCELLING_RETRY_AFTER_SECONDS } from '../analysis/process-collection.ts';
import type { ProcessingOptions } from '../../workflows/collection-analysis-contract.ts';

export interface AnalysisStart {
  task_id: string | null;
  started: boolean;
  reason?: string;
}

/**
 * Starts collectionAnalysis over the collection's pending documents (which
 * include the ones this upload stored). The files are already committed, so
 * a start that cannot happen is reported, never turned into a failed upload.
 */
export async function startAnalysisForUpload(
  deps: AnalysisStartDeps,
  collectionId: string,
  _documentIds: string[],
  options: ProcessingOptions,
): Promise<AnalysisStart> {
  try {
    const started = await startCollectionAnalysis(deps, { collectionId, options, selection: 'pending' });
    return { task_id: started.task_id, started: true };
  } catch (error) {
    if (error instanceof AnalysisAlreadyRunningError && error.state === 'CANCELLING') {
      // That task is ending and will not process these documents: no task id, the reason names it.
      return {
        task_id: null,
        started: false,
        reason: `the analysis of this collection (task ${error.taskId}) is being cancelled and still cleaning up; process the collection again once that task has closed (in about ${CANCELLING_RETRY_AFTER_SECONDS} s)`,
      };
    }
    if (error instanceof AnalysisAlreadyRunningError) {
      return { task_id: error.taskId, started: false, reason: 'an analysis of this collection is already running' };
    }
    if (error instanceof NothingToProcessError) return { task_id: null, started: false, reason: error.message };
    return { task_id: null, started: false, reason: `analysis could not be started: ${(error as Error).message}` };
  }
}
