import { Router } from 'express';
import type { z } from 'zod';
import { findDocumentsByReference } from '../../../db/queries/document-lookup.ts';
import type { DocumentSelection, ProcessingOptions } from '../../../workflows/collection-analysis-contract.ts';
import { processCollection } from '../../analysis/process-collection.ts';
import { readProcessingStatus } from '../../analysis/processing-status.ts';
import { loadCollection } from '../../collections/collections.ts';
import type { ApiDeps } from '../../deps.ts';
import { ApiError, tooManyItems } from '../../errors.ts';
import { CollectionRef } from '../../schemas/collections.ts';
import { PROCESSING_DEFAULTS } from '../../schemas/processing-options.ts';
import { v2Route } from '../route.ts';
import {
  V2AddDocumentsAnswer,
  V2AddDocumentsBody,
  V2ProcessAnswer,
  V2ProcessBody,
  V2ProcessingStatus,
} from '../schemas/analysis.ts';

type ProcessBody = z.output<typeof V2ProcessBody>;

/** processing-status's status_description, by collection status. */
const STATUS_DESCRIPTIONS: Record<string, string> = {
  created: 'Collection created, ready for processing',
  processing: 'Document processing in progress',
  completed: 'All processing completed successfully',
  completed_with_errors: 'Processing finished; some documents failed (see documents_by_status and last_error)',
  failed: 'Processing failed; last_error says why',
  cancelled: 'Processing was cancelled',
};

/**
 * The original contract's analysis routes, as api/routes/analysis.ts is v3's: process a collection, its
 * processing status, and add documents incrementally (v2 only).
 */
export function v2AnalysisRoutes(deps: ApiDeps): Router {
  const { sql, config } = deps;
  const router = Router();

  v2Route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/process',
      summary:
        'Starts the analysis of a collection (the original TaskSubmissionRequest); 409 while one runs (with Retry-After while a cancelled one still cleans up)',
      tags: ['v2 processing'],
      params: CollectionRef,
      body: V2ProcessBody,
      data: V2ProcessAnswer,
      errors: [404, 409],
    },
    async ({ params, body, res }) => {
      const { selection, ignored } = selectionOf(body);
      const options = optionsOf(body);
      let started;
      let message: string | undefined;
      try {
        started = await processCollection(deps, params.collection, selection, options, res);
      } catch (error) {
        // The original processed everything again when nothing was new (its "smart re-processing").
        if (!(
          error instanceof ApiError &&
          error.code === 'nothing_selected' &&
          selection === 'pending' &&
          body.operation_type !== 'incremental_update'
        ))
          throw error;
        started = await processCollection(deps, params.collection, 'all', options, res);
        message = `every document was processed already; all ${started.documents} are processed again`;
      }
      return {
        task_id: started.task_id,
        task_type: body.operation_type,
        status: 'PENDING' as const,
        submitted_at: new Date().toISOString(),
        estimated_duration: null,
        collection_id: started.collection.id,
        selection: message ? ('all' as const) : selection,
        documents: started.documents,
        ...(message ? { message } : {}),
        ignored_parameters: ignored,
      };
    },
  );

  v2Route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/documents/add',
      summary:
        'Processes documents added to a collection (incremental update): each path names an uploaded document by its file_path, id or file name',
      tags: ['v2 processing'],
      params: CollectionRef,
      body: V2AddDocumentsBody,
      data: V2AddDocumentsAnswer,
      errors: [404, 409],
    },
    async ({ params, body, res }) => {
      const collection = await loadCollection(sql, params.collection);
      const references = [...new Set([...body.file_paths, ...(body.document_ids ?? [])])];
      if (references.length > config.max_upload_batch_size) {
        throw tooManyItems(config, 'max_upload_batch_size', references.length, 'documents per request');
      }
      const { added, notFound } = await resolveReferences(collection.id, references);
      if (added.length === 0) {
        throw new ApiError(
          400,
          'no_documents_named',
          `none of the ${references.length} path(s) names a document of collection '${collection.name}'; upload the files first (POST /collections/{c}/documents) and pass the file_path it answers`,
          { not_found: notFound },
        );
      }
      const ignored = (['chunk_size', 'chunk_overlap'] as const).filter(
        (key) => body[key] !== undefined && body[key] !== null,
      );
      const started = await processCollection(deps, collection.id, 'pending', PROCESSING_DEFAULTS, res);
      return {
        task_id: started.task_id,
        task_type: 'incremental_update',
        status: 'PENDING' as const,
        submitted_at: new Date().toISOString(),
        estimated_duration: null,
        collection_id: collection.id,
        selection: 'pending' as const,
        documents: started.documents,
        ...(ignored.length
          ? {
              message: `${ignored.join(' and ')} ignored: chunking is configured server-wide (chunk_size, chunk_overlap)`,
            }
          : {}),
        ignored_parameters: [...ignored],
        added,
        not_found: notFound,
      };
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

  /** Each reference to the collection's one document it names: its id, its storage key (file_path) or its file name. */
  async function resolveReferences(collectionId: string, references: string[]) {
    const basename = (reference: string) => reference.slice(reference.replace(/\\/g, '/').lastIndexOf('/') + 1);
    const rows = await findDocumentsByReference(sql, collectionId, [
      ...new Set([...references, ...references.map(basename)]),
    ]);
    const added: { reference: string; document_id: string; original_filename: string; status: string }[] = [];
    const notFound: { reference: string; reason: string }[] = [];
    for (const reference of references) {
      const exact = rows.filter((row) => row.id === reference || row.storage_key === reference);
      const byName = rows.filter(
        (row) => row.original_filename === reference || row.original_filename === basename(reference),
      );
      const matches = exact.length > 0 ? exact : byName;
      if (matches.length === 1)
        added.push({
          reference,
          document_id: matches[0].id,
          original_filename: matches[0].original_filename,
          status: matches[0].status,
        });
      else
        notFound.push({
          reference,
          reason:
            matches.length === 0
              ? 'no document of this collection has this id, file_path or file name'
              : `${matches.length} documents have this file name; give the file_path or id`,
        });
    }
    return { added, notFound };
  }

  return router;
}

/** What the original's operation types and flags ask for. document_processing_only: extract and chunk only. */
export function optionsOf(
  body: Pick<ProcessBody, 'operation_type' | 'build_graph' | 'extract_metadata' | 'generate_embeddings'>,
): ProcessingOptions {
  if (body.operation_type === 'document_processing_only')
    return { build_graph: false, extract_metadata: false, generate_embeddings: false };
  return {
    build_graph: body.build_graph,
    extract_metadata: body.extract_metadata,
    generate_embeddings: body.generate_embeddings,
  };
}

/** parameters.force / parameters.only_failed choose the documents; other parameters have no meaning here and are named back. */
function selectionOf(body: ProcessBody): { selection: DocumentSelection; ignored: string[] } {
  const parameters = body.parameters ?? {};
  const ignored = Object.keys(parameters).filter((key) => key !== 'force' && key !== 'only_failed');
  if (parameters.force === true && parameters.only_failed === true) {
    throw new ApiError(400, 'validation_error', 'parameters.force and parameters.only_failed cannot both be set', {
      parameters,
    });
  }
  const selection: DocumentSelection =
    parameters.force === true ? 'all' : parameters.only_failed === true ? 'only_failed' : 'pending';
  return { selection, ignored };
}
