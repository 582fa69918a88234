import type { Sql } from '../pool.ts';

/** The text of the chunks named by (document, ordinal), in one query; chunks gone since are absent. */
export async function chunkTexts(
  sql: Sql,
  refs: readonly { documentId: string; ordinal: number }[],
): Promise<Map<string, string>> {
  if (refs.length === 0) return new Map();
  const rows = await sql<{ document_id: string; ordinal: number; text: string }[]>`
    SELECT c.document_id, c.ordinal, c.text FROM chunks c
    JOIN unnest(${refs.map((r) => r.documentId)}::uuid[], ${refs.map((r) => r.ordinal)}::int[]) AS p(document_id, ordinal)
      ON c.document_id = p.document_id AND c.ordinal = p.ordinal`;
  return new Map(rows.map((row) => [chunkKey(row.document_id, row.ordinal), row.text]));
}

export const chunkKey = (documentId: string, ordinal: number) => `${documentId}:${ordinal}`;

/** The collection's name and, when asked, whether the document belongs to it; undefined when the collection is gone. */
export async function queryTarget(
  sql: Sql,
  collectionId: string,
  documentId: string | undefined,
): Promise<{ collectionName: string; documentFound: boolean } | undefined> {
  const [row] = await sql<{ name: string; document_found: boolean }[]>`
    SELECT name, (${documentId ?? null}::uuid IS NULL OR EXISTS (
      SELECT 1 FROM documents WHERE id = ${documentId ?? null}::uuid AND collection_id = ${collectionId})) AS document_found
    FROM collections WHERE id = ${collectionId}`;
  return row ? { collectionName: row.name, documentFound: row.document_found } : undefined;
}
