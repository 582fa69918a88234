import type { Sql } from '../pool.ts';
import type { Transaction } from './document-runs.ts';

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
  metadata: { char_start?: number; char_end?: number; own_start?: number; heading_path?: string[] };
  has_embedding: boolean;
}

const INSERT_BATCH = 500;

/** Adds chunks of a document (one committed range), inside the caller's fenced transaction. */
export async function insertChunks(tx: Transaction, documentId: string, chunks: ChunkInsert[]): Promise<void> {
  // Chunks are searched in their document's language (migration 006), known once the metadata step ran.
  const [document] = await tx<{ config: string }[]>`
    SELECT text_search_config::text AS config FROM documents WHERE id = ${documentId}`;
  const config = document?.config ?? 'simple';
  for (let i = 0; i < chunks.length; i += INSERT_BATCH) {
    const rows = chunks.slice(i, i + INSERT_BATCH).map((chunk) => ({
      document_id: documentId,
      ...chunk,
      metadata: tx.json(chunk.metadata as never),
      text_search_config: config,
    }));
    await tx`INSERT INTO chunks ${tx(rows, 'document_id', 'ordinal', 'text', 'token_count', 'page_start', 'page_end', 'metadata', 'text_search_config')}`;
  }
}

/** The start of a document's text, at most `maxChars` characters of its chunks' own text (for a chat model's excerpt). */
export async function documentExcerpt(sql: Sql, documentId: string, maxChars: number): Promise<string> {
  let excerpt = '';
  for await (const page of eachChunk(sql, documentId, 20)) {
    for (const chunk of page) {
      excerpt +=
        chunk.text.slice(Math.max(0, (chunk.metadata.own_start ?? 0) - (chunk.metadata.char_start ?? 0))) + '\n';
      if (excerpt.length >= maxChars) return excerpt.slice(0, maxChars);
    }
  }
  return excerpt;
}

/** One page of a document's chunks after `afterOrdinal` (a cursor: reads never load every chunk at once). */
export async function chunksAfter(
  sql: Sql,
  documentId: string,
  afterOrdinal: number,
  limit: number,
): Promise<ChunkRow[]> {
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

/** Writes vectors for some chunks in one statement, inside the caller's fenced transaction. */
export async function storeEmbeddings(
  tx: Transaction,
  documentId: string,
  vectors: { ordinal: number; embedding: number[] }[],
): Promise<void> {
  if (vectors.length === 0) return;
  await tx`
    UPDATE chunks c SET embedding = v.embedding
    FROM jsonb_to_recordset(${tx.json(vectors as never)}::jsonb) AS v(ordinal integer, embedding real[])
    WHERE c.document_id = ${documentId} AND c.ordinal = v.ordinal`;
}
