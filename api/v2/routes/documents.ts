import { Router } from 'express';
import { z } from 'zod';
import { countChunks, eachChunk } from '../../../db/queries/chunks.ts';
import { findCollection } from '../../../db/queries/collections.ts';
import type { ApiDeps } from '../../deps.ts';
import { resolveDocument } from '../../documents/documents.ts';
import { ApiError } from '../../errors.ts';
import { DocumentPath } from '../../schemas/ids.ts';
import { v2Route } from '../route.ts';

const ExportQuery = z.object({
  chunk_type: z.enum(['vector', 'graph']).optional().openapi({
    description: 'Accepted for the original clients: one set of chunks serves both, so either names all of them',
  }),
  include_metadata: z.enum(['true', 'false']).default('false'),
});

/**
 * The original's markdown export of a document's chunks (`documents export`):
 * a header, the chunks in order under `### Chunk N`, a summary. Streamed a
 * page of chunks at a time, so a long document is never held whole.
 */
export function v2DocumentExportRoutes(deps: ApiDeps): Router {
  const { sql } = deps;
  const router = Router();

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
