// One step's attempt at a document: who may write it (the claim and its
// fence), how it heartbeats and notices a cancel, how CPU work runs in the
// thread pool, and how its failure is reported.
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ensureApplicationFailure } from '@temporalio/common';
import { innermostMessage } from '../../common/errors.ts';
import type { Config } from '../../config/schema.ts';
import type { Sql } from '../../db/pool.ts';
import {
  AttemptSupersededError,
  ClaimConflictError,
  claimDocument,
  type AttemptFence,
  type ClaimedDocument,
} from '../../db/queries/document-runs.ts';
import type { DocumentStorage } from '../../storage/document-storage.ts';
import { UnreadableDocumentError } from '../extraction/index.ts';
import { ThreadOutOfMemoryError, type TextWork } from '../text-work/pool.ts';
import type { TextTasks } from '../text-work/tasks.ts';
import type { ArchiveLimits } from '../../common/archive-limits.ts';
import type { DocumentStep, ExtractionRecord, GroupHeartbeat, StepHeartbeat } from './types.ts';

/** What every step works with. */
export interface DocumentWork {
  config: Config;
  sql: Sql;
  storage: DocumentStorage;
  textWork: TextWork;
  /** Chunking limits, and how far a ZIP-based document may unpack (config max_archive_*), handed to the extracting thread. */
  limits: { chunkSize: number; overlap: number; maxTokens: number; archive: ArchiveLimits };
}

/** One step of one attempt: who may write, and how it reports. */
export interface StepAttempt {
  step: DocumentStep;
  fence: AttemptFence;
  signal: AbortSignal;
  /** Heartbeats with progress; never throws (thread reports call it from an event listener). */
  beat(progress?: unknown): void;
  /** Heartbeats, and stops the step when the workflow asked for cancellation. */
  checkpoint(progress?: unknown): void;
}

/** Inside a group activity: each heartbeat carries the group's progress along with the step's. */
export interface GroupScope {
  details(step: StepHeartbeat): GroupHeartbeat;
}

/**
 * Who may write the document: this attempt of this activity (a retry of it
 * resumes what it committed; any other activity starts afresh). Inside a
 * group each document gets a claim of its own: the document id joins the run.
 */
export function fenceOf(documentId: string, group?: GroupScope): AttemptFence {
  const { workflowExecution, activityId, attempt } = Context.current().info;
  const run = `${workflowExecution?.workflowId}/${workflowExecution?.runId}/${activityId}`;
  return { documentId, run: group ? `${run}/${documentId}` : run, attempt };
}

/** One step's attempt at a document, heartbeating through the group when there is one. */
export function attemptAt(step: DocumentStep, documentId: string, group?: GroupScope): StepAttempt {
  const context = Context.current();
  const beat = (progress?: unknown) =>
    context.heartbeat(group ? group.details({ step, progress }) : ({ step, progress } satisfies StepHeartbeat));
  return {
    step,
    fence: fenceOf(documentId, group),
    signal: context.cancellationSignal,
    beat,
    checkpoint(progress) {
      beat(progress);
      if (context.cancellationSignal.aborted) throw new CancelledFailure('document processing cancelled');
    },
  };
}

/**
 * Claims the document for the attempt (see claimDocument). A row another
 * workflow run holds is taken over only when Temporal says this activity's run
 * is its workflow's current one.
 */
export async function claim(sql: Sql, at: StepAttempt, options: { fresh: boolean }): Promise<ClaimedDocument> {
  let row: ClaimedDocument | undefined;
  try {
    row = await claimDocument(sql, at.fence, at.step, options);
  } catch (error) {
    if (!(error instanceof ClaimConflictError)) throw error;
    if (!(await isCurrentRun())) throw new AttemptSupersededError(at.fence);
    row = await claimDocument(sql, at.fence, at.step, { ...options, takeOver: true });
  }
  if (!row)
    throw ApplicationFailure.nonRetryable(
      `document ${at.fence.documentId} does not exist (deleted while processing?)`,
      'DocumentNotFound',
    );
  return row;
}

/**
 * Whether this activity's workflow run is its workflow's current run (not
 * reset or terminated since). Asked of Temporal only when a claim meets a row
 * another workflow run holds; without a client (a mock environment), it is.
 */
