import { TimeoutType } from '@temporalio/common';
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  setWorkflowOptions,
} from '@temporalio/workflow';
import type { DocumentProcessingActivities, StepHeartbeat } from '../activities/document-processing/index.ts';
import { causes, innermostMessage } from '../common/errors.ts';
import {
  documentFinishedSignal,
  type DocumentOutcome,
  type DocumentRouting,
  type ProcessingOptions,
} from './collection-analysis-contract.ts';

export interface DocumentProcessingInput {
  documentId: string;
  collectionId: string;
  options: ProcessingOptions;
  batchId?: string;
  /** The workflow id of the analysis waiting for this document: told by signal when it is done, so a run continued as new hears it too. */
  reportTo?: string;
  /** The analysis's routing: this document's work goes to its task queue, at its priority. */
  routing?: DocumentRouting;
  /** The worker's document_heartbeat_timeout_seconds in ms (the analysis has it from its page); absent: 60 s. */
  heartbeatTimeoutMs?: number;
}

export interface DocumentProcessingResult {
  document_id: string;
  chunks: number;
  pages: number | null;
}

/** Error types no retry can fix: the file is unreadable, or the row is gone. */
export const NON_RETRYABLE = ['UnreadableDocument', 'DocumentNotFound', 'OpenAiRequestRejected'];

/** Steps heartbeat as their pages, ranges and batches progress: a dead worker is noticed within this, and a cancel reaches the step. */
const HEARTBEAT_TIMEOUT_SECONDS = 60;

export const STEP_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: `${HEARTBEAT_TIMEOUT_SECONDS} seconds`,
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
  // Wait for a cancelled step to stop before marking the document cancelled, so nothing writes after.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/** All steps in one activity: the time of the four steps together, the same heartbeat and retries. */
const WHOLE_DOCUMENT_OPTIONS: ActivityOptions = { ...STEP_OPTIONS, startToCloseTimeout: '1 hour' };

/**
 * Document work on the routing's task queue at its priority (fairness key: the
 * collection); without routing (runs from before), on the workflow's own queue.
 */
export function routedOptions(options: ActivityOptions, routing: DocumentRouting | undefined): ActivityOptions {
  return routing ? { ...options, taskQueue: routing.taskQueue, priority: routing.priority } : options;
}

/** `options` with the worker's heartbeat timeout, when the workflow's input carries one. */
export function withHeartbeatTimeout(options: ActivityOptions, heartbeatTimeoutMs?: number): ActivityOptions {
  return heartbeatTimeoutMs === undefined ? options : { ...options, heartbeatTimeout: heartbeatTimeoutMs };
}

/** Status writes: one short UPDATE each, run as local activities to save round trips to the server. */
const status = proxyLocalActivities<DocumentProcessingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/**
 * One document: extract and chunk, then metadata, embeddings and graph
 * entities as asked. The document's row tells the truth at every step
 * (`processing` with its step, then `processed`, `failed` with the reason, or
 * `cancelled`). A failure fails this workflow with the reason, so the parent
 * counts it and an operator sees it, by document id, in the Web UI.
 */
export async function documentProcessing(input: DocumentProcessingInput): Promise<DocumentProcessingResult> {
  const ref = { documentId: input.documentId };
  const heartbeatSeconds = (input.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_SECONDS * 1000) / 1000;
  let processed = false;
  try {
    // Every step in one activity: one server round trip instead of four.
    const wholeDocument = proxyActivities<DocumentProcessingActivities>(
      withHeartbeatTimeout(routedOptions(WHOLE_DOCUMENT_OPTIONS, input.routing), input.heartbeatTimeoutMs),
    );
    const extracted = await wholeDocument.processDocument({ ...ref, options: input.options });
    processed = true;
    await status.markDocumentProcessed(ref);
    await report(input, { document_id: input.documentId, status: 'processed' });
    return { document_id: input.documentId, chunks: extracted.chunks, pages: extracted.pages };
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => status.markDocumentCancelled(ref));
      await report(input, { document_id: input.documentId, status: 'cancelled' });
      throw error;
    }
    const message = processed ? `finish: ${innermostMessage(error)}` : processFailureOf(error, heartbeatSeconds);
    await CancellationScope.nonCancellable(() => status.markDocumentFailed({ ...ref, error: message }));
    await report(input, { document_id: input.documentId, status: 'failed', error: message });
    throw ApplicationFailure.nonRetryable(message, 'DocumentProcessingFailed');
  }
}

/** Tells the waiting analysis how this document ended, after its row says so. */
async function report(input: DocumentProcessingInput, outcome: DocumentOutcome): Promise<void> {
  if (!input.reportTo) return;
  try {
    await CancellationScope.nonCancellable(() =>
      getExternalWorkflowHandle(input.reportTo!).signal(documentFinishedSignal, outcome),
    );
  } catch {
    // The analysis is gone (terminated): nobody waits for this document; its row already tells how it ended.
  }
}

/**
 * processDocument's failure as "<step>: <reason>": its errors name their step
 * already; a timeout takes the step from the attempt's last heartbeat (none
 * yet: still extracting).
 */
export function processFailureOf(error: unknown, heartbeatSeconds = HEARTBEAT_TIMEOUT_SECONDS): string {
  const reason = innermostMessage(error);
  if (/^(extract|metadata|embeddings|graph): /.test(reason)) return reason;
  const step = lastHeartbeatOf(error)?.step ?? 'extract';
  return `${step}: ${timeoutReasonOf(error, step, heartbeatSeconds) ?? reason}`;
}

/** The heartbeat a timed-out attempt last sent, when the failure is a timeout. */
function lastHeartbeatOf(error: unknown): StepHeartbeat | undefined {
  const timeout = causes(error).find((cause) => cause instanceof TimeoutFailure);
  return timeout?.lastHeartbeatDetails as StepHeartbeat | undefined;
}

/** "timeout: <step> made no progress for <n> s (last: <progress>)" for a heartbeat timeout; undefined for any other failure. */
function timeoutReasonOf(error: unknown, step: string, heartbeatSeconds: number): string | undefined {
  const timeout = causes(error).find(
    (cause) => cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.HEARTBEAT,
  );
  if (!(timeout instanceof TimeoutFailure)) return undefined;
  const progress = (timeout.lastHeartbeatDetails as StepHeartbeat | undefined)?.progress;
  const last = progress === undefined ? '' : ` (last progress: ${JSON.stringify(progress)})`;
  return `timeout: ${step} made no progress for ${heartbeatSeconds} s${last}`;
}

// Short: it finishes on the build that started it (Worker Versioning).
setWorkflowOptions({ versioningBehavior: 'PINNED' }, documentProcessing);
