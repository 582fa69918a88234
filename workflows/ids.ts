/**
 * Task ids are workflow ids: readable, deterministic, one URL path segment.
 */
export const workflowIds = {
  collectionAnalysis: (collectionId: string, runKey: string) => `collection-analysis:${collectionId}:${runKey}`,
  batchProcess: (batchId: string) => `batch-process:${batchId}`,
  documentProcessing: (documentId: string, runKey: string) => `document:${documentId}:${runKey}`,
  /** One per request: the API makes the UUID. */
  query: (requestId: string) => `query:${requestId}`,
  /** One at a time per collection (a second start while it runs is refused); a later one reuses the id. */
  reembedding: (collectionId: string) => `reembedding:${collectionId}`,
  reconcileStorageSchedule: 'reconcile-storage',
  settleClosedRunsSchedule: 'settle-closed-runs',
};
