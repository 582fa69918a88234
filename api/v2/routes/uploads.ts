import { Router } from 'express';
import { findDocumentsByReference } from '../../../db/queries/document-lookup.ts';
import type { ApiDeps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { CollectionRef } from '../../schemas/collections.ts';
import {
  BatchUploadForm,
  BatchUploadMultipart,
  SingleUploadForm,
  SingleUploadMultipart,
} from '../../schemas/uploads.ts';
import { acceptedExtensions } from '../../../common/formats.ts';
import type { CommitHooks } from '../../uploads/commit-upload.ts';
import { batchUploadRequest, receiveAndStore } from '../../uploads/receive-and-store.ts';
import { uploadLocals, uploadSteps } from '../../uploads/upload-middleware.ts';
import { v2Route } from '../route.ts';
import { V2SingleUpload, V2UploadAndProcess } from '../schemas/uploads.ts';

type StoreAnswer = Awaited<ReturnType<typeof receiveAndStore>>;

/** The original contract's uploads: one file (`file`) and upload-and-process (`files`, repeated), over the same checked, atomic store. */
export function v2UploadRoutes(deps: ApiDeps & { commitHooks?: CommitHooks }): Router {
  const { sql } = deps;
  const router = Router();

  /** Storage keys (the v2 `file_path`) of the documents an upload answered with. */
  const storageKeys = async (answer: StoreAnswer) => {
    const ids = answer.files.map((file) => file.document_id).filter((id): id is string => id !== undefined);
    const rows = await findDocumentsByReference(sql, answer.collection_id, ids);
    return new Map(rows.map((row) => [row.id, row.storage_key]));
  };

  v2Route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/documents',
      summary:
        'Uploads one document (multipart field `file`); a duplicate answers duplicate=true with the existing id; an unsupported type is 415',
      tags: ['v2 documents'],
      params: CollectionRef,
      body: SingleUploadForm,
      multipart: SingleUploadMultipart,
      data: V2SingleUpload,
      errors: [404, 413, 415, 422],
      before: uploadSteps(deps, 'single'),
    },
    async ({ res }) => {
      const answer = await refusedTypeAs415(() => receiveAndStore(deps, uploadLocals(res), { atomic: true }));
      const [file] = answer.files;
      const key = (await storageKeys(answer)).get(file.document_id!) ?? '';
      const duplicate = file.outcome === 'duplicate';
      return {
        document_id: file.document_id!,
        filename: key.slice(key.lastIndexOf('/') + 1),
        original_filename: file.filename,
        content_hash: file.sha256 ?? '',
        file_size: file.size_bytes,
        file_path: key,
        duplicate,
        message: duplicate ? `Duplicate file: ${file.message}` : 'Document uploaded successfully',
        collection_id: answer.collection_id,
        outcome: file.outcome as 'stored' | 'duplicate',
        ...(file.reason ? { reason: file.reason } : {}),
      };
    },
  );

  v2Route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/upload-and-process',
      summary:
        'Uploads documents (multipart `files`, repeated) atomically by default and starts their analysis (process_immediately, default true)',
      tags: ['v2 documents'],
      params: CollectionRef,
      body: BatchUploadForm,
      multipart: BatchUploadMultipart,
      data: V2UploadAndProcess,
      errors: [404, 413, 415, 422],
      before: uploadSteps(deps, 'batch'),
    },
    async ({ body, res }) => {
      const answer = await refusedTypeAs415(() => receiveAndStore(deps, uploadLocals(res), batchUploadRequest(body)));
      const keys = await storageKeys(answer);
      const stored = answer.files.filter((file) => file.outcome === 'stored');
      const duplicates = answer.files.filter((file) => file.outcome === 'duplicate');
      return {
        uploaded_files: stored.length,
        duplicates_skipped: duplicates.length,
        file_paths: stored.map((file) => keys.get(file.document_id!) ?? ''),
        duplicates: duplicates.map((file) => ({
          filename: file.filename,
          existing_document_id: file.document_id!,
          content_hash: file.sha256 ?? '',
          file_size: file.size_bytes,
          reason: file.message ?? 'Duplicate file',
        })),
        ...processingOf(answer, body.process_immediately),
        collection_id: answer.collection_id,
        atomic: answer.atomic,
        files: answer.files,
        counts: answer.counts,
      };
    },
  );

  return router;
}

/** The original's processing_status: submitted (with task_id), skipped (nothing new), or not_started with the reason. */
function processingOf(answer: StoreAnswer, requested: boolean) {
  if (!requested) return {};
  if (answer.processing.started && answer.task_id)
    return { task_id: answer.task_id, processing_status: 'submitted' as const, estimated_duration: null };
  if (answer.counts.stored === 0)
    return { processing_status: 'skipped' as const, message: 'All files were duplicates, no processing needed' };
  return {
    processing_status: 'not_started' as const,
    message: `processing not started: ${answer.processing.reason ?? 'unknown reason'}`,
    ...(answer.task_id ? { running_task_id: answer.task_id } : {}),
  };
}

/** A request refused only for file types we do not read is a 415 that names the accepted types (as the original answered). */
async function refusedTypeAs415<T>(store: () => Promise<T>): Promise<T> {
  try {
    return await store();
  } catch (error) {
    const files = (
      (error as ApiError).details as { files?: { reason?: string; message?: string; filename: string }[] } | undefined
    )?.files;
    const refused =
      files?.filter(
        (file) =>
          file.reason !== undefined && file.reason !== 'batch_refused' && file.reason !== 'duplicate_in_collection',
      ) ?? [];
    if (
      !(error instanceof ApiError) ||
      refused.length === 0 ||
      refused.some((file) => file.reason !== 'unsupported_extension')
    )
      throw error;
    throw new ApiError(
      415,
      'unsupported_media_type',
      `Unsupported file type: ${refused.map((file) => `${file.filename}: ${file.message}`).join('; ')}. Supported types are: ${acceptedExtensions().join(', ')}`,
      { ...(error.details as object), supported_types: acceptedExtensions() },
    );
  }
}
