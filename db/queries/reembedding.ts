import { createHash } from 'node:crypto';
import type { Sql } from '../pool.ts';
import { storeEmbeddings } from './chunks.ts';

/**
 * Marks the collection's vectors as being replaced (`label`, no dimension), so
 * no search takes them for one provider's. The label it had is returned;
 * undefined when the collection is gone.
 */
export async function labelReembedding(
  sql: Sql,
  collectionId: string,
  label: string,
): Promise<{ previous: string | null } | undefined> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ embedding_provider: string | null }[]>`
      SELECT embedding_provider FROM collections WHERE id = ${collectionId} FOR UPDATE`;
    if (!row) return undefined;
    await tx`UPDATE collections SET embedding_provider = ${label}, embedding_dimension = NULL WHERE id = ${collectionId}`;
    await tx`DELETE FROM reembedded_documents WHERE collection_id = ${collectionId}`;
    return { previous: row.embedding_provider };
  });
}

/** Processed documents of a collection: those whose chunks carry vectors to replace. */
export async function countProcessedDocuments(
  sql: Sql,
  collectionId: string,
): Promise<{ documents: number; chunks: number }> {
  const [row] = await sql<{ documents: number; chunks: number }[]>`
    SELECT count(DISTINCT d.id)::int AS documents, count(c.document_id)::int AS chunks
    FROM documents d LEFT JOIN chunks c ON c.document_id = d.id
    WHERE d.collection_id = ${collectionId} AND d.status = 'processed'`;
  return row;
}

/** The next processed documents after `afterId`, in id order (a keyset cursor), and whether `provider` re-embedded each already. */
export async function processedDocumentsAfter(
  sql: Sql,
  collectionId: string,
  afterId: string | null,
  limit: number,
  provider: string,
): Promise<{ id: string; done: boolean }[]> {
  return sql<{ id: string; done: boolean }[]>`
    SELECT d.id, (r.provider IS NOT DISTINCT FROM ${provider}) AS done
    FROM documents d LEFT JOIN reembedded_documents r ON r.document_id = d.id
    WHERE d.collection_id = ${collectionId} AND d.status = 'processed' AND (${afterId}::uuid IS NULL OR d.id > ${afterId}::uuid)
    ORDER BY d.id LIMIT ${limit}`;
}

/** Records that a document's vectors are all `provider`'s now. */
export async function markReembedded(sql: Sql, collectionId: string, documentId: string, provider: string) {
  await sql`
    INSERT INTO reembedded_documents (collection_id, document_id, provider) VALUES (${collectionId}, ${documentId}, ${provider})
    ON CONFLICT (collection_id, document_id) DO UPDATE SET provider = EXCLUDED.provider`;
}

/** Forgets a finished re-embedding's documents. */
export async function clearReembedded(sql: Sql, collectionId: string) {
  await sql`DELETE FROM reembedded_documents WHERE collection_id = ${collectionId}`;
}

const digest = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/**
 * Writes new vectors for chunks whose text is still the text they were made
 * from: a chunk an analysis replaced meanwhile (the document processed again)
 * keeps the vector that analysis gave it. Returns how many were written.
 */
export async function replaceVectorsOfUnchangedChunks(
  sql: Sql,
  documentId: string,
  chunks: { ordinal: number; text: string; embedding: number[] }[],
): Promise<number> {
  if (chunks.length === 0) return 0;
  return sql.begin(async (tx) => {
    const unchanged = await tx<{ ordinal: number }[]>`
      SELECT c.ordinal FROM chunks c
      JOIN unnest(${chunks.map((c) => c.ordinal)}::int[], ${chunks.map((c) => digest(c.text))}::text[]) AS v(ordinal, digest)
        ON c.ordinal = v.ordinal AND md5(c.text) = v.digest
      WHERE c.document_id = ${documentId}
      FOR UPDATE OF c`;
    const keep = new Set(unchanged.map((row) => row.ordinal));
    const vectors = chunks
      .filter((c) => keep.has(c.ordinal))
      .map((c) => ({ ordinal: c.ordinal, embedding: c.embedding }));
    await storeEmbeddings(tx, documentId, vectors);
    return vectors.length;
  });
}
