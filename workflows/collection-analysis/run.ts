// The small state one run of collectionAnalysis works on, and what is read off
// it: the progress query, the Web UI's current details, the result.
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type {
  AnalysisContinuation,
  CollectionAnalysisInput,
  DocumentRouting,
  CollectionAnalysisProgress,
  CollectionAnalysisResult,
  CollectionOutcome,
  InFlightDocument,
  UnitDocument,
} from '../collection-analysis-contract.ts';
import { fairnessWeightOf } from '../fairness-weight.ts';
import { OutcomeKey } from '../search-attributes.ts';

export type Phase = 'starting' | 'processing' | 'finalizing' | 'done' | 'cancelling' | 'cancelled' | 'failed';

/** How often the window asks whether a document workflow it waits for closed without reporting, until a page brings the worker's setting. */
const DEFAULT_CLOSED_CHILD_CHECK_MS = 30_000;

export interface AnalysisRun {
  readonly input: CollectionAnalysisInput;
  /** What is carried to the next run when it continues as new. */
  readonly state: AnalysisContinuation;
  phase: Phase;
  /** The window's documentProcessing children by document id (carried over from the run before, or started here). */
  readonly children: Map<string, InFlightDocument>;
  /** The window's groups in flight (they never outlive their run). */
  readonly groups: Set<UnitDocument[]>;
  /** Children whose start command has not been answered yet. */
  starting: number;
  /** This analysis is being cancelled: its children's cancellations are not failures. */
  cancelling: boolean;
  /** The worker's document_heartbeat_timeout_seconds in ms, from the latest page (older pages have none: 60 s). */
  heartbeatTimeoutMs?: number;
  closedChildCheckMs: number;
}

/** A run's state: fresh, or what the run before handed over. */
export function newRun(input: CollectionAnalysisInput): AnalysisRun {
  const state: AnalysisContinuation = input.continuation ?? {
    cursor: null,
    total: 0,
    processed: 0,
    failed: 0,
    failures: [],
    runs: 0,
    runKey: null,
  };
  return {
    input,
    state,
    phase: input.continuation ? 'processing' : 'starting',
    children: new Map((state.inFlight ?? []).map((child) => [child.document_id, child])),
    groups: new Set(),
    starting: 0,
    cancelling: false,
    closedChildCheckMs: state.closedChildCheckMs ?? DEFAULT_CLOSED_CHILD_CHECK_MS,
  };
}

/**
 * Where the run's document work goes: the routing it was started with, and
 * with fairness weights on, the run's weight by its size (the documents it
 * selected, carried across continue-as-new), so every unit of one run weighs
 * the same.
 */
export function documentRoutingOf(run: AnalysisRun): DocumentRouting | undefined {
  const routing = run.input.routing;
  if (!routing?.priority.fairnessKey || !routing.fairnessMaxWeight || run.state.total < 1) return routing;
  const fairnessWeight = fairnessWeightOf(run.state.total, routing.fairnessMaxWeight);
  return { ...routing, priority: { ...routing.priority, fairnessWeight } };
}

/** Units in flight: each child and each group counts one. */
export function unitsInFlight(run: AnalysisRun): number {
  return run.children.size + run.groups.size;
}

/** What the `progress` query answers. */
export function progressOf(run: AnalysisRun): CollectionAnalysisProgress {
  const { state, children, groups } = run;
  const done = state.processed + state.failed;
  const current = children.size + [...groups].reduce((sum, group) => sum + group.length, 0);
  const total = Math.max(state.total, done + current);
  return {
    phase: run.phase,
    total,
    processed: state.processed,
    failed: state.failed,
    in_flight: current,
    queued: run.phase === 'processing' ? total - done - current : 0,
    percentage: total === 0 ? (run.phase === 'done' ? 100 : 0) : Math.min(100, Math.floor((done / total) * 100)),
    recent_failures: state.failures,
    in_flight_documents: [
      ...[...children.values()].map((child) => ({
        id: child.document_id,
        filename: child.filename,
        unit: 'workflow' as const,
      })),
      ...[...groups].flatMap((group) => group.map((document) => ({ ...document, unit: 'group' as const }))),
    ],
  };
}

/** The Web UI's "current details" line: no command, so replay is unaffected. */
export function showProgress(run: AnalysisRun): void {
  const now = progressOf(run);
  setCurrentDetails(
    `${now.phase}: ${now.processed} processed, ${now.failed} failed, ${now.in_flight} in flight, ${now.queued} queued (of ${now.total})`,
  );
}

/**
 * Records how the run ended in the Outcome search attribute, so the Web UI and
 * /tasks/metrics tell an all-failed run (closed COMPLETED by Temporal) from a
 * clean one.
 */
export function recordOutcome(run: AnalysisRun, outcome: CollectionOutcome): void {
  upsertSearchAttributes([{ key: OutcomeKey, value: outcome }]);
}

/** The workflow's result, its Outcome recorded. */
export function resultOf(run: AnalysisRun, status: CollectionOutcome): CollectionAnalysisResult {
  recordOutcome(run, status);
  const { state } = run;
  return {
    collection_id: run.input.collectionId,
    status,
    // What it settled: a document counted at the start may have been finished by another run (a reset's earlier run).
    total: state.processed + state.failed,
    processed: state.processed,
    failed: state.failed,
    failures: state.failures,
  };
}

/** The collection's last_error for an outcome with failures: how many, and the latest. */
export function lastErrorOf(run: AnalysisRun, outcome: CollectionOutcome): string | null {
  if (outcome === 'completed') return null;
  const { state } = run;
  const example = state.failures[state.failures.length - 1];
  const total = state.processed + state.failed;
  return `${state.failed} of ${total} document(s) failed${example ? `; last: ${example.filename}: ${example.error}` : ''}`.slice(
    0,
    2_000,
  );
}
