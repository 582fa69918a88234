// The contract of the batchProcess workflow, shared by the API and the CLI.
import { defineQuery } from '@temporalio/workflow';
import type { CollectionOutcome, ProcessingOptions } from './collection-analysis-contract.ts';

export type BatchMode = 'sequential' | 'parallel';

export interface BatchCollection {
  collection_id: string;
  name: string;
  options: ProcessingOptions;
}

export interface BatchProcessInput {
  batchId: string;
  mode: BatchMode;
  /** Sequential only: the first collection that does not complete cleanly stops the chain. */
  stopOnFailure: boolean;
  /** Parallel only: children in flight at once. */
  maxParallel: number;
  collections: BatchCollection[];
  /** POSTed the result when the batch ends (host checked against the allowlist). */
  callbackUrl?: string;
  /** Where each collection's document work runs; absent in batches started before task queues by kind. */
  routing?: BatchRouting;
}

/** A batch's collections get the batch's priority key and, with fairness on, their own id as fairness key. */
export interface BatchRouting {
  taskQueue: string;
  priorityKey?: number;
  fairness: boolean;
  /** The largest fairness weight of a small collection's run (DocumentRouting.fairnessMaxWeight). */
  fairnessMaxWeight?: number;
}

/** What became of one collection of the batch. */
export type BatchItemOutcome = CollectionOutcome | 'skipped' | 'pending' | 'running';

export interface BatchItemState {
  collection_id: string;
  name: string;
  task_id: string | null;
  status: BatchItemOutcome;
  processed: number;
  failed: number;
  reason?: string;
}

export interface BatchProcessResult {
  batch_id: string;
  mode: BatchMode;
  status: 'completed' | 'completed_with_errors' | 'failed' | 'cancelled';
  collections: BatchItemState[];
  counts: Record<string, number>;
}

export interface BatchProgress {
  batch_id: string;
  mode: BatchMode;
  phase: 'running' | 'done' | 'cancelling';
  collections: BatchItemState[];
}

export const batchProgressQuery = defineQuery<BatchProgress>('progress');
