import type { DocumentFileRow } from '../../db/queries/document-lookup.ts';

/** A document as the original listed it (`filename`, `file_size`), with our fields beside. */
export function v2Document(
  row: Pick<
    DocumentFileRow,
    'id' | 'original_filename' | 'storage_key' | 'mime_type' | 'size_bytes' | 'content_hash' | 'status' | 'error'
  > & { created_at: Date | string },
) {
  return {
    id: row.id,
    filename: row.storage_key.slice(row.storage_key.lastIndexOf('/') + 1),
    original_filename: row.original_filename,
    mime_type: row.mime_type,
    file_size: row.size_bytes,
    size_bytes: row.size_bytes,
    content_hash: row.content_hash,
    status: row.status,
    error: row.error,
    created_at: typeof row.created_at === 'string' ? row.created_at : row.created_at.toISOString(),
  };
}
