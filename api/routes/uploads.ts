import { Router } from 'express';
import { findDocumentIdsByHash, clearUploadFailure, deleteDocumentRow, findDocument, markUploadFailed } from '../../db/queries/documents.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { route } from '../route.ts';
import { CollectionRef } from '../schemas/collections.ts';
import {
  BATCH_UPLOAD_TEXT_FIELDS,
  BatchUploadForm,
  BatchUploadMultipart,
  DeletedDocument,
  DocumentRef,
  SingleUploadForm,
  SingleUploadMultipart,
  UploadLimits,
  UploadResult,
} from '../schemas/uploads.ts';
import { ALLOWED_EXTENSIONS } from '../uploads/allowed-types.ts';
import { checkStagedFiles } from '../uploads/check-staged-files.ts';
import { commitUpload, type CommitHooks } from '../uploads/commit-upload.ts';
import { countOutcomes, fileResult, planUpload } from '../uploads/plan-upload.ts';
import { startAnalysisForUpload, type AnalysisStart } from '../uploads/start-analysis.ts';
import { loadCollectionFirst, requestLimits, streamFilesToStaging, uploadLocals } from '../uploads/upload-middleware.ts';

/** Tests hand in commit hooks to inject failures; production never sets them. */
export type UploadRouteDeps = ApiDeps & { commitHooks?: CommitHooks };

const MB = 1024 * 1024;

export function uploadRoutes(deps: UploadRouteDeps): Router {
  const router = Router();
  const { config, sql } = deps;

  route(
    router,
    {
      method: 'get',
      path: '/uploads/limits',
      summary: 'The upload limits and accepted file types, so clients can split their batches',
      tags: ['documents'],
      data: UploadLimits,
    },
    () => ({
      max_upload_batch_size: config.max_upload_batch_size,
      max_file_size_bytes: config.max_file_size_mb * MB,
      max_upload_request_bytes: config.max_upload_request_mb * MB,
      max_concurrent_uploads: config.max_concurrent_uploads,
      allowed_extensions: ALLOWED_EXTENSIONS,
    }),
  );

  route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/documents',
      summary: 'Uploads one document (multipart field `file`); a refused file is 422, a duplicate answers with the existing id',
      tags: ['documents'],
      params: CollectionRef,
      body: SingleUploadForm,
      multipart: SingleUploadMultipart,
      data: UploadResult,
      successStatus: 201,
      errors: [404, 413, 415, 422],
      before: [loadCollectionFirst(deps), streamFilesToStaging(deps, requestLimits(config, 'file', [], 1))],
    },
    async ({ res }) => receiveAndStore(deps, uploadLocals(res), { atomic: true, process: undefined }),
  );

  route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/upload-and-process',
      summary: 'Uploads documents (multipart field `files`, repeated), stores them atomically or per file, and optionally starts their analysis',
      tags: ['documents'],
      params: CollectionRef,
      body: BatchUploadForm,
      multipart: BatchUploadMultipart,
      data: UploadResult,
      errors: [404, 413, 415, 422],
      before: [loadCollectionFirst(deps), streamFilesToStaging(deps, requestLimits(config, 'files', BATCH_UPLOAD_TEXT_FIELDS))],
    },
    async ({ body, res }) => {
      const { process_immediately, atomic, ...options } = body;
      return receiveAndStore(deps, uploadLocals(res), { atomic, process: process_immediately ? options : undefined });
    },
  );

  route(
    router,
    {
      method: 'delete',
      path: '/documents/:document',
      summary: 'Deletes a document, its chunks and its stored file',
      tags: ['documents'],
      params: DocumentRef,
      data: DeletedDocument,
      errors: [404, 409],
    },
    async ({ params }) => {
      const row = await findDocument(sql, params.document);
      if (!row) throw notFound('document', params.document);
      if (row.status === 'processing') {
        throw new ApiError(409, 'document_busy', `document ${row.id} is being processed; cancel its task first`, { id: row.id });
      }
      await deleteDocumentRow(sql, row.id);
      // Row first, file after: a crash in between leaves a file without a row, which the reconciler removes.
      await deps.storage.remove(row.storage_key);
      return { id: row.id, collection_id: row.collection_id, filename: row.original_filename };
    },
  );

  return router;
}

/** Checks, deduplicates and commits the staged files of one request; answers per file. */
async function receiveAndStore(
  deps: UploadRouteDeps,
  { collection, upload }: ReturnType<typeof uploadLocals>,
  request: { atomic: boolean; process?: { build_graph: boolean; extract_metadata: boolean; generate_embeddings: boolean } },
) {
  const verdicts = await checkStagedFiles(upload.files);
  const hashes = verdicts.filter((verdict) => verdict.ok).map((verdict) => verdict.file.sha256);
  const existing = await findDocumentIdsByHash(deps.sql, collection.id, hashes);
  const plan = planUpload(collection.id, verdicts, existing, request.atomic);

  if (plan.refused) {
    const files = plan.files.map(fileResult);
    const bad = plan.files.filter((planned) => planned.outcome === 'rejected' && planned.reason !== 'batch_refused');
    throw new ApiError(
      422,
      'upload_rejected',
      `${bad.length} of ${files.length} file(s) refused (${bad.map((p) => `${p.file.filename || '(no name)'}: ${p.reason}`).join('; ')}); atomic=true, so nothing was stored`,
      { files, counts: countOutcomes(files) },
    );
  }

  let committed;
  try {
    committed = await commitUpload(deps, collection.id, plan.files);
  } catch (error) {
    const stored = plan.files.filter((planned) => planned.outcome === 'stored').length;
    await markUploadFailed(deps.sql, collection.id, `${stored} file(s) not stored, nothing kept: ${(error as Error).message}`).catch(() => {});
    throw error;
  }

  const files = committed.map(fileResult);
  const counts = countOutcomes(files);
  if (counts.stored > 0) await clearUploadFailure(deps.sql, collection.id);

  let analysis: AnalysisStart = { task_id: null, started: false };
  if (request.process) {
    const storedIds = committed.filter((planned) => planned.outcome === 'stored').map((planned) => planned.document_id!);
    analysis = await startAnalysisForUpload(deps, collection.id, storedIds, request.process);
  }
  return {
    collection_id: collection.id,
    atomic: request.atomic,
    files,
    counts,
    task_id: analysis.task_id,
    processing: { requested: request.process !== undefined, started: analysis.started, ...(analysis.reason ? { reason: analysis.reason } : {}) },
  };
}
