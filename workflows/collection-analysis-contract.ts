// The contract of the collectionAnalysis workflow, shared by the API, the
// batchProcess workflow and the CLI. Types and definitions only.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DocumentSelection } from '../db/queries/analysis.ts';

export interface ProcessingOptions {
  build_graph: boolean;
  extract_metadata: boolean;
  generate_embeddings: boolean;
}

/** Which documents a run takes (the database's selection). */
export type { DocumentSelection };

export interface CollectionAnalysisInput {
  collectionId: string;
  options: ProcessingOptions;
  selection: DocumentSelection;
  /** Set when the run is a child of a batch. */
  batchId?: string;
  /**
   * The collection's analysis run key this run holds (its workflow id ends with
   * it), moved on by finishCollectionRun. Absent in runs started before it was
   * carried here, and under ids of another shape (tests).
   */
  runKey?: number;
  /** Where its document work runs and at what priority; absent in runs started before task queues by kind. */
  routing?: DocumentRouting;
  /** Set by the workflow itself when it continues as new; callers leave it out. */
  continuation?: AnalysisContinuation;
}

/**
 * Set by whoever starts an analysis (the API, from config), carried to its
 * document workflows and kept across continue-as-new. A run without it (started
 * before task queues by kind) schedules its document work on its own queue, as
 * it did: its commands stay the same on replay.
 */
export interface DocumentRouting {
  /** The task queue of document work (config document_task_queue). */
  taskQueue: string;
  /**
   * Of the document work and document workflows: priorityKey (1 runs first),
   * fairnessKey = the collection id when fairness is on, fairnessWeight = the
   * run's weight once it knows its size (workflows/fairness-weight.ts).
   */
  priority: { priorityKey?: number; fairnessKey?: string; fairnessWeight?: number };
  /**
   * With fairness on (config fairness_max_weight): the largest weight a small
   * run gets. Absent (runs started before weights, or 1): equal shares.
   */
  fairnessMaxWeight?: number;
}

/** The small state one run hands the next when it continues as new. */
export interface AnalysisContinuation {
  /** Id of the last document handled; the next page starts after it. */
  cursor: string | null;
  total: number;
  processed: number;
  failed: number;
  failures: DocumentFailure[];
  /** How many runs came before (for the operator). */
  runs: number;
  /** The run key of this analysis (from its workflow id), null when started under another id. */
  runKey: number | null;
  /**
   * Document workflows still running when the run continued as new (the
   * sliding window): they report to the new run by signal. Absent in runs
   * from before the window.
   */
  inFlight?: InFlightDocument[];
  /** The worker's closed_workflow_check_interval, in ms, so the next run checks the children it carries at that pace from its start. */
  closedChildCheckMs?: number;
}

/** A document's workflow the analysis waits for. */
export interface InFlightDocument {
  workflow_id: string;
  document_id: string;
  filename: string;
}

/** A unit of work of the sliding window: a document in its own workflow, or a group of small ones in one activity. */
export type WorkUnit = { kind: 'workflow'; document: UnitDocument } | { kind: 'group'; documents: UnitDocument[] };

export interface UnitDocument {
  id: string;
  filename: string;
}

/** What a document's workflow tells the analysis that started it when it closes (by signal, so a later run hears it too). */
export interface DocumentOutcome {
  document_id: string;
  status: 'processed' | 'failed' | 'cancelled';
  error?: string;
}

export const documentFinishedSignal = defineSignal<[DocumentOutcome]>('documentFinished');

export type CollectionOutcome = 'completed' | 'completed_with_errors' | 'failed' | 'cancelled';

export interface DocumentFailure {
  document_id: string;
  filename: string;
  error: string;
}

export interface CollectionAnalysisResult {
  collection_id: string;
  status: CollectionOutcome;
  total: number;
  processed: number;
  failed: number;
  /** The most recent failures (capped); `failed` is the exact count. */
  failures: DocumentFailure[];
}

export interface CollectionAnalysisProgress {
  phase: string;
  total: number;
  processed: number;
  failed: number;
  in_flight: number;
  /** Documents the run took and has not started yet (their rows say `queued`); absent in runs from before it was counted. */
  queued?: number;
  percentage: number;
  recent_failures: DocumentFailure[];
  /** The documents in flight by id and filename, and how they run (absent in runs from before the window). */
  in_flight_documents?: (UnitDocument & { unit: 'workflow' | 'group' })[];
}

export const progressQuery = defineQuery<CollectionAnalysisProgress>('progress');
