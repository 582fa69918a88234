import type { z } from 'zod';
import {
  deleteCollectionRows,
  findCollection,
  insertCollection,
  type CollectionRow,
} from '../../db/queries/collections.ts';
import type { Sql } from '../../db/pool.ts';
import { runningAnalysis } from '../analysis/processing-status.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import type { Collection } from '../schemas/collections.ts';

/** The collection a path names (id or name), or a 404. */
export async function loadCollection(sql: Sql, ref: string): Promise<CollectionRow> {
  const row = await findCollection(sql, ref);
  if (!row) throw notFound('collection', ref);
  return row;
}

/** A new collection; a taken name is a 409. */
export async function createCollection(sql: Sql, name: string, description: string | null): Promise<CollectionRow> {
  const row = await insertCollection(sql, name, description);
  if (!row) throw new ApiError(409, 'conflict', `a collection named '${name}' already exists`, { name });
  return row;
}

/**
 * Deletes a collection, its documents, chunks and stored files. A collection
 * whose analysis is running is a 409 naming the task; a `processing` status
 * left behind by a terminated run (which does no cleanup) does not block it.
 */
export async function deleteCollection(deps: Pick<ApiDeps, 'sql' | 'storage' | 'temporal'>, ref: string) {
  const row = await loadCollection(deps.sql, ref);
  const running = row.status === 'processing' ? await runningAnalysis(deps, row.id) : null;
  if (running) {
    throw new ApiError(
      409,
      'collection_busy',
      `collection '${row.name}' is being processed by task ${running}; cancel it first`,
      { id: row.id, task_id: running },
    );
  }
  const keys = await deleteCollectionRows(deps.sql, row.id);
  // Rows first, files after: a crash in between leaves files without rows,
  // which the storage reconciler finds and removes.
  await Promise.all(keys.map((key) => deps.storage.remove(key)));
  return { id: row.id, name: row.name, deleted_documents: keys.length };
}

export function collectionJson(row: CollectionRow, documentCount: number): z.input<typeof Collection> {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status as z.infer<typeof Collection>['status'],
    last_error: row.last_error,
    document_count: documentCount,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
