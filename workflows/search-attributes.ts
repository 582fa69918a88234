import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes carried by every FileIntel workflow (registered on the server as Keyword). */
export const CollectionIdKey = defineSearchAttributeKey('CollectionId', SearchAttributeType.KEYWORD);
export const BatchIdKey = defineSearchAttributeKey('BatchId', SearchAttributeType.KEYWORD);
export const KindKey = defineSearchAttributeKey('Kind', SearchAttributeType.KEYWORD);
/**
 * The human names next to the ids, so the Web UI's list can show (and filter
 * on) `papers` and `report.pdf` instead of UUIDs. Names can change later (a
 * rename); these hold the name at the time the workflow started.
 */
export const CollectionNameKey = defineSearchAttributeKey('CollectionName', SearchAttributeType.KEYWORD);
export const DocumentNameKey = defineSearchAttributeKey('DocumentName', SearchAttributeType.KEYWORD);

/**
 * How an analysis or a batch ended, set just before it returns: `completed`,
 * `completed_with_errors`, `failed` or `cancelled`. Temporal closes a run whose
 * documents all failed as COMPLETED (the workflow itself did its job); this
 * says what happened to the work. Absent on runs closed before it existed.
 */
export const OutcomeKey = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [
  CollectionIdKey,
  BatchIdKey,
  KindKey,
  CollectionNameKey,
  DocumentNameKey,
  OutcomeKey,
];

/** The `Kind` of each workflow, as it appears in the task list. */
export const WorkflowKind = {
  collectionAnalysis: 'collection_analysis',
  documentProcessing: 'document_processing',
  batchProcess: 'batch_process',
  reconcileStorage: 'reconcile_storage',
  settleClosedRuns: 'settle_closed_runs',
  query: 'query',
  reembedding: 'reembedding',
} as const;
export type WorkflowKind = (typeof WorkflowKind)[keyof typeof WorkflowKind];
