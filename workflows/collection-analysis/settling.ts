// How the window's units are counted when they end: a child by its signal, its
// result or (closed from outside) its row; a group by its outcomes; and how a
// cancel reaches every unit in flight.
import { CancellationScope, condition, getExternalWorkflowHandle, sleep } from '@temporalio/workflow';
import type { DocumentOutcome, InFlightDocument, UnitDocument } from '../collection-analysis-contract.ts';
import { closedRuns } from './activities.ts';
import { showProgress, type AnalysisRun } from './run.ts';

/** Failures carried across runs and shown by `progress`; `failed` stays the exact count. */
export const MAX_RECENT_FAILURES = 20;

/** A child's outcome, from its signal, its result or its row, whichever comes first; counted once. */
export function settleChild(run: AnalysisRun, outcome: DocumentOutcome): void {
  const child = run.children.get(outcome.document_id);
  if (!child) return;
  run.children.delete(outcome.document_id);
  count(run, { id: child.document_id, filename: child.filename }, outcome.status, outcome.error);
}

/** One document's end in the run's tally; failures keep their reason (the latest MAX_RECENT_FAILURES). */
export function count(run: AnalysisRun, document: UnitDocument, status: DocumentOutcome['status'], error?: string) {
  const { state } = run;
  if (status === 'processed') {
    state.processed++;
    showProgress(run);
    return;
  }
  // Cancelled by this analysis's own cancel: not a failure of the document. Cancelled on its own: it failed.
  if (status === 'cancelled' && run.cancelling) return;
  state.failed++;
  state.failures = [
    ...state.failures,
    { document_id: document.id, filename: document.filename, error: error ?? 'processing was cancelled' },
  ].slice(-MAX_RECENT_FAILURES);
  showProgress(run);
}

/**
 * From the start of each run, and every closedChildCheckMs after: the
 * document workflows this run waits for (carried over or started here) that
 * closed without reporting are settled by their rows and how they closed. A
 * terminated child carried over a continue-as-new has no result here and
 * would otherwise be waited for forever. Runs until the run ends.
 */
export async function checkForClosedChildren(run: AnalysisRun): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    for (;;) {
      if (run.children.size > 0) await settleClosedChildren(run, [...run.children.values()]);
      await sleep(run.closedChildCheckMs);
    }
  });
}

/** Of these children, the ones closed are settled as their rows say (see settleClosedDocumentWorkflows). */
export async function settleClosedChildren(run: AnalysisRun, documents: InFlightDocument[]): Promise<void> {
  const outcomes = await closedRuns.settleClosedDocumentWorkflows({ documents });
  for (const outcome of outcomes) settleChild(run, outcome);
}

/** Cancels every child in flight (started by any run) and waits until each has cleaned up and reported, and every group has stopped. */
export async function cancelWindow(run: AnalysisRun): Promise<void> {
  run.cancelling = true;
  await cancelChildren(run);
  await condition(() => run.children.size === 0 && run.groups.size === 0 && run.starting === 0);
}

/** Asks every child in flight to stop (children outlive their run, so a failed analysis stops them itself). */
export async function cancelChildren(run: AnalysisRun): Promise<void> {
  await Promise.all([...run.children.values()].map((child) => cancelChild(child.workflow_id)));
}

/** Asks a document's workflow to stop; one already closed has nothing to cancel. */
export async function cancelChild(workflowId: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(workflowId).cancel();
  } catch {
    // Closed already: its signal (or result) tells how it ended.
  }
}
