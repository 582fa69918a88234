// The sliding window: at most `max_concurrent_documents` units in flight, pages
// fetched as slots free, continue-as-new between pages with children carried.
import { WorkflowExecutionAlreadyStartedError, type SearchAttributePair } from '@temporalio/common';
import {
  CancellationScope,
  ParentClosePolicy,
  condition,
  continueAsNew,
  isCancellation,
  makeContinueAsNewFunc,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { GroupResult } from '../../activities/document-processing/index.ts';
import { innermostMessage } from '../../common/errors.ts';
import type {
  CollectionAnalysisInput,
  CollectionAnalysisResult,
  UnitDocument,
  WorkUnit,
} from '../collection-analysis-contract.ts';
import { documentProcessing } from '../document-processing.ts';
import { workflowIds } from '../ids.ts';
import {
  BatchIdKey,
  CollectionIdKey,
  CollectionNameKey,
  DocumentNameKey,
  KindKey,
  WorkflowKind,
} from '../search-attributes.ts';
import { collection, groupActivities, groupSettlement } from './activities.ts';
import { documentRoutingOf, showProgress, unitsInFlight, type AnalysisRun } from './run.ts';
import { cancelChild, count, settleChild, settleClosedChildren } from './settling.ts';

/**
 * A run of the sliding window continues as new between pages once its
 * history passes this many events (or the server suggests it): far below
 * Temporal's limits, and few enough that a replay stays quick.
 */
export const HISTORY_EVENTS_PER_RUN = 2_000;

type CollectionAnalysisWorkflow = (input: CollectionAnalysisInput) => Promise<CollectionAnalysisResult>;

/**
 * Keeps up to `concurrency` units in flight until every page is started
 * and every unit has finished; between pages, when the run's history has
 * grown, stops starting, lets its groups finish (an activity cannot outlive
 * its run) and continues as new, carrying the children still in flight.
 */
export async function runWindow(run: AnalysisRun): Promise<void> {
  const { input, state } = run;
  let concurrency = Number.POSITIVE_INFINITY;
  let queue: WorkUnit[] = [];
  let more = true;
  let stopping = false;
  for (;;) {
    while (!stopping && unitsInFlight(run) < concurrency) {
      const unit = queue.shift();
      if (unit) {
        if (unit.kind === 'group') startGroup(run, unit.documents);
        else startDocument(run, unit.document);
        continue;
      }
      if (!more) break;
      const info = workflowInfo();
      // A new build became current (a deploy): move to it at the next continue-as-new, between pages.
      if (
        info.continueAsNewSuggested ||
        info.historyLength >= HISTORY_EVENTS_PER_RUN ||
        info.targetWorkerDeploymentVersionChanged
      ) {
        stopping = true;
        break;
      }
      const page = await collection.nextWorkUnits({
        collectionId: input.collectionId,
        selection: input.selection,
        afterId: state.cursor,
      });
      state.cursor = page.lastId;
      queue = page.units;
      more = page.more;
      concurrency = page.concurrency;
      run.heartbeatTimeoutMs = page.heartbeatTimeoutMs;
      run.closedChildCheckMs = page.closedChildCheckMs ?? run.closedChildCheckMs;
    }
    if (stopping) {
      await condition(() => run.groups.size === 0 && run.starting === 0);
      // Pinned runs stay on their build; one continued as new after a deploy starts on the new current build.
      const next = workflowInfo().targetWorkerDeploymentVersionChanged
        ? makeContinueAsNewFunc<CollectionAnalysisWorkflow>({ initialVersioningBehavior: 'AUTO_UPGRADE' })
        : continueAsNew<CollectionAnalysisWorkflow>;
      await next({
        ...input,
        continuation: {
          ...state,
          runs: state.runs + 1,
          inFlight: [...run.children.values()],
          closedChildCheckMs: run.closedChildCheckMs,
        },
      });
    }
    showProgress(run);
    if (!more && queue.length === 0 && unitsInFlight(run) === 0) return;
    // Wake when a slot frees (or, with nothing left to start, when the last unit is done).
    await condition(() => (!more && queue.length === 0 ? unitsInFlight(run) === 0 : unitsInFlight(run) < concurrency));
  }
}

/** A document of its own: a documentProcessing child that outlives this run and reports by signal. */
function startDocument(run: AnalysisRun, document: UnitDocument): void {
  const { input } = run;
  const routing = documentRoutingOf(run);
  const options = documentWorkflowOptions(run, document);
  run.children.set(document.id, {
    workflow_id: options.workflowId,
    document_id: document.id,
    filename: document.filename,
  });
  run.starting++;
  // Not cancelled with this run's scope: a cancel of the analysis reaches every child, carried over or not, through cancelWindow.
  void CancellationScope.nonCancellable(async () => {
    let handle;
    try {
      handle = await startChild(documentProcessing, {
        ...options,
        ...(routing ? { priority: routing.priority } : {}),
        args: [
          {
            documentId: document.id,
            collectionId: input.collectionId,
            options: input.options,
            batchId: input.batchId,
            reportTo: workflowInfo().workflowId,
            routing,
            heartbeatTimeoutMs: run.heartbeatTimeoutMs,
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } finally {
      run.starting--;
    }
    if (run.cancelling) await cancelChild(options.workflowId);
    return handle.result();
  }).then(
    // A child started by this run also reports by its result: one that closes without its signal (terminated, timed out) still leaves the window.
    () => settleChild(run, { document_id: document.id, status: 'processed' }),
    (error) => {
      if (isCancellation(error)) {
        settleChild(run, { document_id: document.id, status: 'cancelled', error: innermostMessage(error) });
        return;
      }
      // Its id is taken by a run still going (this analysis was reset while it ran): adopt it; it reports by signal.
      if (error instanceof WorkflowExecutionAlreadyStartedError) return;
      // Closed without its signal (terminated, timed out) or failed: its row and its close say how it ended.
      const child = run.children.get(document.id);
      if (child) return CancellationScope.nonCancellable(() => settleClosedChildren(run, [child]));
    },
  );
}

/** Small documents in one activity; it marks each row itself and returns each document's outcome. */
function startGroup(run: AnalysisRun, documents: UnitDocument[]): void {
  run.groups.add(documents);
  void runGroup(run, documents).finally(() => run.groups.delete(documents));
}

async function runGroup(run: AnalysisRun, documents: UnitDocument[]): Promise<void> {
  let result: GroupResult;
  try {
    // The Web UI shows which documents the activity holds.
    const summary =
      `group of ${documents.length}: ${documents.map((document) => `${document.filename} (${document.id})`).join(', ')}`.slice(
        0,
        400,
      );
    const group = groupActivities(documentRoutingOf(run), run.heartbeatTimeoutMs, summary);
    result = await group.processDocumentGroup({ documents, options: run.input.options });
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
    count(run, { id: outcome.document_id, filename: outcome.filename }, outcome.status, outcome.error);
}

/** The workflow id, search attributes and summary of a document's own workflow. */
export function documentWorkflowOptions(run: AnalysisRun, document: UnitDocument) {
  const { input, state } = run;
  const { collectionId } = input;
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
