import type { Sql } from '../pool.ts';
import { ensureVectorIndexEarly } from './vector-index-early.ts';

/** Which documents a run takes: not yet processed (default), only the failed ones, or all (force). */
export type DocumentSelection = 'pending' | 'only_failed' | 'all';

/** The SQL condition a selection stands for: `pending` is everything not yet processed. */
function selectionFilter(sql: Sql, selection: DocumentSelection) {
  if (selection === 'only_failed') return sql`status = 'failed'`;
  if (selection === 'all') return sql`true`;
  return sql`status <> 'processed'`;
}

export async function countSelected(
  sql: Sql,
  collectionId: string,
  selection: DocumentSelection,
): Promise<{ selected: number; documents: number }> {
  const [row] = await sql<{ selected: number; documents: number }[]>`
    SELECT count(*) FILTER (WHERE ${selectionFilter(sql, selection)})::int AS selected, count(*)::int AS documents
    FROM documents WHERE collection_id = ${collectionId}`;
  return row;
}

/** What a run pages through: its selection, and the documents its start queued (`queued` is no longer `failed` for only_failed). */
function pageFilter(sql: Sql, selection: DocumentSelection) {
  return sql`(${selectionFilter(sql, selection)} OR status = 'queued')`;
}

/**
 * A run begins: the collection says `processing` (an earlier run's error
 * gone) and every selected document not at work says `queued`, in one
 * transaction that touches the collection row first, so it and the sweeper of
 * closed runs (which locks that row) never interleave. Documents `queued` by
 * a run closed from outside count as selected: they were asked for. Idempotent
 * (a retry counts the same documents). Nothing is marked when nothing is selected.
 */
export async function beginRun(
  sql: Sql,
  collectionId: string,
  selection: DocumentSelection,
): Promise<{ selected: number; documents: number }> {
  return sql.begin(async (tx) => {
    const [counts] = await tx<{ selected: number; documents: number }[]>`
      SELECT count(*) FILTER (WHERE ${pageFilter(tx, selection)})::int AS selected, count(*)::int AS documents
      FROM documents WHERE collection_id = ${collectionId}`;
    if (counts.selected === 0) return counts;
    await tx`
      UPDATE collections SET status = 'processing', last_error = NULL, updated_at = now() WHERE id = ${collectionId}`;
    await tx`
      UPDATE documents SET status = 'queued', processing_step = NULL, error = NULL, updated_at = now()
      WHERE collection_id = ${collectionId} AND ${selectionFilter(tx, selection)} AND status NOT IN ('queued', 'processing')`;
    return counts;
  }) as Promise<{ selected: number; documents: number }>;
}

/** The next page of selected documents after `afterId` (keyset paging on id, stable while statuses change). */
export async function selectedPage(
  sql: Sql,
  collectionId: string,
  selection: DocumentSelection,
  afterId: string | null,
  limit: number,
) {
  return sql<{ id: string; original_filename: string; mime_type: string; size_bytes: number }[]>`
    SELECT id, original_filename, mime_type, size_bytes::float8 AS size_bytes FROM documents
    WHERE collection_id = ${collectionId} AND ${pageFilter(sql, selection)}
      AND id > ${afterId ?? '00000000-0000-0000-0000-000000000000'}
    ORDER BY id LIMIT ${limit}`;
}

/** The run key of the collection's next (or running) analysis; undefined when the collection is gone. */
export async function currentAnalysisRun(sql: Sql, collectionId: string): Promise<number | undefined> {
  const [row] = await sql<{ analysis_run: number }[]>`SELECT analysis_run FROM collections WHERE id = ${collectionId}`;
  return row?.analysis_run;
}

/**
 * Moves the run key past `runKey`, once: compare-and-set, so a retried
 * activity or a second caller cannot skip a key.
 */
export async function advanceAnalysisRun(sql: Sql, collectionId: string, runKey: number): Promise<boolean> {
  const rows =
    await sql`UPDATE collections SET analysis_run = analysis_run + 1 WHERE id = ${collectionId} AND analysis_run = ${runKey} RETURNING id`;
  return rows.length > 0;
}

/** A run's outcome on its collection. */
export async function setCollectionOutcome(
  sql: Sql,
  collectionId: string,
  status: string,
  lastError: string | null,
): Promise<void> {
  await sql`
    UPDATE collections SET status = ${status}, last_error = ${lastError}, updated_at = now()
    WHERE id = ${collectionId}`;
}

/** Whether an analysis of another collection is under way (its collection marked processing by beginRun). */
export async function anotherAnalysisRunning(sql: Sql, collectionId: string): Promise<boolean> {
  const [row] = await sql<{ running: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM collections WHERE status = 'processing' AND id <> ${collectionId}) AS running`;
  return row.running;
}

/**
 * Records which provider made the collection's vectors, with the dimension
 * read from a stored vector itself: a remote model decides it.
 */
export async function recordEmbeddingProvider(sql: Sql, collectionId: string, provider: string): Promise<void> {
  // `::real[]` reads a pgvector vector and a real[] alike (migration 006).
  const [row] = await sql<{ embedding_dimension: number | null }[]>`
    UPDATE collections SET embedding_provider = ${provider},
      embedding_dimension = (
        SELECT cardinality(c.embedding::real[]) FROM chunks c JOIN documents d ON d.id = c.document_id
        WHERE d.collection_id = ${collectionId} AND d.status = 'processed' AND c.embedding IS NOT NULL
        LIMIT 1)
    WHERE id = ${collectionId}
    RETURNING embedding_dimension`;
  // Normally built with the dimension's first vectors already; checked by name first, since CREATE INDEX IF
  // NOT EXISTS would still take a lock on chunks that waits for other runs' writes.
  if (row?.embedding_dimension) await ensureVectorIndexEarly(sql, row.embedding_dimension);
}

export interface ProcessingStatusRow {
  by_status: Record<string, number>;
  documents: number;
  chunks: number;
  embedded_chunks: number;
  entities: number;
  edges: number;
}

/** Documents by status; chunk and vector counts of processed documents only (a document still running or failed is not coverage). */
export async function processingStatus(sql: Sql, collectionId: string): Promise<ProcessingStatusRow> {
  const statuses = await sql<{ status: string; n: number }[]>`
    SELECT status, count(*)::int AS n FROM documents WHERE collection_id = ${collectionId} GROUP BY status`;
  const [counts] = await sql<{ chunks: number; embedded_chunks: number }[]>`
    SELECT count(*)::int AS chunks, count(c.embedding)::int AS embedded_chunks
    FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection_id = ${collectionId} AND d.status = 'processed'`;
  const [graph] = await sql<{ entities: number; edges: number }[]>`
    SELECT (SELECT count(*)::int FROM graph_entities WHERE collection_id = ${collectionId}) AS entities,
           (SELECT count(*)::int FROM graph_edges WHERE collection_id = ${collectionId}) AS edges`;
  const by_status: Record<string, number> = {
    uploaded: 0,
    queued: 0,
    processing: 0,
    processed: 0,
    failed: 0,
    cancelled: 0,
  };
  for (const row of statuses) by_status[row.status] = row.n;
  return { by_status, documents: statuses.reduce((sum, row) => sum + row.n, 0), ...counts, ...graph };
}
