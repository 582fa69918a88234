import type { Sql } from '../pool.ts';
import { withdrawDocuments } from './graph.ts';

export interface NewDocumentRow {
  id: string;
  collection_id: string;
  original_filename: string;
  storage_key: string;
  mime_type: string;
  size_bytes: number;
  content_hash: string;
}

/** The ids of documents of the collection that already hold these hashes. */
export async function findDocumentIdsByHash(
  sql: Sql,
  collectionId: string,
  hashes: string[],
): Promise<Map<string, string>> {
  if (hashes.length === 0) return new Map();
  const rows = await sql<{ id: string; content_hash: string }[]>`
    SELECT id, content_hash FROM documents WHERE collection_id = ${collectionId} AND content_hash = ANY(${hashes})`;
  return new Map(rows.map((row) => [row.content_hash, row.id]));
}

/**
 * Inserts the rows; a hash another request committed meanwhile is skipped, not
 * an error. Returns the ids actually inserted.
 */
export async function insertDocuments(sql: Sql, rows: NewDocumentRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const inserted = await sql<{ id: string }[]>`
    INSERT INTO documents ${sql(rows, 'id', 'collection_id', 'original_filename', 'storage_key', 'mime_type', 'size_bytes', 'content_hash')}
    ON CONFLICT (collection_id, content_hash) DO NOTHING
    RETURNING id`;
  return new Set(inserted.map((row) => row.id));
}

/** Deletes the row (its chunks and mentions cascade) and its share of the graph; the caller removes the file afterwards. */
export async function deleteDocumentRow(sql: Sql, id: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT 1 FROM documents WHERE id = ${id} FOR UPDATE`;
    await withdrawDocuments(tx, [id]);
    await tx`DELETE FROM documents WHERE id = ${id}`;
  });
}

const UPLOAD_FAILED_PREFIX = 'upload failed: ';

/**
 * Records a failed upload on the collection. A running analysis keeps its
 * `processing` status (the failure did not touch it); otherwise the status
 * says `failed` until an upload succeeds.
 */
export async function markUploadFailed(sql: Sql, collectionId: string, message: string): Promise<void> {
  await sql`
    UPDATE collections
    SET last_error = ${UPLOAD_FAILED_PREFIX + message},
        status = CASE WHEN status = 'processing' THEN status ELSE 'failed' END,
        updated_at = now()
    WHERE id = ${collectionId}`;
}

/** After a successful upload, a failure recorded by an earlier upload no longer describes the collection. */
export async function clearUploadFailure(sql: Sql, collectionId: string): Promise<void> {
  await sql`
    UPDATE collections
    SET last_error = NULL,
        status = CASE WHEN status = 'failed' THEN 'created' ELSE status END,
        updated_at = now()
    WHERE id = ${collectionId} AND starts_with(last_error, ${UPLOAD_FAILED_PREFIX})`;
}

/** Of these storage keys, the ones a document row holds (the reconciler's orphan check). */
export async function knownStorageKeys(sql: Sql, keys: string[]): Promise<Set<string>> {
  const rows = await sql<{ storage_key: string }[]>`SELECT storage_key FROM documents WHERE storage_key = ANY(${keys})`;
  return new Set(rows.map((row) => row.storage_key));
}

/** A page of every document's storage key, in id order after `afterId`. */
export async function documentStorageKeysAfter(
  sql: Sql,
  afterId: string,
  limit: number,
): Promise<{ id: string; storage_key: string }[]> {
  return sql<{ id: string; storage_key: string }[]>`
    SELECT id, storage_key FROM documents WHERE id > ${afterId} ORDER BY id LIMIT ${limit}`;
}

/** Documents whose file is gone from storage end `failed`, saying so. */
export async function markFilesMissing(sql: Sql, ids: string[]): Promise<void> {
  await sql`UPDATE documents SET status = 'failed', error = 'file missing from storage', updated_at = now()
            WHERE id = ANY(${ids}::uuid[])`;
}
