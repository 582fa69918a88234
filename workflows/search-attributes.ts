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

export const SEARCH_ATTRIBUTE_KEYS = [CollectionIdKey, BatchIdKey, KindKey, CollectionNameKey, DocumentNameKey];

/** The `Kind` of each workflow, as it appears in the task list. */
export const WorkflowKind = {
  collectionAnalysis: 'collection_analysis',
  documentProcessing: 'document_processing',
  batchProcess: 'batch_process',
  reconcileStorage: 'reconcile_storage',
} as const;
export type WorkflowKind = (typeof WorkflowKind)[keyof typeof WorkflowKind];
