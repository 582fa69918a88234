import { Router } from 'express';
import { chunksAfter, countChunks, listChunks } from '../../db/queries/chunks.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { route } from '../route.ts';
import { ChunkPage, ChunkPageQuery, DocumentDetail, DocumentParam } from '../schemas/analysis.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface DocumentRow {
  id: string;
  collection_id: string;
  original_filename: string;
  mime_type: string;
  size_bytes: number;
  content_hash: string;
  status: string;
  processing_step: string | null;
  error: string | null;
  page_count: number | null;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

/** GET /documents/{id} and its chunks, read by page (offset) or cursor (after), never all at once. */
export function documentReadRoutes(deps: ApiDeps): Router {
  const { sql } = deps;
  const router = Router();

  const findDocument = async (id: string) => {
    if (!UUID.test(id)) return undefined;
    const [row] = await sql<DocumentRow[]>`
      SELECT id, collection_id, original_filename, mime_type, size_bytes::float8 AS size_bytes, content_hash, status,
             processing_step, error, page_count, metadata, created_at, updated_at
      FROM documents WHERE id = ${id}`;
    return row;
  };

  route(
    router,
    {
      method: 'get',
      path: '/documents/:document',
      summary: 'A document: status (and step, or error), metadata, page and chunk counts',
      tags: ['documents'],
      params: DocumentParam,
      data: DocumentDetail,
      errors: [404],
    },
    async ({ params }) => {
      const row = await findDocument(params.document);
      if (!row) throw notFound('document', params.document);
      const counts = await countChunks(sql, row.id);
      return {
        ...row,
        status: row.status as 'processed',
        chunk_count: counts.chunks,
        embedded_chunks: counts.embedded,
        created_at: row.created_at.toISOString(),
        updated_at: row.updated_at.toISOString(),
      };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/documents/:document/chunks',
      summary: "A page of a document's chunks, by offset or by cursor (after = next_after of the previous page)",
      tags: ['documents'],
      params: DocumentParam,
      query: ChunkPageQuery,
      data: ChunkPage,
      errors: [404],
    },
    async ({ params, query }) => {
      const row = await findDocument(params.document);
      if (!row) throw notFound('document', params.document);
      const [rows, counts] = await Promise.all([
        query.offset !== undefined ? listChunks(sql, row.id, query.limit, query.offset) : chunksAfter(sql, row.id, query.after ?? -1, query.limit),
        countChunks(sql, row.id),
      ]);
      const chunks = rows.map((chunk) => ({
        ordinal: chunk.ordinal,
        text: chunk.text,
        token_count: chunk.token_count,
        page_start: chunk.page_start,
        page_end: chunk.page_end,
        has_embedding: chunk.has_embedding,
      }));
      const last = chunks[chunks.length - 1];
      return {
        document_id: row.id,
        chunks,
        total: counts.chunks,
        limit: query.limit,
        next_after: last && chunks.length === query.limit && last.ordinal < counts.chunks - 1 ? last.ordinal : null,
      };
    },
  );

  return router;
}
