import { CancellationScope, ContinueAsNew, isCancellation, setHandler, setWorkflowOptions } from '@temporalio/workflow';
import { outcomeOf } from '../common/collection-outcome.ts';
import { innermostMessage } from '../common/errors.ts';
import {
  documentFinishedSignal,
  progressQuery,
  type CollectionAnalysisInput,
  type CollectionAnalysisResult,
  type CollectionOutcome,
} from './collection-analysis-contract.ts';
import { collection, graphActivities } from './collection-analysis/activities.ts';
import {
  documentRoutingOf,
  lastErrorOf,
  newRun,
  progressOf,
  recordOutcome,
  resultOf,
} from './collection-analysis/run.ts';
import { cancelChildren, cancelWindow, checkForClosedChildren, settleChild } from './collection-analysis/settling.ts';
import { runWindow } from './collection-analysis/window.ts';

/**
 * Analyses the selected documents of one collection.
 *
 * Pages through them with a keyset cursor (`page_size` per page) and keeps
 * at most `max_concurrent_documents` units of work in flight at all times (a
 * sliding window, no barrier at a page's end): a big document (or a PDF) is
 * a documentProcessing child (visible and retryable by its own id), small
 * ones go in groups, one activity per group (collection-analysis/window.ts).
 * Between pages, a run whose history has grown continues as new: its groups
 * finish first, its children keep running and report to the next run by
 * signal (the run carries their ids), so a slow document never stops the
 * others from starting. The cursor, the counts and a capped list of failures
 * are carried too. A failed document does not stop the others; a child closed
 * from outside (terminated, timed out) is settled by its row
 * (collection-analysis/settling.ts). At the end, collection-level steps
 * (graph, embedding provider) run over processed documents only, and the
 * collection gets the honest outcome: completed, completed_with_errors or
 * failed. When cancelled, cleanup runs in a non-cancellable scope before the
 * cancellation is reported.
 */
export async function collectionAnalysis(input: CollectionAnalysisInput): Promise<CollectionAnalysisResult> {
  const { collectionId, selection, options } = input;
  const run = newRun(input);
  const { state } = run;
  setHandler(progressQuery, () => progressOf(run));
  setHandler(documentFinishedSignal, (outcome) => settleChild(run, outcome));

  /** The run's last step: its outcome on the collection (see finishCollectionRun). */
  const finish = (status: CollectionOutcome | null, lastError: string | null, recordEmbeddings = false) =>
    collection.finishCollectionRun({ collectionId, runKey: state.runKey, status, lastError, recordEmbeddings });

  try {
    if (!input.continuation) {
      const begun = await collection.beginCollectionRun({ collectionId, selection, runKey: input.runKey });
      state.total = begun.selected;
      state.runKey = begun.runKey;
      if (begun.selected === 0) {
        // Nothing selected: the collection's status is left as it is (nothing happened to it).
        await finish(null, null);
        run.phase = 'done';
        return resultOf(run, 'completed');
      }
    }
    run.phase = 'processing';

    void checkForClosedChildren(run);
    await runWindow(run);

    run.phase = 'finalizing';
    // Nothing settled here yet nothing failed: another run finished what this one took (a reset's earlier run).
    const outcome = state.processed + state.failed === 0 ? 'completed' : outcomeOf(state.processed, state.failed);
    if (options.build_graph && state.processed > 0)
      await graphActivities(documentRoutingOf(run)).rebuildCollectionGraph({ collectionId });
    await finish(outcome, lastErrorOf(run, outcome), options.generate_embeddings && state.processed > 0);
    run.phase = 'done';
    return resultOf(run, outcome);
  } catch (error) {
    if (error instanceof ContinueAsNew) throw error;
    if (isCancellation(error)) {
      run.phase = 'cancelling';
      await CancellationScope.nonCancellable(async () => {
        await cancelWindow(run);
        await finish('cancelled', 'analysis was cancelled');
      });
      run.phase = 'cancelled';
      recordOutcome(run, 'cancelled');
      throw error;
    }
    run.phase = 'failed';
    await CancellationScope.nonCancellable(async () => {
      // Children outlive their parent on this path (so they survive continue-as-new): stop them, as the old close policy did.
      await cancelChildren(run);
      await finish('failed', `analysis failed: ${innermostMessage(error)}`);
    });
    recordOutcome(run, 'failed');
    throw error;
  }
}

// Pinned to the build that started it; at a continue-as-new it moves to the
// deployment's current build when that changed (collection-analysis/window.ts).
setWorkflowOptions({ versioningBehavior: 'PINNED' }, collectionAnalysis);
