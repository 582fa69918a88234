// Every workflow the worker registers. Deterministic code only: no I/O, no Node APIs.
export { reconcileStorage } from './reconcile-storage.ts';
export { batchProcess } from './batch-process.ts';
export { collectionAnalysis } from './collection-analysis.ts';
export { documentProcessing } from './document-processing.ts';
export { settleClosedRuns } from './settle-closed-runs.ts';
export { queryCollection } from './query.ts';
export { reembedCollection } from './reembedding.ts';
