// Small documents one after the other in one activity, each to its own final
// mark; and the settlement of a group whose activity failed for good.
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { ensureApplicationFailure } from '@temporalio/common';
import {
  AttemptSupersededError,
  cancelUnlessTakenOver,
  markProcessedByAttempt,
  markUnfinished,
  settleFailedGroup,
} from '../../db/queries/document-runs.ts';
import type { ProcessingOptions, UnitDocument } from '../../workflows/collection-analysis-contract.ts';
import { allSteps } from './all-steps.ts';
import { failureAtStep, fenceOf, type DocumentWork, type GroupScope } from './attempt.ts';
import type { GroupDocumentOutcome, GroupHeartbeat, GroupResult } from './types.ts';

/**
 * Small documents one after the other in one activity (no workflow of
 * their own: no start, tasks and result per document). Each document is
 * claimed on its own, runs every step as processDocument does and gets its
 * row marked here: `processed`, or `failed` with "<step>: <reason>" when
 * no retry can fix it; one document failing fails only that document. A
 * heartbeat after each document carries what the group finished, so a
 * retry skips those. A cancel leaves the documents not finished
 * `cancelled` (unless another run took them over). Any other error fails the
 * attempt (it is retried), naming the document it happened on.
 */
export async function processDocumentGroup(
  work: DocumentWork,
  { documents, options }: { documents: UnitDocument[]; options: ProcessingOptions },
): Promise<GroupResult> {
  const context = Context.current();
  const finished: GroupDocumentOutcome[] = [
    ...((context.info.heartbeatDetails as GroupHeartbeat | undefined)?.finished ?? []),
  ];
  const done = new Set(finished.map((outcome) => outcome.document_id));
  let current: UnitDocument | undefined;
  // Every step heartbeats as it starts and as it goes (a small document's steps are short), so a cancel reaches the group within the worker's heartbeat throttle.
  const group: GroupScope = {
    details: (step) => ({ ...step, document_id: current?.id, filename: current?.filename, finished }),
  };
  try {
    for (const document of documents) {
      if (done.has(document.id)) continue;
      if (context.cancellationSignal.aborted) throw new CancelledFailure('document group cancelled');
      current = document;
      finished.push(await groupDocument(work, document, options, group));
      current = undefined;
      // The next document starts with extraction; this heartbeat names the one just finished.
      context.heartbeat(group.details({ step: 'extract', progress: { finished: document.id } }));
    }
    return { outcomes: finished };
  } catch (error) {
    if (error instanceof CancelledFailure || context.cancellationSignal.aborted) {
      const finishedIds = new Set(finished.map((outcome) => outcome.document_id));
      // Only what this activity still holds: a run that took over (after a reset) keeps its documents.
      const { workflowExecution, activityId } = context.info;
      const runPrefix = `${workflowExecution?.workflowId}/${workflowExecution?.runId}/${activityId}/`;
      for (const document of documents) {
        if (!finishedIds.has(document.id)) await cancelUnlessTakenOver(work.sql, document.id, runPrefix);
      }
      throw error instanceof CancelledFailure ? error : new CancelledFailure('document group cancelled');
    }
    throw groupFailure(error, current, documents);
  }
}

/** One document of a group, to its final mark; a cancel or an error a retry may fix is thrown. */
async function groupDocument(
  work: DocumentWork,
  document: UnitDocument,
  options: ProcessingOptions,
  group: GroupScope,
): Promise<GroupDocumentOutcome> {
  try {
    await allSteps(work, document.id, options, group);
    await markProcessedByAttempt(work.sql, fenceOf(document.id, group));
    return { document_id: document.id, filename: document.filename, status: 'processed' };
  } catch (error) {
    if (error instanceof AttemptSupersededError) throw failureAtStep('graph', error);
    // A superseded attempt stops without a mark: the attempt that owns the document marks it.
    const superseded = error instanceof ApplicationFailure && error.type === 'AttemptSuperseded';
    if (
      superseded ||
      error instanceof CancelledFailure ||
      !(error instanceof ApplicationFailure) ||
      !error.nonRetryable
    )
      throw error;
    await markUnfinished(work.sql, document.id, 'failed', error.message);
    return {
      document_id: document.id,
      filename: document.filename,
      status: 'failed',
      error: error.message.slice(0, 2_000),
    };
  }
}

/** A group whose activity failed for good: documents it finished keep their outcome, the others fail with its reason. */
export async function settleGroup(
  work: DocumentWork,
  { documents, runPrefix, error }: { documents: UnitDocument[]; runPrefix: string; error: string },
): Promise<GroupResult> {
  const states = new Map(
    (
      await settleFailedGroup(
        work.sql,
        documents.map((document) => document.id),
        runPrefix,
        error,
      )
    ).map((row) => [row.id, row]),
  );
  return {
    outcomes: documents.map((document) => {
      const state = states.get(document.id);
      return state?.status === 'processed'
        ? { document_id: document.id, filename: document.filename, status: 'processed' as const }
        : {
            document_id: document.id,
            filename: document.filename,
            status: 'failed' as const,
            error: state?.error ?? `document ${document.id} does not exist (deleted while processing?)`,
          };
    }),
  };
}

/**
 * A group attempt's failure: its message names the document it happened on
 * (id and filename), its details list the group's documents, so the Web UI
 * shows which documents a failed group held.
 */
function groupFailure(
  error: unknown,
  current: UnitDocument | undefined,
  documents: UnitDocument[],
): ApplicationFailure {
  const original = ensureApplicationFailure(error);
  const where = current ? `document ${current.id} (${current.filename})` : 'between documents';
  const failure = ApplicationFailure.create({
    message: `group of ${documents.length} document(s), at ${where}: ${original.message}`,
    type: original.type ?? undefined,
    nonRetryable: original.nonRetryable ?? undefined,
    details: [{ document_id: current?.id ?? null, filename: current?.filename ?? null, documents }],
    category: original.category ?? undefined,
  });
  if (original.stack) failure.stack = original.stack;
  return failure;
}
