import { Router } from 'express';
import { z } from 'zod';
import { countChunks, eachChunk, listChunks } from '../../../db/queries/chunks.ts';
import { findCollection, findEmbeddingProvider } from '../../../db/queries/collections.ts';
import type { ApiDeps } from '../../deps.ts';
import { deleteDocument, readDocument, resolveDocument } from '../../documents/documents.ts';
import { ApiError } from '../../errors.ts';
import { DocumentPath } from '../../schemas/ids.ts';
import { v2Document } from '../document-json.ts';
import { v2Route } from '../route.ts';
import { V2Deleted } from '../schemas/collections.ts';
import { V2ChunkPage, V2ChunkQuery, V2DocumentDetail } from '../schemas/documents.ts';

const ExportQuery = z.object({
  chunk_type: z.enum(['vector', 'graph']).optional().openapi({
    description: 'Accepted for the original clients: one set of chunks serves both, so either names all of them',
  }),
  include_metadata: z.enum(['true', 'false']).default('false'),
});

/**
 * The original contract's document routes, as api/routes/documents.ts is v3's: get, delete, chunks, and the
 * original's markdown export of a document's chunks (`documents export`): a header, the chunks in order under
 * `### Chunk N`, a summary, streamed a page of chunks at a time, so a long document is never held whole.
 */
export function v2DocumentRoutes(deps: ApiDeps): Router {
  const { sql } = deps;
  const router = Router();

  v2Route(
    router,
    {
      method: 'get',
      path: '/documents/:document',
      summary: 'A document by id or a unique start of its id (409 with the candidates when several match)',
      tags: ['v2 documents'],
      params: DocumentPath,
      data: V2DocumentDetail,
      errors: [404, 409],
    },
    async ({ params }) => {
      const document = await readDocument(sql, params.document);
      const collection = await findCollection(sql, document.collection_id);
      return {
        ...v2Document(document),
        file_path: document.storage_key,
        collection_ids: [document.collection_id],
        collections: collection ? [{ id: collection.id, name: collection.name }] : [],
        document_metadata: document.metadata,
        processing_step: document.processing_step,
        page_count: document.page_count,
        chunk_count: document.chunk_count,
        embedded_chunks: document.embedded_chunks,
        updated_at: document.updated_at,
      };
    },
  );

  v2Route(
    router,
    {
      method: 'delete',
      path: '/documents/:document',
      summary: 'Deletes a document (id or unique id prefix), its chunks and stored file',
      tags: ['v2 documents'],
      params: DocumentPath,
      data: V2Deleted,
      errors: [404, 409],
    },
    async ({ params }) => {
      const deleted = await deleteDocument(deps, params.document);
      return { message: `Document '${deleted.filename}' deleted successfully`, ...deleted };
    },
  );

  v2Route(
    router,
    {
      method: 'get',
      path: '/documents/:document/chunks',
      summary: "A page of a document's chunks by limit/offset",
      tags: ['v2 documents'],
      params: DocumentPath,
      query: V2ChunkQuery,
      data: V2ChunkPage,
      errors: [404, 409],
    },
    async ({ params, query }) => {
      const document = await resolveDocument(sql, params.document);
      const [rows, counts, provider] = await Promise.all([
        listChunks(sql, document.id, query.limit, query.offset),
        countChunks(sql, document.id),
        findEmbeddingProvider(sql, document.collection_id),
      ]);
      return {
        document_id: document.id,
        total_chunks: counts.chunks,
        chunks_returned: rows.length,
        offset: query.offset,
        limit: query.limit,
        chunks: rows.map((chunk) => ({
          chunk_id: `${document.id}:${chunk.ordinal}`,
          chunk_index: chunk.ordinal,
          text: chunk.text,
          has_embedding: chunk.has_embedding,
          embedding_dimensions: chunk.has_embedding ? (provider?.embedding_dimension ?? null) : null,
          chunk_metadata: {
            ...chunk.metadata,
            token_count: chunk.token_count,
            page_start: chunk.page_start,
            page_end: chunk.page_end,
          },
        })),
      };
    },
  );

  v2Route(
    router,
    {
      method: 'get',
      path: '/documents/:document/export',
      summary:
        "A document's chunks as a markdown file (text/markdown, Content-Disposition: attachment); 404 when it has none",
      tags: ['v2 documents'],
      params: DocumentPath,
      query: ExportQuery,
      data: z.string().openapi({ description: 'The answer is the markdown itself, not an envelope' }),
      errors: [404, 409],
    },
    async ({ params, query, res }) => {
      const document = await resolveDocument(sql, params.document);
      const [counts, collection] = await Promise.all([
        countChunks(sql, document.id),
        findCollection(sql, document.collection_id),
      ]);
      if (counts.chunks === 0)
        throw new ApiError(
          404,
          'no_chunks',
          `No chunks found for document ${document.id} (status ${document.status})`,
          { id: document.id, status: document.status },
        );

      const stem = document.original_filename.replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '_') || document.id;
      res
        .status(200)
        .type('text/markdown; charset=utf-8')
        .setHeader('content-disposition', `attachment; filename="${stem}.md"`);
      res.write(`# Document Export: ${document.original_filename}\n\n`);
      res.write(`**Document ID**: \`${document.id}\`\n`);
      res.write(`**Collections**: ${collection ? `${collection.name} (${collection.id})` : 'None'}\n`);
      res.write(`**Created**: ${document.created_at.toISOString()}\n`);
      res.write(`**Total Chunks**: ${counts.chunks}\n`);
      res.write(`**Exported**: ${new Date().toISOString()}\n\n---\n\n## Document Content\n\n`);
      let index = 0;
      let tokens = 0;
      try {
        for await (const page of eachChunk(sql, document.id)) {
          let text = '';
          for (const chunk of page) {
            tokens += chunk.token_count;
            text += `### Chunk ${++index}\n\n`;
            if (query.include_metadata === 'true') {
              const pages =
                chunk.page_start === null
                  ? ''
                  : `**Page**: ${chunk.page_start}${chunk.page_end !== chunk.page_start ? `–${chunk.page_end}` : ''}\n`;
              text += `<details>\n<summary>Chunk Metadata</summary>\n\n**Position**: ${chunk.ordinal}\n${pages}**Tokens**: ${chunk.token_count}\n\n</details>\n\n`;
            }
            text += `${chunk.text}\n\n---\n\n`;
          }
          // Wait for the socket when the reader is slower than the database; stop when the reader is gone.
          if (!res.write(text)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
          if (res.destroyed) return res;
        }
      } catch (error) {
        // The status is sent already: a cut connection is the only honest end.
        res.destroy(error as Error);
        return res;
      }
      res.end(
        `## Export Summary\n\n- **Total Chunks**: ${index}\n- **Total Tokens**: ${tokens.toLocaleString('en-US')}\n`,
      );
      return res;
    },
  );

  return router;
}
