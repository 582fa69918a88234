import { WorkflowExecutionAlreadyStartedError, type SearchAttributePair } from '@temporalio/common';
import {
  ActivityCancellationType,
  CancellationScope,
  ChildWorkflowCancellationType,
  ContinueAsNew,
  ParentClosePolicy,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { ClosedRunActivities } from '../activities/closed-runs.ts';
import type { CollectionAnalysisActivities } from '../activities/collection-analysis.ts';
import type { DocumentProcessingActivities, GroupResult } from '../activities/document-processing.ts';
import { outcomeOf } from '../common/collection-outcome.ts';
import { innermostMessage } from '../common/errors.ts';
import {
  documentFinishedSignal,
  progressQuery,
  type AnalysisContinuation,
  type CollectionAnalysisInput,
  type CollectionAnalysisProgress,
  type CollectionAnalysisResult,
  type CollectionOutcome,
  type DocumentOutcome,
  type InFlightDocument,
  type UnitDocument,
  type WorkUnit,
} from './collection-analysis-contract.ts';
import { STEP_OPTIONS, documentProcessing, routedOptions, withHeartbeatTimeout } from './document-processing.ts';
import { workflowIds } from './ids.ts';
import {
  BatchIdKey,
  CollectionIdKey,
  CollectionNameKey,
  DocumentNameKey,
  KindKey,
  OutcomeKey,
  WorkflowKind,
} from './search-attributes.ts';

/** Failures carried across runs and shown by `progress`; `failed` stays the exact count. */
export const MAX_RECENT_FAILURES = 20;

/**
 * Bookkeeping of the run (begin, pages, finish): short, one transaction each,
 * on the workflow's queue so a run never waits behind document work. Only the
 * graph rebuild, which grows with the collection, is document work.
 */
const COLLECTION_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['CollectionNotFound'],
  },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};
const collection = proxyActivities<CollectionAnalysisActivities>(COLLECTION_OPTIONS);
const closedRuns = proxyActivities<ClosedRunActivities>(COLLECTION_OPTIONS);

/** How often the window asks whether a document workflow it waits for closed without reporting, until a page brings the worker's setting. */
const DEFAULT_CLOSED_CHILD_CHECK_MS = 30_000;

/**
 * A run of the sliding window continues as new between pages once its
 * history passes this many events (or the server suggests it): far below
 * Temporal's limits, and few enough that a replay stays quick.
 */
export const HISTORY_EVENTS_PER_RUN = 2_000;

/** A group's documents one after the other; a heartbeat after each and every second. */
const GROUP_OPTIONS: ActivityOptions = { ...STEP_OPTIONS, startToCloseTimeout: '1 hour' };

/** A group whose activity failed for good: one short transaction, run as a local activity. */
const groupSettlement = proxyLocalActivities<DocumentProcessingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

type Phase = 'starting' | 'processing' | 'finalizing' | 'done' | 'cancelling' | 'cancelled' | 'failed';

/**
 * Analyses the selected documents of one collection.
 *
 * Pages through them with a keyset cursor (`page_size` per page) and keeps
 * at most `max_concurrent_documents` units of work in flight at all times (a
 * sliding window, no barrier at a page's end): a big document (or a PDF) is
 * a documentProcessing child (visible and retryable by its own id), small
 * ones go in groups, one activity per group. Between pages, a run whose
 * history has grown continues as new: its groups finish first, its children
 * keep running and report to the next run by signal (the run carries their
 * ids), so a slow document never stops the others from starting. The cursor,
 * the counts and a capped list of failures are carried too. A failed
 * document does not stop the others. (Runs from before the window, replayed
 * from their histories, run a page at a time with a barrier at its end.) At the end, collection-level steps (graph,
 * embedding provider) run over processed documents only, and the collection
 * gets the honest outcome: completed, completed_with_errors or failed. When
 * cancelled, cleanup runs in a non-cancellable scope before the cancellation
 * is reported.
 */
