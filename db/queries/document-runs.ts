import type postgres from 'postgres';
import type { Sql } from '../pool.ts';
import { withdrawDocuments } from './graph.ts';

/**
 * Who may write a document's rows: one attempt of one processing activity.
 * `run` names the activity execution (workflow id, run id, activity id), so a
 * retry of the same activity resumes its committed ranges while any other run
 * starts afresh.
 */
export interface AttemptFence {
  documentId: string;
  run: string;
  attempt: number;
}

/** This attempt no longer owns the document: a newer attempt took it over, or the workflow closed it. */
export class AttemptSupersededError extends Error {
  constructor(fence: AttemptFence) {
    super(
      `attempt ${fence.attempt} of ${fence.run} no longer owns document ${fence.documentId}: a newer attempt or the workflow's final mark superseded it`,
    );
    this.name = 'AttemptSupersededError';
  }
}

export interface ClaimedDocument {
  id: string;
  collection_id: string;
  original_filename: string;
  storage_key: string;
  mime_type: string;
  page_count: number | null;
  metadata: Record<string, unknown>;
}

export type Transaction = postgres.TransactionSql;

/**
 * The row is held, or was finished, by another workflow run than the claiming
 * attempt's: only the current run of its workflow may take it over (a run that
 * was reset or terminated keeps working until its next heartbeat, and must not
 * undo the run that replaced it). The caller checks with Temporal and claims
 * again with `takeOver`, or gives up.
 */
export class ClaimConflictError extends Error {
  constructor(
    readonly fence: AttemptFence,
    readonly heldBy: string,
  ) {
    super(`document ${fence.documentId} is held by ${heldBy}, another workflow run than ${fence.run}`);
    this.name = 'ClaimConflictError';
  }
}

/** `<workflow id>/<run id>` of a fence's run (workflow ids never hold a slash). */
export function workflowRunOf(run: string): string {
  return run.split('/', 2).join('/');
}

/**
 * Makes `fence` the document's writer and marks it `processing` at `step`.
 * `fresh` (the first step of a run) drops what another run left: its chunks
 * (mentions go with them) and its committed ranges; a retry of the same run
 * keeps them, to resume. An older attempt of the same run cannot claim back.
 * A row another workflow run holds or finished (anything but `queued` or
 * `uploaded`, which an analysis's start leaves for whoever comes) is a
 * ClaimConflictError unless `takeOver` says the caller's run is the current
 * one. Undefined when the document is gone.
 */
export async function claimDocument(
  sql: Sql,
  fence: AttemptFence,
  step: string,
  options: { fresh: boolean; takeOver?: boolean },
): Promise<ClaimedDocument | undefined> {
  return sql.begin(async (tx) => {
    const [current] = await tx<
      { status: string; processing_run: string | null; processing_attempt: number | null }[]
    >`SELECT status, processing_run, processing_attempt FROM documents WHERE id = ${fence.documentId} FOR UPDATE`;
    if (!current) return undefined;
    const sameRun = current.processing_run === fence.run;
    if (sameRun && current.processing_attempt !== null && current.processing_attempt > fence.attempt)
      throw new AttemptSupersededError(fence);
    const heldByAnother =
      current.processing_run !== null &&
      !['queued', 'uploaded'].includes(current.status) &&
      workflowRunOf(current.processing_run) !== workflowRunOf(fence.run);
    if (heldByAnother && !options.takeOver) throw new ClaimConflictError(fence, current.processing_run!);
    if (options.fresh && !sameRun) await removePartialWork(tx, [fence.documentId]);
    const [row] = await tx<ClaimedDocument[]>`
      UPDATE documents SET status = 'processing', processing_step = ${step}, error = NULL,
        processing_run = ${fence.run}, processing_attempt = ${fence.attempt}, updated_at = now()
      WHERE id = ${fence.documentId}
      RETURNING id, collection_id, original_filename, storage_key, mime_type, page_count, metadata`;
    return row;
  });
}

/**
 * Runs `write` in one transaction that first checks, with the document's row
 * locked, that `fence` still owns it: a superseded attempt writes nothing.
 */
