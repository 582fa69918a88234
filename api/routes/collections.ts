import { Router } from 'express';
import { z } from 'zod';
import {
  countCollections,
  countDocuments,
  listCollections,
  listDocumentSummaries,
  type DocumentSummaryRow,
} from '../../db/queries/collections.ts';
import { collectionJson, createCollection, deleteCollection, loadCollection } from '../collections/collections.ts';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';
import {
  Collection,
  CollectionRef,
  CollectionWithDocuments,
  CreateCollectionBody,
  Pagination,
} from '../schemas/collections.ts';

export function collectionRoutes(deps: ApiDeps): Router {
  const { sql } = deps;
  const router = Router();

  route(
    router,
    {
      method: 'post',
      path: '/collections',
      summary: 'Creates a collection',
      tags: ['collections'],
      body: CreateCollectionBody,
      data: Collection,
      successStatus: 201,
      errors: [409],
    },
    async ({ body }) => {
      const row = await createCollection(sql, body.name, body.description ?? null);
      return collectionJson(row, 0);
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/collections',
      summary: 'Lists collections, newest first',
      tags: ['collections'],
      query: Pagination,
      data: z.object({
        collections: z.array(Collection),
        total: z.number().int(),
        limit: z.number().int(),
        offset: z.number().int(),
      }),
    },
    async ({ query }) => {
      const [rows, total] = await Promise.all([listCollections(sql, query.limit, query.offset), countCollections(sql)]);
      return {
        collections: rows.map((row) => collectionJson(row, row.document_count)),
        total,
        limit: query.limit,
        offset: query.offset,
      };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/collections/:collection',
      summary: 'A collection with its documents (paged by limit/offset, first 100 by default)',
      tags: ['collections'],
      params: CollectionRef,
      query: Pagination,
      data: CollectionWithDocuments,
      errors: [404],
    },
    async ({ params, query }) => {
      const row = await loadCollection(sql, params.collection);
      const [count, documents] = await Promise.all([
        countDocuments(sql, row.id),
        listDocumentSummaries(sql, row.id, query.limit, query.offset),
      ]);
      return {
        ...collectionJson(row, count),
        documents: documents.map(documentJson),
        limit: query.limit,
        offset: query.offset,
      };
    },
  );

  route(
    router,
    {
      method: 'delete',
      path: '/collections/:collection',
      summary: 'Deletes a collection, its documents, chunks and stored files',
      tags: ['collections'],
      params: CollectionRef,
      data: z.object({ id: z.string(), name: z.string(), deleted_documents: z.number().int() }),
      errors: [404, 409],
    },
    async ({ params }) => deleteCollection(deps, params.collection),
  );

  return router;
}

function documentJson(row: DocumentSummaryRow) {
  return { ...row, status: row.status as 'uploaded', created_at: row.created_at.toISOString() };
}