export async function collectionAnalysis(input: CollectionAnalysisInput): Promise<CollectionAnalysisResult> {
  const { collectionId, selection, options } = input;
  const state: AnalysisContinuation = input.continuation ?? {
    cursor: null,
    total: 0,
    processed: 0,
    failed: 0,
    failures: [],
    runs: 0,
    runKey: null,
  };
  let phase: Phase = input.continuation ? 'processing' : 'starting';
  // Histories from before the sliding window replay the page-at-a-time path.
  const windowed = patched('collection-analysis-sliding-window');
  // Histories from before runs settled what operators closed replay without the check, the adoption and the Outcome.
  const settlesClosedChildren = windowed && patched('collection-analysis-settles-closed-children');
  let closedChildCheckMs = DEFAULT_CLOSED_CHILD_CHECK_MS;
  /** Documents in flight on the page-at-a-time path. */
  let inFlight = 0;
  /** The window's documentProcessing children by document id (carried over from the run before, or started here). */
  const children = new Map<string, InFlightDocument>((state.inFlight ?? []).map((child) => [child.document_id, child]));
  /** The window's groups in flight (they never outlive their run). */
  const groups = new Set<UnitDocument[]>();
  /** Children whose start command has not been answered yet. */
  let starting = 0;
  let cancelling = false;
  /** The worker's document_heartbeat_timeout_seconds in ms, from the latest page (older pages have none: 60 s). */
  let heartbeatTimeoutMs: number | undefined;
  const windowInFlight = () => children.size + [...groups].reduce((sum, group) => sum + group.length, 0);

  const progress = (): CollectionAnalysisProgress => {
    const done = state.processed + state.failed;
    const current = windowed ? windowInFlight() : inFlight;
    const total = Math.max(state.total, done + current);
    return {
      phase,
      total,
      processed: state.processed,
      failed: state.failed,
      in_flight: current,
      queued: phase === 'processing' ? total - done - current : 0,
      percentage: total === 0 ? (phase === 'done' ? 100 : 0) : Math.min(100, Math.floor((done / total) * 100)),
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
  };
  setHandler(progressQuery, progress);
  /** The Web UI's "current details" line: no command, so replay is unaffected. */
  const showProgress = () => {
    const now = progress();
    setCurrentDetails(
      `${now.phase}: ${now.processed} processed, ${now.failed} failed, ${now.in_flight} in flight, ${now.queued} queued (of ${now.total})`,
    );
  };
  if (windowed) setHandler(documentFinishedSignal, (outcome) => settleChild(outcome));

  const result = (status: CollectionOutcome): CollectionAnalysisResult => {
    // The Web UI and /tasks/metrics tell an all-failed run (closed COMPLETED by Temporal) from a clean one.
    if (settlesClosedChildren) upsertSearchAttributes([{ key: OutcomeKey, value: status }]);
    return resultOf(status);
  };
  const resultOf = (status: CollectionOutcome): CollectionAnalysisResult => ({
    collection_id: collectionId,
    status,
    // What it settled: a document counted at the start may have been finished by another run (a reset's earlier run).
    total: state.processed + state.failed,
    processed: state.processed,
    failed: state.failed,
    failures: state.failures,
  });

  try {
    if (!input.continuation) {
      const begun = await collection.beginCollectionRun({ collectionId, selection, runKey: input.runKey });
      state.total = begun.selected;
      state.runKey = begun.runKey;
      if (begun.selected === 0) {
        // Nothing selected: the collection's status is left as it is (nothing happened to it).
        await collection.finishCollectionRun({
          collectionId,
          runKey: state.runKey,
          status: null,
          lastError: null,
          recordEmbeddings: false,
        });
        phase = 'done';
        return result('completed');
      }
    }
    phase = 'processing';

    if (settlesClosedChildren) void checkForClosedChildren();
    if (windowed) {
      await runWindow();
    } else {
      const page = await collection.nextDocumentPage({ collectionId, selection, afterId: state.cursor });
      const stoppedEarly = await processPage(page.documents, page.concurrency);
      if (stoppedEarly || page.documents.length === page.pageSize) {
        // More may follow: a fresh run keeps the history small whatever the collection's size.
        await continueAsNew<typeof collectionAnalysis>({ ...input, continuation: { ...state, runs: state.runs + 1 } });
      }
    }

    phase = 'finalizing';
    const outcome = outcomeOf(state.processed, state.failed);
    if (options.build_graph && state.processed > 0) {
      const graph = proxyActivities<CollectionAnalysisActivities>(routedOptions(COLLECTION_OPTIONS, input.routing));
      await graph.rebuildCollectionGraph({ collectionId });
    }
    await collection.finishCollectionRun({
      collectionId,
      runKey: state.runKey,
      status: outcome,
      lastError: lastErrorOf(state, outcome),
      recordEmbeddings: options.generate_embeddings && state.processed > 0,
    });
    phase = 'done';
    return result(outcome);
  } catch (error) {
    if (error instanceof ContinueAsNew) throw error;
    if (isCancellation(error)) {
      phase = 'cancelling';
      await CancellationScope.nonCancellable(async () => {
        if (windowed) await cancelWindow();
        await collection.finishCollectionRun({
          collectionId,
          runKey: state.runKey,
          status: 'cancelled',
          lastError: 'analysis was cancelled',
          recordEmbeddings: false,
        });
      });
      phase = 'cancelled';
      if (settlesClosedChildren) upsertSearchAttributes([{ key: OutcomeKey, value: 'cancelled' }]);
      throw error;
    }
    phase = 'failed';
    await CancellationScope.nonCancellable(async () => {
      // Children outlive their parent on this path (so they survive continue-as-new): stop them, as the old close policy did.
      if (windowed) await Promise.all([...children.values()].map((child) => cancelChild(child.workflow_id)));
      await collection.finishCollectionRun({
        collectionId,
        runKey: state.runKey,
        status: 'failed',
        lastError: `analysis failed: ${innermostMessage(error)}`,
        recordEmbeddings: false,
      });
    });
    if (settlesClosedChildren) upsertSearchAttributes([{ key: OutcomeKey, value: 'failed' }]);
    throw error;
  }

  /**
   * Keeps up to `concurrency` units in flight until every page is started
   * and every unit has finished; between pages, when the run's history has
   * grown, stops starting, lets its groups finish (an activity cannot outlive
   * its run) and continues as new, carrying the children still in flight.
   */
  async function runWindow(): Promise<void> {
    let concurrency = Number.POSITIVE_INFINITY;
    let queue: WorkUnit[] = [];
    let more = true;
    let stopping = false;
    const unitsInFlight = () => children.size + groups.size;
    for (;;) {
      while (!stopping && unitsInFlight() < concurrency) {
        const unit = queue.shift();
        if (unit) {
          if (unit.kind === 'group') startGroup(unit.documents);
          else startDocument(unit.document);
          continue;
        }
        if (!more) break;
        if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= HISTORY_EVENTS_PER_RUN) {
          stopping = true;
          break;
        }
        const page = await collection.nextWorkUnits({ collectionId, selection, afterId: state.cursor });
        state.cursor = page.lastId;
        queue = page.units;
        more = page.more;
        concurrency = page.concurrency;
        heartbeatTimeoutMs = page.heartbeatTimeoutMs;
        closedChildCheckMs = page.closedChildCheckMs ?? closedChildCheckMs;
      }
      if (stopping) {
        await condition(() => groups.size === 0 && starting === 0);
        await continueAsNew<typeof collectionAnalysis>({
          ...input,
          continuation: { ...state, runs: state.runs + 1, inFlight: [...children.values()] },
        });
      }
      showProgress();
      if (!more && queue.length === 0 && unitsInFlight() === 0) return;
      // Wake when a slot frees (or, with nothing left to start, when the last unit is done).
      await condition(() => (!more && queue.length === 0 ? unitsInFlight() === 0 : unitsInFlight() < concurrency));
    }
  }

  /** A document of its own: a documentProcessing child that outlives this run and reports by signal. */
  function startDocument(document: UnitDocument) {
    const options = documentWorkflowOptions(document);
    children.set(document.id, {
      workflow_id: options.workflowId,
      document_id: document.id,
      filename: document.filename,
    });
    starting++;
    // Not cancelled with this run's scope: a cancel of the analysis reaches every child, carried over or not, through cancelWindow.
    void CancellationScope.nonCancellable(async () => {
      let handle;
      try {
        handle = await startChild(documentProcessing, {
          ...options,
          ...(input.routing ? { priority: input.routing.priority } : {}),
          args: [
            {
              documentId: document.id,
              collectionId,
              options: input.options,
              batchId: input.batchId,
              reportTo: workflowInfo().workflowId,
              routing: input.routing,
              heartbeatTimeoutMs,
            },
          ],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      } finally {
        starting--;
      }
      if (cancelling) await cancelChild(options.workflowId);
      return handle.result();
    }).then(
      // A child started by this run also reports by its result: one that closes without its signal (terminated, timed out) still leaves the window.
      () => settleChild({ document_id: document.id, status: 'processed' }),
      (error) => {
        if (!settlesClosedChildren || isCancellation(error)) {
          settleChild({
            document_id: document.id,
            status: isCancellation(error) ? 'cancelled' : 'failed',
            error: innermostMessage(error),
          });
          return;
        }
        // Its id is taken by a run still going (this analysis was reset while it ran): adopt it; it reports by signal.
        if (error instanceof WorkflowExecutionAlreadyStartedError) return;
        // Closed without its signal (terminated, timed out) or failed: its row and its close say how it ended.
        const child = children.get(document.id);
        if (child) return CancellationScope.nonCancellable(() => settleClosedChildren([child]));
      },
    );
  }

  /**
   * From the start of each run, and every closedChildCheckMs after: the
   * document workflows this run waits for (carried over or started here) that
   * closed without reporting are settled by their rows and how they closed. A
   * terminated child carried over a continue-as-new has no result here and
   * would otherwise be waited for forever.
   */
  async function checkForClosedChildren(): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      for (;;) {
        if (children.size > 0) await settleClosedChildren([...children.values()]);
        await sleep(closedChildCheckMs);
      }
    });
  }

  async function settleClosedChildren(documents: InFlightDocument[]): Promise<void> {
    const outcomes = await closedRuns.settleClosedDocumentWorkflows({ documents });
    for (const outcome of outcomes) settleChild(outcome);
  }

  /** Small documents in one activity; it marks each row itself and returns each document's outcome. */
  function startGroup(documents: UnitDocument[]) {
    groups.add(documents);
    void runGroup(documents).finally(() => groups.delete(documents));
  }

  async function runGroup(documents: UnitDocument[]): Promise<void> {
    let result: GroupResult;
    try {
      const group = proxyActivities<DocumentProcessingActivities>({
        ...withHeartbeatTimeout(routedOptions(GROUP_OPTIONS, input.routing), heartbeatTimeoutMs),
        // The Web UI shows which documents the activity holds.
        summary:
          `group of ${documents.length}: ${documents.map((document) => `${document.filename} (${document.id})`).join(', ')}`.slice(
            0,
            400,
          ),
      });
      result = await group.processDocumentGroup({ documents, options });
    } catch (error) {
      // The analysis was cancelled: the activity left its unfinished documents `cancelled`.
      if (isCancellation(error) && CancellationScope.current().consideredCancelled) return;
      const info = workflowInfo();
      result = await CancellationScope.nonCancellable(() =>
        groupSettlement.settleFailedGroup({
          documents,
          runPrefix: `${info.workflowId}/${info.runId}/`,
          error: `group failed: ${innermostMessage(error)}`,
        }),
      );
    }
    for (const outcome of result.outcomes)
      count({ id: outcome.document_id, filename: outcome.filename }, outcome.status, outcome.error);
  }

  /** A child's outcome, from its signal or its result, whichever comes first; counted once. */
  function settleChild(outcome: DocumentOutcome) {
    const child = children.get(outcome.document_id);
    if (!child) return;
    children.delete(outcome.document_id);
    count({ id: child.document_id, filename: child.filename }, outcome.status, outcome.error);
  }

  function count(document: UnitDocument, status: DocumentOutcome['status'], error?: string) {
    if (status === 'processed') {
      state.processed++;
      showProgress();
      return;
    }
    // Cancelled by this analysis's own cancel: not a failure of the document. Cancelled on its own: it failed.
    if (status === 'cancelled' && cancelling) return;
    state.failed++;
    state.failures = [
      ...state.failures,
      { document_id: document.id, filename: document.filename, error: error ?? 'processing was cancelled' },
    ].slice(-MAX_RECENT_FAILURES);
    showProgress();
  }

  /** Cancels every child in flight (started by any run) and waits until each has cleaned up and reported, and every group has stopped. */
  async function cancelWindow() {
    cancelling = true;
    await Promise.all([...children.values()].map((child) => cancelChild(child.workflow_id)));
    await condition(() => children.size === 0 && groups.size === 0 && starting === 0);
  }

  /** The workflow id, search attributes and summary of a document's own workflow. */
  function documentWorkflowOptions(document: UnitDocument) {
    // The collection's name comes from this run's own attributes (set by whoever started it; runs started before it existed have none).
    const collectionName = workflowInfo().typedSearchAttributes.get(CollectionNameKey);
    const searchAttributes: SearchAttributePair[] = [
      { key: CollectionIdKey, value: collectionId },
      { key: DocumentNameKey, value: document.filename },
      { key: KindKey, value: WorkflowKind.documentProcessing },
    ];
    if (collectionName) searchAttributes.push({ key: CollectionNameKey, value: collectionName });
    if (input.batchId) searchAttributes.push({ key: BatchIdKey, value: input.batchId });
    return {
      workflowId: workflowIds.documentProcessing(
        document.id,
        state.runKey === null ? workflowInfo().firstExecutionRunId : String(state.runKey),
      ),
      typedSearchAttributes: searchAttributes,
      // The filename first: the Web UI shows the summary's start on the workflow's page.
      staticSummary: `${document.filename}: document processing (document ${document.id}, collection ${collectionName ?? collectionId})`,
    };
  }

  /**
   * Runs the page's documents, at most `concurrency` at once, in id order.
   * Stops starting new ones when the server suggests continue-as-new, lets
   * those in flight finish, and returns true; the cursor then names the last
   * document started, so the next run picks up right after it.
   */
  async function processPage(documents: { id: string; filename: string }[], concurrency: number): Promise<boolean> {
    const queue = [...documents];
    let stoppedEarly = false;
    const lane = async () => {
      while (queue.length > 0) {
        if (workflowInfo().continueAsNewSuggested) {
          stoppedEarly = queue.length > 0;
          return;
        }
        const document = queue.shift()!;
        state.cursor = document.id;
        inFlight++;
        try {
          await runDocument(document);
          state.processed++;
        } catch (error) {
          // This analysis was cancelled: stop. A child cancelled on its own counts as failed.
          if (isCancellation(error) && CancellationScope.current().consideredCancelled) throw error;
          state.failed++;
          state.failures = [
            ...state.failures,
            { document_id: document.id, filename: document.filename, error: innermostMessage(error) },
          ].slice(-MAX_RECENT_FAILURES);
        } finally {
          inFlight--;
        }
      }
    };
    const lanes = await Promise.allSettled(
      Array.from({ length: Math.max(1, Math.min(concurrency, documents.length)) }, lane),
    );
    const failure = lanes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return stoppedEarly;
  }

  function runDocument(document: { id: string; filename: string }) {
    return executeChild(documentProcessing, {
      ...documentWorkflowOptions(document),
      args: [{ documentId: document.id, collectionId, options, batchId: input.batchId }],
      // A cancelled analysis cancels its documents and waits for their cleanup.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
  }
}

/** Asks a document's workflow to stop; one already closed has nothing to cancel. */
async function cancelChild(workflowId: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(workflowId).cancel();
  } catch {
    // Closed already: its signal (or result) tells how it ended.
  }
}

function lastErrorOf(state: AnalysisContinuation, outcome: CollectionOutcome): string | null {
  if (outcome === 'completed') return null;
  const example = state.failures[state.failures.length - 1];
  const total = state.processed + state.failed;
  return `${state.failed} of ${total} document(s) failed${example ? `; last: ${example.filename}: ${example.error}` : ''}`.slice(
    0,
    2_000,
  );
}