async function isCurrentRun(): Promise<boolean> {
  const context = Context.current();
  const execution = context.info.workflowExecution;
  if (!execution) return true;
  let client;
  try {
    client = context.client;
  } catch {
    return true;
  }
  try {
    const description = await client.workflow.getHandle(execution.workflowId).describe();
    return description.runId === execution.runId && description.status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/**
 * A task in the thread pool, its reports turned into heartbeats; a cancel
 * stops the thread at once. A task silent for the activity's heartbeat
 * timeout is stopped too: Temporal has given this attempt up by then, and the
 * thread would otherwise stay hung, holding a slot the retry waits for.
 */
export async function inThread<Name extends keyof TextTasks>(
  work: DocumentWork,
  at: StepAttempt,
  name: Name,
  input: Omit<Parameters<TextTasks[Name]>[0], 'progress'>,
  where: object = {},
) {
  try {
    return await work.textWork.run(name, input, {
      signal: at.signal,
      onProgress: (progress) => at.beat({ ...where, ...progress }),
      stallMs: Context.current().info.heartbeatTimeoutMs,
    });
  } catch (error) {
    at.checkpoint(where);
    throw error;
  }
}

/** What extraction left on the row; the steps after it need it. */
export function requireExtraction(row: ClaimedDocument): ExtractionRecord {
  const extraction = (row.metadata as { extraction?: ExtractionRecord }).extraction;
  if (!extraction)
    throw ApplicationFailure.nonRetryable(`document ${row.id} has not been extracted yet`, 'DocumentNotFound');
  return extraction;
}

/** A step: what it does to a document within its attempt. */
export type Step<T> = (work: DocumentWork, documentId: string, at: StepAttempt) => Promise<T>;

/**
 * Runs one step: a heartbeat (and cancellation check) first, its failure
 * made plain (see failureAtStep) and, inside processDocument, named after
 * the step (a step that is its own activity is named by the workflow).
 */
export async function atStep<T>(
  work: DocumentWork,
  step: DocumentStep,
  run: Step<T>,
  documentId: string,
  named = true,
  group?: GroupScope,
): Promise<T> {
  const at = attemptAt(step, documentId, group);
  try {
    at.checkpoint('starting');
    return await run(work, documentId, at);
  } catch (error) {
    throw failureAtStep(step, error, named ? `${step}: ` : '');
  }
}

/** PostgreSQL's classes of errors about the data itself (22: data exception, 54: program limit): the same text fails again. */
const REFUSED_DATA = /^(22|54)/;

/**
 * A step's error as processDocument reports it: "<step>: <reason>" (`prefix`), the
 * reason being the innermost message (what the workflow showed when each step
 * was its own activity), with the error's type, retryability and stack kept.
 * Errors no retry can fix become non-retryable and say so: an unreadable
 * file, text the database refuses, a range too big for a thread's memory, an
 * attempt that lost its claim. A cancelled attempt fails as a cancellation,
 * whatever its step was doing when the cancel arrived.
 */
export function failureAtStep(step: DocumentStep, error: unknown, prefix = `${step}: `): unknown {
  if (error instanceof CancelledFailure) return error;
  if (Context.current().cancellationSignal.aborted)
    return new CancelledFailure(`${step}: document processing cancelled`);
  const nonRetryable = (message: string, type: string) =>
    ApplicationFailure.create({ message: prefix + message, type, nonRetryable: true });
  if (error instanceof UnreadableDocumentError)
    return nonRetryable(`${error.reason}: ${error.message}`, 'UnreadableDocument');
  if (error instanceof ThreadOutOfMemoryError) return nonRetryable(`too_large: ${error.message}`, 'UnreadableDocument');
  if (error instanceof AttemptSupersededError) return nonRetryable(error.message, 'AttemptSuperseded');
  const code = (error as { code?: unknown }).code;
  if ((error as Error).name === 'PostgresError' && typeof code === 'string' && REFUSED_DATA.test(code)) {
    return nonRetryable(
      `the database refused the document's text and would refuse it again (${code}): ${(error as Error).message}`,
      'DatabaseRefusedText',
    );
  }
  const original = ensureApplicationFailure(error);
  const failure = ApplicationFailure.create({
    message: prefix + innermostMessage(error),
    type: original.type ?? undefined,
    nonRetryable: original.nonRetryable ?? undefined,
    details: original.details ?? undefined,
    nextRetryDelay: original.nextRetryDelay,
    category: original.category ?? undefined,
  });
  if (original.stack) failure.stack = original.stack;
  return failure;
}
