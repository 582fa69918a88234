import { isUuid } from '../../common/uuid.ts';
import { countChunks } from '../../db/queries/chunks.ts';
import { deleteDocumentRow } from '../../db/queries/documents.ts';
import {
  findDocumentDetail,
  findDocumentsByIdPrefix,
  type DocumentDetailRow,
} from '../../db/queries/document-lookup.ts';
import type { Sql } from '../../db/pool.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';

/** The start of an id: hex first, then hex and dashes, shorter than a whole id. */
const ID_PREFIX = /^[0-9a-f][0-9a-f-]{0,34}$/i;
/** Candidates listed when a prefix is ambiguous. */
const MAX_CANDIDATES = 10;

/**
 * The document a path names: its whole id, or the start of its id when only
 * one document's id starts so (the original CLI's short ids). 404 when none,
 * 409 listing the candidates when several do.
 */
export async function resolveDocument(sql: Sql, ref: string): Promise<DocumentDetailRow> {
  if (isUuid(ref)) {
    const row = await findDocumentDetail(sql, ref.toLowerCase());
    if (row) return row;
  } else if (ID_PREFIX.test(ref)) {
    const matches = await findDocumentsByIdPrefix(sql, ref.toLowerCase(), MAX_CANDIDATES + 1);
    if (matches.length === 1) {
      const row = await findDocumentDetail(sql, matches[0].id);
      if (row) return row;
    }
    if (matches.length > 1) {
      const shown = matches.slice(0, MAX_CANDIDATES);
      throw new ApiError(
        409,
        'ambiguous_id_prefix',
        `document id prefix '${ref}' matches ${matches.length > MAX_CANDIDATES ? `more than ${MAX_CANDIDATES}` : matches.length} documents (${shown.map((m) => m.id).join(', ')}); give more characters`,
        { prefix: ref, candidates: shown },
      );
    }
  }
  throw notFound('document', ref);
}

/** A document with its chunk counts (and its storage key, which only the v2 contract shows, as its `file_path`). */
export async function readDocument(sql: Sql, ref: string) {
  const row = await resolveDocument(sql, ref);
  const counts = await countChunks(sql, row.id);
  return {
    ...row,
    status: row.status as 'processed',
    chunk_count: counts.chunks,
    embedded_chunks: counts.embedded,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** Deletes a document, its chunks and its stored file; a document being processed is a 409. */
export async function deleteDocument(deps: Pick<ApiDeps, 'sql' | 'storage'>, ref: string) {
  const row = await resolveDocument(deps.sql, ref);
  if (row.status === 'processing') {
    throw new ApiError(409, 'document_busy', `document ${row.id} is being processed; cancel its task first`, {
      id: row.id,
    });
  }
  await deleteDocumentRow(deps.sql, row.id);
  // Row first, file after: a crash in between leaves a file without a row, which the reconciler removes.
  await deps.storage.remove(row.storage_key);
  return { id: row.id, collection_id: row.collection_id, filename: row.original_filename };
}
