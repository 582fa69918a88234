import { Router } from 'express';
import { z } from 'zod';
import { countCollections, countDocuments, listCollections } from '../../../db/queries/collections.ts';
import { listDocumentFiles } from '../../../db/queries/document-lookup.ts';
import { collectionJson, createCollection, deleteCollection, loadCollection } from '../../collections/collections.ts';
import type { ApiDeps } from '../../deps.ts';
import { Collection, CollectionRef } from '../../schemas/collections.ts';
import { v2Document } from '../document-json.ts';
import { setTopLevel } from '../envelope.ts';
import { v2Route } from '../route.ts';
import {
  V2CollectionWithDocuments,
  V2CreateCollectionBody,
  V2Deleted,
  V2OptionalPaging,
} from '../schemas/collections.ts';

/** Collections listed when the caller gives no limit (the original listed them all). */
const ALL_COLLECTIONS = 100_000;

/** The original contract's collection routes (create, list, get, delete), as api/routes/collections.ts is v3's. */
export function v2CollectionRoutes(deps: ApiDeps): Router {
  const { sql } = deps;
  const router = Router();

  v2Route(
    router,
    {
      method: 'post',
      path: '/collections',
      summary: 'Creates a collection',
      tags: ['v2 collections'],
      body: V2CreateCollectionBody,
      data: Collection,
      errors: [409],
    },
    async ({ body }) => collectionJson(await createCollection(sql, body.name, body.description ?? null), 0),
  );

  v2Route(
    router,
    {
      method: 'get',
      path: '/collections',
      summary:
        'Lists collections, newest first: `data` is the list (all of them unless limit is given); `total` beside it',
      tags: ['v2 collections'],
      query: V2OptionalPaging,
      data: z.array(Collection),
    },
    async ({ query, res }) => {
      const limit = query.limit ?? ALL_COLLECTIONS;
      const [rows, total] = await Promise.all([listCollections(sql, limit, query.offset), countCollections(sql)]);
      setTopLevel(res, {
        total,
        limit: query.limit ?? null,
        offset: query.offset,
        has_more: query.offset + rows.length < total,
      });
      return rows.map((row) => collectionJson(row, row.document_count));
    },
  );

  v2Route(
    router,
    {
      method: 'get',
      path: '/collections/:collection',
      summary: 'A collection (id or name) with its documents: every one unless limit is given',
      tags: ['v2 collections'],
      params: CollectionRef,
      query: V2OptionalPaging,
      data: V2CollectionWithDocuments,
      errors: [404],
    },
    async ({ params, query, res }) => {
      const row = await loadCollection(sql, params.collection);
      const [count, documents] = await Promise.all([
        countDocuments(sql, row.id),
        listDocumentFiles(sql, row.id, query.limit ?? null, query.offset),
      ]);
      if (query.limit !== undefined)
        setTopLevel(res, {
          limit: query.limit,
          offset: query.offset,
          has_more: query.offset + documents.length < count,
        });
      return { ...collectionJson(row, count), documents: documents.map(v2Document) };
    },
  );

  v2Route(
    router,
    {
      method: 'delete',
      path: '/collections/:collection',
      summary: 'Deletes a collection, its documents, chunks and stored files (409 while it is processed)',
      tags: ['v2 collections'],
      params: CollectionRef,
      data: V2Deleted,
      errors: [404, 409],
    },
    async ({ params }) => {
      const deleted = await deleteCollection(deps, params.collection);
      return { message: `Collection '${deleted.name}' deleted successfully`, ...deleted };
    },
  );

  return router;
}
