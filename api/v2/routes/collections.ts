import { Router } from 'express';
import { z } from 'zod';
import { countChunks, listChunks } from '../../../db/queries/chunks.ts';
import {
  countCollections,
  countDocuments,
  findCollection,
  findEmbeddingProvider,
  listCollections,
} from '../../../db/queries/collections.ts';
import { listDocumentFiles, type DocumentFileRow } from '../../../db/queries/document-lookup.ts';
import { readProcessingStatus } from '../../analysis/processing-status.ts';
import { collectionJson, createCollection, deleteCollection, loadCollection } from '../../collections/collections.ts';
import type { ApiDeps } from '../../deps.ts';
import { deleteDocument, readDocument, resolveDocument } from '../../documents/documents.ts';
import { Collection, CollectionRef } from '../../schemas/collections.ts';
import { DocumentPath } from '../../schemas/ids.ts';
import { setTopLevel } from '../envelope.ts';
import { v2Route } from '../route.ts';
import {
  V2ChunkPage,
  V2ChunkQuery,
  V2CollectionWithDocuments,
  V2CreateCollectionBody,
  V2Deleted,
  V2DocumentDetail,
  V2OptionalPaging,
  V2ProcessingStatus,
} from '../schemas/collections.ts';

/** Collections listed when the caller gives no limit (the original listed them all). */
const ALL_COLLECTIONS = 100_000;

const STATUS_DESCRIPTIONS: Record<string, string> = {
  created: 'Collection created, ready for processing',
  processing: 'Document processing in progress',
  completed: 'All processing completed successfully',
  completed_with_errors: 'Processing finished; some documents failed (see documents_by_status and last_error)',
  failed: 'Processing failed; last_error says why',
  cancelled: 'Processing was cancelled',
};

/** The original contract's collection and document routes (create, list, get, delete, status; document get, delete, chunks). */
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

  v2Route(
    router,
    {
      method: 'get',
      path: '/collections/:collection/processing-status',
      summary: 'Processing status of a collection: documents, chunks, embedding coverage (percent), the running task',
      tags: ['v2 collections'],
      params: CollectionRef,
      data: V2ProcessingStatus,
      errors: [404],
    },
    async ({ params }) => {
      const collection = await loadCollection(sql, params.collection);
      const status = await readProcessingStatus(deps, collection);
      return {
        collection_identifier: collection.id,
        collection_name: collection.name,
        document_count: status.documents.total,
        chunk_count: status.chunks,
        chunks_with_embeddings: status.embedded_chunks,
        embedding_coverage: status.embedding_coverage * 100,
        last_updated: collection.updated_at.toISOString(),
        created_at: collection.created_at.toISOString(),
        processing_status: collection.status,
        status_description: STATUS_DESCRIPTIONS[collection.status] ?? collection.status,
        // One analysis per collection at a time: nothing can start while one runs.
        available_operations:
          collection.status === 'processing'
            ? []
            : ['complete_analysis', 'document_processing_only', 'incremental_update'],
        current_task_id: status.running_task_id,
        status_updated_at: collection.updated_at.toISOString(),
        last_error: collection.last_error,
        documents_by_status: status.documents.by_status,
        graph: status.graph,
        embedding_provider: status.embedding_provider,
        embedding_dimension: status.embedding_dimension,
      };
    },
  );

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

  return router;
}

/** A document as the original listed it (`filename`, `file_size`), with our fields beside. */
function v2Document(
  row: Pick<
    DocumentFileRow,
    'id' | 'original_filename' | 'storage_key' | 'mime_type' | 'size_bytes' | 'content_hash' | 'status' | 'error'
  > & { created_at: Date | string },
) {
  return {
    id: row.id,
    filename: row.storage_key.slice(row.storage_key.lastIndexOf('/') + 1),
    original_filename: row.original_filename,
    mime_type: row.mime_type,
    file_size: row.size_bytes,
    size_bytes: row.size_bytes,
    content_hash: row.content_hash,
    status: row.status,
    error: row.error,
    created_at: typeof row.created_at === 'string' ? row.created_at : row.created_at.toISOString(),
  };
}
