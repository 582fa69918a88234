import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes carried by every FileIntel workflow (registered on the server as Keyword). */
export const CollectionIdKey = defineSearchAttributeKey('CollectionId', SearchAttributeType.KEYWORD);
export const BatchIdKey = defineSearchAttributeKey('BatchId', SearchAttributeType.KEYWORD);
export const KindKey = defineSearchAttributeKey('Kind', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [CollectionIdKey, BatchIdKey, KindKey];

/** The `Kind` of each workflow, as it appears in the task list. */
export const WorkflowKind = {
  collectionAnalysis: 'collection_analysis',
  documentProcessing: 'document_processing',
  batchProcess: 'batch_process',
  reconcileStorage: 'reconcile_storage',
} as const;
export type WorkflowKind = (typeof WorkflowKind)[keyof typeof WorkflowKind];
