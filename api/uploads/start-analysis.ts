import type { ProcessingOptions } from '../../workflows/collection-analysis-contract.ts';
import type { ApiDeps } from '../deps.ts';

export interface AnalysisStart {
  task_id: string | null;
  started: boolean;
  reason?: string;
}

/**
 * SEAM: starts the collectionAnalysis workflow for the documents an upload
 * stored. The workflow is being built in its own issue; until it lands this
 * answers that nothing was started. Wire it here (workflowIds.collectionAnalysis,
 * search attributes) and the upload routes and the CLI pick it up unchanged.
 */
export async function startAnalysisForUpload(
  _deps: Pick<ApiDeps, 'temporal' | 'config' | 'sql'>,
  _collectionId: string,
  _documentIds: string[],
  _options: ProcessingOptions,
): Promise<AnalysisStart> {
  return { task_id: null, started: false, reason: 'analysis not available yet' };
}
