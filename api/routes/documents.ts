import { Router } from 'express';
import { chunksAfter, countChunks, listChunks } from '../../db/queries/chunks.ts';
import type { ApiDeps } from '../deps.ts';
import { deleteDocument, readDocument, resolveDocument } from '../documents/documents.ts';
import { route } from '../route.ts';
import { ChunkPage, ChunkPageQuery, DocumentDetail } from '../schemas/analysis.ts';
import { DocumentPath } from '../schemas/ids.ts';
import { DeletedDocument } from '../schemas/uploads.ts';

/** GET /documents/{id}, its chunks (by page or by cursor, never all at once), and DELETE /documents/{id}. */
export function documentRoutes(deps: ApiDeps): Router {
  const { sql } = deps;
  const router = Router();

  route(
    router,
    {
      method: 'get',
      path: '/documents/:document',
      summary:
        'A document (whole id, or a unique start of it): status (and step, or error), metadata, page and chunk counts',
      tags: ['documents'],
      params: DocumentPath,
      data: DocumentDetail,
      errors: [404, 409],
    },
    async ({ params }) => {
      const { storage_key: _storageKey, ...document } = await readDocument(sql, params.document);
      return document;
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/documents/:document/chunks',
      summary: "A page of a document's chunks, by offset or by cursor (after = next_after of the previous page)",
      tags: ['documents'],
      params: DocumentPath,
      query: ChunkPageQuery,
      data: ChunkPage,
      errors: [404, 409],
    },
    async ({ params, query }) => {
      const row = await resolveDocument(sql, params.document);
      const [rows, counts] = await Promise.all([
        query.offset !== undefined
          ? listChunks(sql, row.id, query.limit, query.offset)
          : chunksAfter(sql, row.id, query.after ?? -1, query.limit),
        countChunks(sql, row.id),
      ]);
      const chunks = rows.map((chunk) => ({
        ordinal: chunk.ordinal,
        text: chunk.text,
        token_count: chunk.token_count,
        page_start: chunk.page_start,
        page_end: chunk.page_end,
        heading_path: chunk.metadata.heading_path ?? [],
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

  route(
    router,
    {
      method: 'delete',
      path: '/documents/:document',
      summary: 'Deletes a document (whole id, or a unique start of it), its chunks and its stored file',
      tags: ['documents'],
      params: DocumentPath,
      data: DeletedDocument,
      errors: [404, 409],
    },
    async ({ params }) => deleteDocument(deps, params.document),
  );

  return router;
}
