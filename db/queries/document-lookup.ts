import type { Sql } from '../pool.ts';
import type { NewDocumentRow } from './documents.ts';

export interface DocumentDetailRow extends NewDocumentRow {
  status: string;
  processing_step: string | null;
  error: string | null;
  page_count: number | null;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

/** A document with everything a reader sees of it (its chunks counted apart). */
export async function findDocumentDetail(sql: Sql, id: string): Promise<DocumentDetailRow | undefined> {
  const [row] = await sql<DocumentDetailRow[]>`
    SELECT id, collection_id, original_filename, storage_key, mime_type, size_bytes::float8 AS size_bytes, content_hash, status,
           processing_step, error, page_count, metadata, created_at, updated_at
    FROM documents WHERE id = ${id}`;
  return row;
}

/** Documents whose id starts with `prefix` (lowercase hex and dashes), at most `limit`. */
export async function findDocumentsByIdPrefix(sql: Sql, prefix: string, limit: number) {
  return sql<{ id: string; collection_id: string; original_filename: string }[]>`
    SELECT id, collection_id, original_filename FROM documents
    WHERE id::text LIKE ${prefix + '%'} ORDER BY id LIMIT ${limit}`;
}

export type DocumentFileRow = Pick<
  DocumentDetailRow,
  | 'id'
  | 'original_filename'
  | 'storage_key'
  | 'mime_type'
  | 'size_bytes'
  | 'content_hash'
  | 'status'
  | 'error'
  | 'created_at'
>;

/** A collection's documents with their stored file, oldest first; every one unless a limit is given. */
export async function listDocumentFiles(sql: Sql, collectionId: string, limit: number | null, offset: number) {
  return sql<DocumentFileRow[]>`
    SELECT id, original_filename, storage_key, mime_type, size_bytes::float8 AS size_bytes, content_hash, status, error, created_at
    FROM documents WHERE collection_id = ${collectionId}
    ORDER BY created_at, id LIMIT ${limit} OFFSET ${offset}`;
}

/** Documents of the collection named by id, storage key or original file name. */
export async function findDocumentsByReference(sql: Sql, collectionId: string, refs: string[]) {
  if (refs.length === 0) return [];
  return sql<{ id: string; original_filename: string; storage_key: string; status: string }[]>`
    SELECT id, original_filename, storage_key, status FROM documents
    WHERE collection_id = ${collectionId}
      AND (id::text = ANY(${refs}) OR storage_key = ANY(${refs}) OR original_filename = ANY(${refs}))`;
}
