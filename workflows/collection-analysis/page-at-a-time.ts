// Runs from before the sliding window, replayed from their histories: a page
// at a time, every document its own child, with a barrier at the page's end.
// Kept only so those histories replay; new runs never take this path.
import {
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  continueAsNew,
  executeChild,
  isCancellation,
  workflowInfo,
} from '@temporalio/workflow';
import { innermostMessage } from '../../common/errors.ts';
import type {
  CollectionAnalysisInput,
  CollectionAnalysisResult,
  UnitDocument,
} from '../collection-analysis-contract.ts';
import { documentProcessing } from '../document-processing.ts';
import { collection } from './activities.ts';
import type { AnalysisRun } from './run.ts';
import { count } from './settling.ts';
import { documentWorkflowOptions } from './window.ts';

type CollectionAnalysisWorkflow = (input: CollectionAnalysisInput) => Promise<CollectionAnalysisResult>;

/** One page, then continue-as-new when more may follow. */
export async function runPageAtATime(run: AnalysisRun): Promise<void> {
  const { input, state } = run;
  const page = await collection.nextDocumentPage({
    collectionId: input.collectionId,
    selection: input.selection,
    afterId: state.cursor,
  });
  const stoppedEarly = await processPage(run, page.documents, page.concurrency);
  if (stoppedEarly || page.documents.length === page.pageSize) {
    // More may follow: a fresh run keeps the history small whatever the collection's size.
    await continueAsNew<CollectionAnalysisWorkflow>({ ...input, continuation: { ...state, runs: state.runs + 1 } });
  }
}

/**
 * Runs the page's documents, at most `concurrency` at once, in id order.
 * Stops starting new ones when the server suggests continue-as-new, lets
 * those in flight finish, and returns true; the cursor then names the last
 * document started, so the next run picks up right after it.
 */
async function processPage(run: AnalysisRun, documents: UnitDocument[], concurrency: number): Promise<boolean> {
  const { state } = run;
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
      run.pageInFlight++;
      try {
        await runDocument(run, document);
        count(run, document, 'processed');
      } catch (error) {
        // This analysis was cancelled: stop. A child cancelled on its own counts as failed.
        if (isCancellation(error) && CancellationScope.current().consideredCancelled) throw error;
        count(run, document, 'failed', innermostMessage(error));
      } finally {
        run.pageInFlight--;
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

function runDocument(run: AnalysisRun, document: UnitDocument) {
  const { input } = run;
  return executeChild(documentProcessing, {
    ...documentWorkflowOptions(run, document),
    args: [
      { documentId: document.id, collectionId: input.collectionId, options: input.options, batchId: input.batchId },
    ],
    // A cancelled analysis cancels its documents and waits for their cleanup.
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}
