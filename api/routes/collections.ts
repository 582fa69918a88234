import { Router } from 'express';
import { z } from 'zod';
import {
  countCollections,
  countDocuments,
  deleteCollectionRows,
  findCollection,
  insertCollection,
  listCollections,
  listDocumentSummaries,
  type CollectionRow,
  type DocumentSummaryRow,
} from '../../db/queries/collections.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { route } from '../route.ts';
import { Collection, CollectionRef, CollectionWithDocuments, CreateCollectionBody, Pagination } from '../schemas/collections.ts';

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
      const row = await insertCollection(sql, body.name, body.description ?? null);
      if (!row) throw new ApiError(409, 'conflict', `a collection named '${body.name}' already exists`, { name: body.name });
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
      data: z.object({ collections: z.array(Collection), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }),
    },
    async ({ query }) => {
      const [rows, total] = await Promise.all([listCollections(sql, query.limit, query.offset), countCollections(sql)]);
      return { collections: rows.map((row) => collectionJson(row, row.document_count)), total, limit: query.limit, offset: query.offset };
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
      const row = await findCollection(sql, params.collection);
      if (!row) throw notFound('collection', params.collection);
      const [count, documents] = await Promise.all([
        countDocuments(sql, row.id),
        listDocumentSummaries(sql, row.id, query.limit, query.offset),
      ]);
      return { ...collectionJson(row, count), documents: documents.map(documentJson), limit: query.limit, offset: query.offset };
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
    async ({ params }) => {
      const row = await findCollection(sql, params.collection);
      if (!row) throw notFound('collection', params.collection);
      if (row.status === 'processing') {
        throw new ApiError(409, 'collection_busy', `collection '${row.name}' is being processed; cancel its task first`, { id: row.id });
      }
      const keys = await deleteCollectionRows(sql, row.id);
      // Rows first, files after: a crash in between leaves files without rows,
      // which the storage reconciler finds and removes.
      await Promise.all(keys.map((key) => deps.storage.remove(key)));
      return { id: row.id, name: row.name, deleted_documents: keys.length };
    },
  );

  return router;
}

export function collectionJson(row: CollectionRow, documentCount: number): z.input<typeof Collection> {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status as z.infer<typeof Collection>['status'],
    last_error: row.last_error,
    document_count: documentCount,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function documentJson(row: DocumentSummaryRow) {
  return { ...row, status: row.status as 'uploaded', created_at: row.created_at.toISOString() };
}
