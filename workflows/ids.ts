/**
 * Task ids are workflow ids: readable, deterministic, one URL path segment.
 */
export const workflowIds = {
  collectionAnalysis: (collectionId: string, runKey: string) => `collection-analysis:${collectionId}:${runKey}`,
  batchProcess: (batchId: string) => `batch-process:${batchId}`,
  documentProcessing: (documentId: string, runKey: string) => `document:${documentId}:${runKey}`,
  reconcileStorageSchedule: 'reconcile-storage',
  settleClosedRunsSchedule: 'settle-closed-runs',
};
