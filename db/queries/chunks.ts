import type { Sql } from '../pool.ts';

export interface ChunkInsert {
  ordinal: number;
  text: string;
  token_count: number;
  page_start: number | null;
  page_end: number | null;
  metadata: Record<string, unknown>;
}

export interface ChunkRow {
  document_id: string;
  ordinal: number;
  text: string;
  token_count: number;
  page_start: number | null;
  page_end: number | null;
  metadata: { char_start?: number; char_end?: number; own_start?: number };
  has_embedding: boolean;
}

const INSERT_BATCH = 500;

/** Replaces every chunk of a document in one transaction: a rerun leaves the same rows, never more. */
export async function replaceChunks(sql: Sql, documentId: string, chunks: ChunkInsert[]): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`DELETE FROM chunks WHERE document_id = ${documentId}`;
    for (let i = 0; i < chunks.length; i += INSERT_BATCH) {
      const rows = chunks.slice(i, i + INSERT_BATCH).map((chunk) => ({ document_id: documentId, ...chunk, metadata: tx.json(chunk.metadata as never) }));
      await tx`INSERT INTO chunks ${tx(rows, 'document_id', 'ordinal', 'text', 'token_count', 'page_start', 'page_end', 'metadata')}`;
    }
  });
}

/** One page of a document's chunks after `afterOrdinal` (a cursor: reads never load every chunk at once). */
export async function chunksAfter(sql: Sql, documentId: string, afterOrdinal: number, limit: number): Promise<ChunkRow[]> {
  return sql<ChunkRow[]>`
    SELECT document_id, ordinal, text, token_count, page_start, page_end, metadata, embedding IS NOT NULL AS has_embedding
    FROM chunks WHERE document_id = ${documentId} AND ordinal > ${afterOrdinal}
    ORDER BY ordinal LIMIT ${limit}`;
}

/** Iterates a document's chunks page by page. */
export async function* eachChunk(sql: Sql, documentId: string, pageSize = 200): AsyncGenerator<ChunkRow[]> {
  let after = -1;
  for (;;) {
    const page = await chunksAfter(sql, documentId, after, pageSize);
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1].ordinal;
    if (page.length < pageSize) return;
  }
}

export async function listChunks(sql: Sql, documentId: string, limit: number, offset: number): Promise<ChunkRow[]> {
  return sql<ChunkRow[]>`
    SELECT document_id, ordinal, text, token_count, page_start, page_end, metadata, embedding IS NOT NULL AS has_embedding
    FROM chunks WHERE document_id = ${documentId} ORDER BY ordinal LIMIT ${limit} OFFSET ${offset}`;
}

export async function countChunks(sql: Sql, documentId: string): Promise<{ chunks: number; embedded: number }> {
  const [row] = await sql<{ chunks: number; embedded: number }[]>`
    SELECT count(*)::int AS chunks, count(embedding)::int AS embedded FROM chunks WHERE document_id = ${documentId}`;
  return row;
}

/** Writes vectors for some chunks in one statement. */
export async function storeEmbeddings(sql: Sql, documentId: string, vectors: { ordinal: number; embedding: number[] }[]): Promise<void> {
  if (vectors.length === 0) return;
  await sql`
    UPDATE chunks c SET embedding = v.embedding
    FROM jsonb_to_recordset(${sql.json(vectors as never)}::jsonb) AS v(ordinal integer, embedding real[])
    WHERE c.document_id = ${documentId} AND c.ordinal = v.ordinal`;
}

export interface MentionInsert {
  chunk_ordinal: number;
  kind: string;
  name: string;
}

/** Replaces a document's entity mentions in one transaction. */
export async function replaceMentions(sql: Sql, collectionId: string, documentId: string, mentions: MentionInsert[]): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`DELETE FROM entity_mentions WHERE document_id = ${documentId}`;
    for (let i = 0; i < mentions.length; i += INSERT_BATCH) {
      const rows = mentions.slice(i, i + INSERT_BATCH).map((m) => ({ collection_id: collectionId, document_id: documentId, ...m }));
      await tx`INSERT INTO entity_mentions ${tx(rows, 'collection_id', 'document_id', 'chunk_ordinal', 'kind', 'name')} ON CONFLICT DO NOTHING`;
    }
  });
}
