import { isUuid } from '../../common/uuid.ts';
import type { Sql } from '../pool.ts';

export interface CollectionRow {
  id: string;
  name: string;
  description: string | null;
  status: string;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface DocumentSummaryRow {
  id: string;
  original_filename: string;
  mime_type: string;
  size_bytes: number;
  status: string;
  error: string | null;
  created_at: Date;
}

/** A collection by id, or by name when the text is not a UUID (or no id matched). */
export async function findCollection(sql: Sql, idOrName: string): Promise<CollectionRow | undefined> {
  if (isUuid(idOrName)) {
    const [byId] = await sql<CollectionRow[]>`SELECT * FROM collections WHERE id = ${idOrName}`;
    if (byId) return byId;
  }
  const [byName] = await sql<CollectionRow[]>`SELECT * FROM collections WHERE name = ${idOrName}`;
  return byName;
}

export async function collectionExists(sql: Sql, collectionId: string): Promise<boolean> {
  const [found] = await sql`SELECT id FROM collections WHERE id = ${collectionId}`;
  return found !== undefined;
}

/**
 * After a batch cancel: documents and collections still marked `processing`
 * end `cancelled`, in one transaction. Returns how many collections changed.
 */
export async function markCollectionsCancelled(sql: Sql, collectionIds: string[]): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`
      UPDATE documents SET status = 'cancelled', error = 'batch cancelled', updated_at = now()
      WHERE collection_id = ANY(${collectionIds}::uuid[]) AND status IN ('queued', 'processing')`;
    const updated = await tx`
      UPDATE collections SET status = 'cancelled', last_error = 'batch cancelled', updated_at = now()
      WHERE id = ANY(${collectionIds}::uuid[]) AND status = 'processing'`;
    return updated.count;
  });
}

export async function listCollections(sql: Sql, limit: number, offset: number) {
  return sql<(CollectionRow & { document_count: number })[]>`
    SELECT c.*, (SELECT count(*)::int FROM documents d WHERE d.collection_id = c.id) AS document_count
    FROM collections c ORDER BY c.created_at DESC, c.id LIMIT ${limit} OFFSET ${offset}`;
}

export async function countCollections(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM collections`;
  return row.n;
}

/** Inserts a collection; undefined when the name is taken. */
export async function insertCollection(
  sql: Sql,
  name: string,
  description: string | null,
): Promise<CollectionRow | undefined> {
  const [row] = await sql<CollectionRow[]>`
    INSERT INTO collections (name, description) VALUES (${name}, ${description})
    ON CONFLICT (name) DO NOTHING RETURNING *`;
  return row;
}

export async function countDocuments(sql: Sql, collectionId: string): Promise<number> {
  const [row] = await sql<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collectionId}`;
  return row.n;
}

export async function listDocumentSummaries(sql: Sql, collectionId: string, limit: number, offset: number) {
  return sql<DocumentSummaryRow[]>`
    SELECT id, original_filename, mime_type, size_bytes::float8 AS size_bytes, status, error, created_at
    FROM documents WHERE collection_id = ${collectionId}
    ORDER BY created_at, id LIMIT ${limit} OFFSET ${offset}`;
}

/** Deletes the collection's rows and returns the storage keys its documents had. */
export async function deleteCollectionRows(sql: Sql, collectionId: string): Promise<string[]> {
  return sql.begin(async (tx) => {
    const keys = await tx<
      { storage_key: string }[]
    >`SELECT storage_key FROM documents WHERE collection_id = ${collectionId}`;
    await tx`DELETE FROM collections WHERE id = ${collectionId}`;
    return keys.map((row) => row.storage_key);
  });
}

/** The embedding provider and dimension the collection's vectors were made with (null before the first). */
export async function findEmbeddingProvider(sql: Sql, collectionId: string) {
  const [row] = await sql<{ embedding_provider: string | null; embedding_dimension: number | null }[]>`
    SELECT embedding_provider, embedding_dimension FROM collections WHERE id = ${collectionId}`;
  return row;
}
