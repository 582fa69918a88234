import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Config } from '../../config/schema.ts';
import { findCollection, type CollectionRow } from '../../db/queries/collections.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { BATCH_UPLOAD_TEXT_FIELDS } from '../schemas/uploads.ts';
import { multipartReceiver, type ReceivedMultipart } from './receive-multipart.ts';
import type { MultipartLimits } from './staging-engine.ts';

const MB = 1024 * 1024;
/** How long a refused request's unread body is drained (and discarded) before the socket is closed. */
const LINGER_MS = 2_000;

export interface UploadLocals {
  collection: CollectionRow;
  upload: ReceivedMultipart;
}

export function uploadLocals(res: Response): UploadLocals {
  return res.locals as UploadLocals;
}

export function requestLimits(
  config: Config,
  fileField: string,
  textFields: readonly string[],
  maxFiles = config.max_upload_batch_size,
): MultipartLimits {
  return {
    fileField,
    textFields,
    maxFiles: {
      limit: maxFiles === config.max_upload_batch_size ? 'max_upload_batch_size' : 'files_per_request',
      allowed: maxFiles,
    },
    maxFileBytes: { limit: 'max_file_size_mb', allowed: config.max_file_size_mb * MB },
    maxRequestBytes: { limit: 'max_upload_request_mb', allowed: config.max_upload_request_mb * MB },
  };
}

/** 404 before a byte of the body is read when the collection does not exist. */
export function loadCollectionFirst(deps: ApiDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const ref = String(req.params.collection ?? '');
    const collection = await findCollection(deps.sql, ref);
    if (!collection) {
      closeAfterAnswer(req);
      throw notFound('collection', ref);
    }
    uploadLocals(res).collection = collection;
    next();
  };
}

/**
 * Streams the file parts to staging through multer (see multipartReceiver)
 * and hands the text fields to the route as its body. Whatever happens next,
 * every staged file that was not moved into storage is removed once the
 * answer is sent.
 */
export function streamFilesToStaging(deps: ApiDeps, limits: MultipartLimits): RequestHandler {
  const receive = multipartReceiver(deps.staging, limits);
  return async (req: Request, res: Response, next: NextFunction) => {
    let upload: ReceivedMultipart;
    try {
      upload = await receive(req, res);
    } catch (error) {
      closeAfterAnswer(req);
      throw error;
    }
    res.on('close', () => {
      for (const file of upload.files) void deps.staging.remove(file.stagedKey).catch(() => {});
    });
    uploadLocals(res).upload = upload;
    req.body = upload.fields;
    next();
  };
}

/**
 * The answer goes out before the body was read. Closing at once would make
 * clients that are still writing fail with EPIPE before they read it, so the
 * rest is drained (discarded, never stored) for a short while, then the
 * socket is closed if the client keeps sending.
 */
function closeAfterAnswer(req: IncomingMessage): void {
  if (req.complete) return;
  req.resume();
  const timer = setTimeout(() => req.destroy(), LINGER_MS);
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
}

/** What runs before an upload route's handler: the collection, then its files streamed to staging (one `file`, or `files`). */
export function uploadSteps(deps: ApiDeps, shape: 'single' | 'batch'): RequestHandler[] {
  const limits =
    shape === 'single'
      ? requestLimits(deps.config, 'file', [], 1)
      : requestLimits(deps.config, 'files', BATCH_UPLOAD_TEXT_FIELDS);
  return [loadCollectionFirst(deps), streamFilesToStaging(deps, limits)];
}
