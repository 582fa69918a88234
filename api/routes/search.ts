import { Router } from 'express';
import { SearchRefusal, searchChunks } from '../../activities/search/search-chunks.ts';
import { loadCollection } from '../collections/collections.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { route } from '../route.ts';
import { CollectionRef } from '../schemas/collections.ts';
import { SearchAnswer, SearchBody } from '../schemas/search.ts';

/** POST /collections/{c}/search: ranked chunks by full text, vectors or both. */
export function searchRoutes(deps: ApiDeps): Router {
  const { sql, config } = deps;
  const router = Router();

  route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/search',
      summary:
        "Searches a collection's chunks: full text in each document's language, vectors, or both fused by reciprocal rank",
      tags: ['search'],
      params: CollectionRef,
      body: SearchBody,
      data: SearchAnswer,
      errors: [404, 422],
    },
    async ({ params, body }) => {
      const collection = await loadCollection(sql, params.collection);
      const filters = body.filters;
      try {
        const answer = await searchChunks(sql, config, {
          collectionId: collection.id,
          query: body.query,
          k: body.k ?? config.search_default_k,
          mode: body.mode,
          filters: filters && {
            documentIds: filters.document_ids,
            pageFrom: filters.page_from,
            pageTo: filters.page_to,
            metadata: filters.metadata,
          },
        });
        return {
          collection_id: collection.id,
          query: body.query,
          mode: answer.mode,
          vector_search: answer.vectorSearch,
          ...(answer.notice ? { notice: answer.notice } : {}),
          hits: answer.hits.map((hit) => ({
            document_id: hit.documentId,
            document_name: hit.documentName,
            ordinal: hit.ordinal,
            page_start: hit.pageStart,
            page_end: hit.pageEnd,
            heading_path: hit.headingPath,
            text: hit.text,
            snippet: hit.snippet,
            scores: hit.scores,
          })),
        };
      } catch (error) {
        if (error instanceof SearchRefusal) throw new ApiError(error.status, error.code, error.message, error.details);
        throw error;
      }
    },
  );

  return router;
}