export async function fencedWrite<T>(
  sql: Sql,
  fence: AttemptFence,
  write: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return sql.begin(async (tx) => {
    const [owned] = await tx`
      SELECT 1 FROM documents
      WHERE id = ${fence.documentId} AND processing_run = ${fence.run} AND processing_attempt = ${fence.attempt}
      FOR UPDATE`;
    if (!owned) throw new AttemptSupersededError(fence);
    return write(tx);
  }) as Promise<T>;
}

export interface RangeRecord {
  range_index: number;
  page_start: number | null;
  page_end: number | null;
  first_ordinal: number;
  chunk_count: number;
  word_count: number;
  char_count: number;
  removed_characters: number;
  analysis: Record<string, unknown>;
  attempt: number;
}

/** The ranges the document's current run has committed, in order. */
export async function committedRanges(sql: Sql, documentId: string): Promise<RangeRecord[]> {
  return sql<RangeRecord[]>`
    SELECT range_index, page_start, page_end, first_ordinal, chunk_count, word_count, char_count, removed_characters, analysis, attempt
    FROM document_ranges WHERE document_id = ${documentId} ORDER BY range_index`;
}

export async function insertRange(tx: Transaction, documentId: string, range: RangeRecord): Promise<void> {
  await tx`INSERT INTO document_ranges ${tx({ document_id: documentId, ...range, analysis: tx.json(range.analysis as never) })}`;
}

/** Merges `patch` into the document's metadata (top-level keys replaced), inside the caller's fenced transaction. */
export async function mergeDocumentMetadata(
  tx: Transaction,
  documentId: string,
  patch: Record<string, unknown>,
): Promise<void> {
  await tx`
    UPDATE documents SET metadata = metadata || ${tx.json(patch as never)}::jsonb, updated_at = now()
    WHERE id = ${documentId}`;
}

/** The page count and the file's facts, written with the first range (a resumed run finds them there). */
export async function recordExtractionFacts(
  tx: Transaction,
  documentId: string,
  pageCount: number | null,
  facts: unknown,
): Promise<void> {
  await tx`
    UPDATE documents
    SET page_count = ${pageCount}, metadata = metadata || ${tx.json({ extraction: facts } as never)}::jsonb, updated_at = now()
    WHERE id = ${documentId}`;
}

/**
 * The workflow's last word when a document succeeded: nothing may write after
 * it. Only while the row says `processing`: one cancelled meanwhile (by the
 * sweeper of closed runs, which removed its chunks) stays cancelled.
 */
export async function markProcessed(sql: Sql, documentId: string): Promise<void> {
  await sql`UPDATE documents SET status = 'processed', processing_step = NULL, error = NULL, processing_attempt = NULL, updated_at = now()
            WHERE id = ${documentId} AND status = 'processing'`;
}

/** The same mark made by the attempt itself (a document of a group has no workflow of its own): only while `fence` still owns it. */
export async function markProcessedByAttempt(sql: Sql, fence: AttemptFence): Promise<void> {
  const marked = await sql`
    UPDATE documents SET status = 'processed', processing_step = NULL, error = NULL, processing_attempt = NULL, updated_at = now()
    WHERE id = ${fence.documentId} AND processing_run = ${fence.run} AND processing_attempt = ${fence.attempt}
    RETURNING id`;
  if (marked.length === 0) throw new AttemptSupersededError(fence);
}

/**
 * The workflow's last word when a document failed or was cancelled: the status
 * with its reason, the writer revoked, and this run's chunks, mentions and
 * ranges removed, so counts and coverage never include a document that did
 * not finish. Keeps processing_step, so the row says which step failed. A
 * document already `cancelled` keeps the reason it was cancelled with (an
 * analysis's cancel or the sweeper of closed runs came first, and its
 * workflow then fails or cancels as a consequence); one already `processed`
 * is left alone by a cancel.
 */
export async function markUnfinished(
  sql: Sql,
  documentId: string,
  status: 'failed' | 'cancelled',
  error: string,
): Promise<void> {
  await sql.begin(async (tx) => {
    const [row] = await tx`
      UPDATE documents SET status = ${status}, error = ${error.slice(0, 2_000)}, processing_attempt = NULL, updated_at = now()
      WHERE id = ${documentId} AND status <> 'cancelled' AND (${status} = 'failed' OR status <> 'processed')
      RETURNING id`;
    if (!row) return;
    await removePartialWork(tx, [documentId]);
  });
}

