import type postgres from 'postgres';
import type { Sql } from '../pool.ts';

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
 * Makes `fence` the document's writer and marks it `processing` at `step`.
 * `fresh` (the first step of a run) drops what another run left: its chunks
 * (mentions go with them) and its committed ranges; a retry of the same run
 * keeps them, to resume. An older attempt of the same run cannot claim back.
 * Undefined when the document is gone.
 */
export async function claimDocument(
  sql: Sql,
  fence: AttemptFence,
  step: string,
  options: { fresh: boolean },
): Promise<ClaimedDocument | undefined> {
  return sql.begin(async (tx) => {
    const [current] = await tx<{ processing_run: string | null; processing_attempt: number | null }[]>`
      SELECT processing_run, processing_attempt FROM documents WHERE id = ${fence.documentId} FOR UPDATE`;
    if (!current) return undefined;
    const sameRun = current.processing_run === fence.run;
    if (sameRun && current.processing_attempt !== null && current.processing_attempt > fence.attempt)
      throw new AttemptSupersededError(fence);
    if (options.fresh && !sameRun) {
      await tx`DELETE FROM chunks WHERE document_id = ${fence.documentId}`;
      await tx`DELETE FROM document_ranges WHERE document_id = ${fence.documentId}`;
    }
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

/** The workflow's last word when a document succeeded: nothing may write after it. */
export async function markProcessed(sql: Sql, documentId: string): Promise<void> {
  await sql`UPDATE documents SET status = 'processed', processing_step = NULL, error = NULL, processing_attempt = NULL, updated_at = now()
            WHERE id = ${documentId}`;
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
 * document already `processed` is left alone by a cancel.
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
      WHERE id = ${documentId} AND (${status} = 'failed' OR status <> 'processed')
      RETURNING id`;
    if (!row) return;
    await tx`DELETE FROM chunks WHERE document_id = ${documentId}`;
    await tx`DELETE FROM document_ranges WHERE document_id = ${documentId}`;
  });
}

/** A cancelled collection run: every document it left `processing` ends `cancelled`, with nothing written kept. */
export async function cancelProcessingDocuments(sql: Sql, collectionId: string): Promise<void> {
  await sql.begin(async (tx) => {
    const cancelled = await tx<{ id: string }[]>`
      UPDATE documents SET status = 'cancelled', error = 'processing was cancelled', processing_attempt = NULL, updated_at = now()
      WHERE collection_id = ${collectionId} AND status = 'processing'
      RETURNING id`;
    const ids = cancelled.map((row) => row.id);
    if (ids.length === 0) return;
    await tx`DELETE FROM chunks WHERE document_id = ANY(${ids})`;
    await tx`DELETE FROM document_ranges WHERE document_id = ANY(${ids})`;
  });
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
    const ids = unfinished.map((row) => row.id);
    if (ids.length > 0) {
      await tx`DELETE FROM chunks WHERE document_id = ANY(${ids})`;
      await tx`DELETE FROM document_ranges WHERE document_id = ANY(${ids})`;
    }
    return tx<GroupDocumentState[]>`SELECT id, status, error FROM documents WHERE id = ANY(${documentIds})`;
  }) as Promise<GroupDocumentState[]>;
}
