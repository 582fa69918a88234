import type { SearchAttributePair } from '@temporalio/common';
import {
  ActivityCancellationType,
  CancellationScope,
  ChildWorkflowCancellationType,
  ContinueAsNew,
  ParentClosePolicy,
  continueAsNew,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CollectionAnalysisActivities } from '../activities/collection-analysis.ts';
import {
  progressQuery,
  type AnalysisContinuation,
  type CollectionAnalysisInput,
  type CollectionAnalysisProgress,
  type CollectionAnalysisResult,
  type CollectionOutcome,
} from './collection-analysis-contract.ts';
import { documentProcessing, reasonOf } from './document-processing.ts';
import { workflowIds } from './ids.ts';
import { BatchIdKey, CollectionIdKey, CollectionNameKey, DocumentNameKey, KindKey, WorkflowKind } from './search-attributes.ts';

/** Failures carried across runs and shown by `progress`; `failed` stays the exact count. */
export const MAX_RECENT_FAILURES = 20;

const collection = proxyActivities<CollectionAnalysisActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: ['CollectionNotFound'] },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

type Phase = 'starting' | 'processing' | 'finalizing' | 'done' | 'cancelling' | 'cancelled' | 'failed';

/**
 * Analyses the selected documents of one collection.
 *
 * Pages through them with a keyset cursor (`page_size` per page), runs at
 * most `max_concurrent_documents` documentProcessing children at once (each
 * visible and retryable by its own id), and continues as new after each page
 * (or sooner, between documents, when the server suggests it), carrying only
 * the cursor, the counts and a capped list of failures. A failed document
 * does not stop the others. At the end, collection-level steps (graph,
 * embedding provider) run over processed documents only, and the collection
 * gets the honest outcome: completed, completed_with_errors or failed. When
 * cancelled, cleanup runs in a non-cancellable scope before the cancellation
 * is reported.
 */
export async function collectionAnalysis(input: CollectionAnalysisInput): Promise<CollectionAnalysisResult> {
  const { collectionId, selection, options } = input;
  const state: AnalysisContinuation = input.continuation ?? { cursor: null, total: 0, processed: 0, failed: 0, failures: [], runs: 0, runKey: null };
  let phase: Phase = input.continuation ? 'processing' : 'starting';
  let inFlight = 0;

  setHandler(progressQuery, (): CollectionAnalysisProgress => {
    const done = state.processed + state.failed;
    const total = Math.max(state.total, done + inFlight);
    return {
      phase,
      total,
      processed: state.processed,
      failed: state.failed,
      in_flight: inFlight,
      percentage: total === 0 ? (phase === 'done' ? 100 : 0) : Math.min(100, Math.floor((done / total) * 100)),
      recent_failures: state.failures,
    };
  });

  const result = (status: CollectionOutcome): CollectionAnalysisResult => ({
    collection_id: collectionId,
    status,
    total: Math.max(state.total, state.processed + state.failed),
    processed: state.processed,
    failed: state.failed,
    failures: state.failures,
  });

  try {
    if (!input.continuation) {
      const begun = await collection.beginCollectionRun({ collectionId, selection });
      state.total = begun.selected;
      state.runKey = begun.runKey;
      if (begun.selected === 0) {
        // Nothing selected: the collection's status is left as it is (nothing happened to it).
        await collection.finishCollectionRun({ collectionId, runKey: state.runKey, status: null, lastError: null, recordEmbeddings: false });
        phase = 'done';
        return result('completed');
      }
    }
    phase = 'processing';

    const page = await collection.nextDocumentPage({ collectionId, selection, afterId: state.cursor });
    const stoppedEarly = await processPage(page.documents, page.concurrency);
    if (stoppedEarly || page.documents.length === page.pageSize) {
      // More may follow: a fresh run keeps the history small whatever the collection's size.
      await continueAsNew<typeof collectionAnalysis>({ ...input, continuation: { ...state, runs: state.runs + 1 } });
    }

    phase = 'finalizing';
    const outcome = outcomeOf(state.processed, state.failed);
    if (options.build_graph && state.processed > 0) await collection.rebuildCollectionGraph({ collectionId });
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
      await CancellationScope.nonCancellable(() =>
        collection.finishCollectionRun({ collectionId, runKey: state.runKey, status: 'cancelled', lastError: 'analysis was cancelled', recordEmbeddings: false }),
      );
      phase = 'cancelled';
      throw error;
    }
    phase = 'failed';
    await CancellationScope.nonCancellable(() =>
      collection.finishCollectionRun({ collectionId, runKey: state.runKey, status: 'failed', lastError: `analysis failed: ${reasonOf(error)}`, recordEmbeddings: false }),
    );
    throw error;
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
          state.failures = [...state.failures, { document_id: document.id, filename: document.filename, error: reasonOf(error) }].slice(-MAX_RECENT_FAILURES);
        } finally {
          inFlight--;
        }
      }
    };
    const lanes = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(concurrency, documents.length)) }, lane));
    const failure = lanes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return stoppedEarly;
  }

  function runDocument(document: { id: string; filename: string }) {
    // The collection's name comes from this run's own attributes (set by whoever started it; runs started before it existed have none).
    const collectionName = workflowInfo().typedSearchAttributes.get(CollectionNameKey);
    const searchAttributes: SearchAttributePair[] = [
      { key: CollectionIdKey, value: collectionId },
      { key: DocumentNameKey, value: document.filename },
      { key: KindKey, value: WorkflowKind.documentProcessing },
    ];
    if (collectionName) searchAttributes.push({ key: CollectionNameKey, value: collectionName });
    if (input.batchId) searchAttributes.push({ key: BatchIdKey, value: input.batchId });
    return executeChild(documentProcessing, {
      workflowId: workflowIds.documentProcessing(document.id, state.runKey === null ? workflowInfo().firstExecutionRunId : String(state.runKey)),
      args: [{ documentId: document.id, collectionId, options, batchId: input.batchId }],
      typedSearchAttributes: searchAttributes,
      // The filename first: the Web UI shows the summary's start on the workflow's page.
      staticSummary: `${document.filename}: document processing (document ${document.id}, collection ${collectionName ?? collectionId})`,
      // A cancelled analysis cancels its documents and waits for their cleanup.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
  }
}

export function outcomeOf(processed: number, failed: number): CollectionOutcome {
  if (processed === 0) return 'failed';
  return failed > 0 ? 'completed_with_errors' : 'completed';
}

function lastErrorOf(state: AnalysisContinuation, outcome: CollectionOutcome): string | null {
  if (outcome === 'completed') return null;
  const example = state.failures[state.failures.length - 1];
  const total = state.processed + state.failed;
  return `${state.failed} of ${total} document(s) failed${example ? `; last: ${example.filename}: ${example.error}` : ''}`.slice(0, 2_000);
}