/**
 * A cancelled group's document it had not finished ends `cancelled`, unless
 * someone else has it now: only while it is still `queued`, or `processing`
 * under a claim of this activity (`runPrefix`). A group of a run that was
 * reset or terminated must not undo the work of the run that took over.
 */
export async function cancelUnlessTakenOver(sql: Sql, documentId: string, runPrefix: string): Promise<void> {
  await sql.begin(async (tx) => {
    const [row] = await tx`
      UPDATE documents SET status = 'cancelled', error = 'processing was cancelled', processing_attempt = NULL, updated_at = now()
      WHERE id = ${documentId}
        AND (status = 'queued' OR (status = 'processing' AND starts_with(processing_run, ${runPrefix})))
      RETURNING id`;
    if (row) await removePartialWork(tx, [documentId]);
  });
}

/**
 * A run ended (cancelled, failed, or closed from outside): every document of
 * the collection it left `queued` or `processing` ends `cancelled` with
 * `reason`, with nothing written kept. Returns how many.
 */
export async function cancelDocumentsInWork(tx: Transaction, collectionId: string, reason: string): Promise<number> {
  const cancelled = await tx<{ id: string }[]>`
    UPDATE documents SET status = 'cancelled', error = ${reason.slice(0, 2_000)}, processing_attempt = NULL, updated_at = now()
    WHERE collection_id = ${collectionId} AND status IN ('queued', 'processing')
    RETURNING id`;
  await removePartialWork(
    tx,
    cancelled.map((row) => row.id),
  );
  return cancelled.length;
}

/**
 * A document whose workflow closed without reporting (terminated, timed out):
 * while its row still says `queued` or `processing` it ends `failed` with
 * `reason`, its partial work removed. Returns the row's final state (the
 * workflow may have marked it before it closed), undefined when it is gone.
 */
export async function settleClosedDocument(
  sql: Sql,
  documentId: string,
  reason: string,
): Promise<{ status: string; error: string | null } | undefined> {
  return sql.begin(async (tx) => {
    const [failed] = await tx`
      UPDATE documents SET status = 'failed', error = ${reason.slice(0, 2_000)}, processing_attempt = NULL, updated_at = now()
      WHERE id = ${documentId} AND status IN ('queued', 'processing')
      RETURNING id`;
    if (failed) await removePartialWork(tx, [documentId]);
    const [row] = await tx<{ status: string; error: string | null }[]>`
      SELECT status, error FROM documents WHERE id = ${documentId}`;
    return row;
  }) as Promise<{ status: string; error: string | null } | undefined>;
}

/** What unfinished documents had written (chunks, with their mentions and their share of the graph, and committed ranges) goes. */
async function removePartialWork(tx: Transaction, documentIds: string[]): Promise<void> {
  if (documentIds.length === 0) return;
  await withdrawDocuments(tx, documentIds);
  await tx`DELETE FROM chunks WHERE document_id = ANY(${documentIds})`;
  await tx`DELETE FROM document_ranges WHERE document_id = ANY(${documentIds})`;
}

export interface GroupDocumentState {
  id: string;
  status: string;
  error: string | null;
}

/**
 * A group activity that failed for good: its documents this run already
 * finished keep their outcome (their processing_run starts with `runPrefix`),
 * every other one is marked `failed` with `error`, its partial work removed.
 * Returns each document's final state.
 */
export async function settleFailedGroup(
  sql: Sql,
  documentIds: string[],
  runPrefix: string,
  error: string,
): Promise<GroupDocumentState[]> {
  return sql.begin(async (tx) => {
    const unfinished = await tx<{ id: string }[]>`
      UPDATE documents SET status = 'failed', error = ${error.slice(0, 2_000)}, processing_attempt = NULL, updated_at = now()
      WHERE id = ANY(${documentIds})
        AND NOT (status IN ('processed', 'failed') AND processing_run IS NOT NULL AND starts_with(processing_run, ${runPrefix}))
      RETURNING id`;
    await removePartialWork(
      tx,
      unfinished.map((row) => row.id),
    );
    return tx<GroupDocumentState[]>`SELECT id, status, error FROM documents WHERE id = ANY(${documentIds})`;
  }) as Promise<GroupDocumentState[]>;
}
