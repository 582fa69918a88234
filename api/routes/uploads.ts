import { Router } from 'express';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';
import { CollectionRef } from '../schemas/collections.ts';
import {
  BatchUploadForm,
  BatchUploadMultipart,
  SingleUploadForm,
  SingleUploadMultipart,
  UploadLimits,
  UploadResult,
} from '../schemas/uploads.ts';
import { acceptedExtensions } from '../../common/formats.ts';
import type { CommitHooks } from '../uploads/commit-upload.ts';
import { batchUploadRequest, receiveAndStore } from '../uploads/receive-and-store.ts';
import { uploadLocals, uploadSteps } from '../uploads/upload-middleware.ts';

/** Tests hand in commit hooks to inject failures; production never sets them. */
export type UploadRouteDeps = ApiDeps & { commitHooks?: CommitHooks };

const MB = 1024 * 1024;

export function uploadRoutes(deps: UploadRouteDeps): Router {
  const router = Router();
  const { config } = deps;

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
      allowed_extensions: acceptedExtensions(),
    }),
  );

  route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/documents',
      summary:
        'Uploads one document (multipart field `file`); a refused file is 422, a duplicate answers with the existing id',
      tags: ['documents'],
      params: CollectionRef,
      body: SingleUploadForm,
      multipart: SingleUploadMultipart,
      data: UploadResult,
      successStatus: 201,
      errors: [404, 413, 415, 422],
      before: uploadSteps(deps, 'single'),
    },
    async ({ res }) => receiveAndStore(deps, uploadLocals(res), { atomic: true, process: undefined }),
  );

  route(
    router,
    {
      method: 'post',
      path: '/collections/:collection/upload-and-process',
      summary:
        'Uploads documents (multipart field `files`, repeated), stores them atomically or per file, and optionally starts their analysis',
      tags: ['documents'],
      params: CollectionRef,
      body: BatchUploadForm,
      multipart: BatchUploadMultipart,
      data: UploadResult,
      errors: [404, 413, 415, 422],
      before: uploadSteps(deps, 'batch'),
    },
    async ({ body, res }) => {
      return receiveAndStore(deps, uploadLocals(res), batchUploadRequest(body));
    },
  );

  return router;
}
