import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { StorageUnavailableError, type StagingArea } from '../../storage/document-storage.ts';
import { ApiError } from '../errors.ts';
import { sanitizeFilename } from './sanitize-filename.ts';

/** One file part of a request, written to staging and hashed on the way. */
export interface StagedFile {
  /** Position in the request, from 0. */
  index: number;
  /** The name as the client sent it (never trusted, never used for paths). */
  rawFilename: string;
  /** The name kept for display. */
  filename: string;
  /** Where the bytes are staged (a path on local disk, an object key in a bucket). */
  stagedKey: string;
  sizeBytes: number;
  sha256: string;
}

export interface ReceivedMultipart {
  fields: Record<string, string>;
  files: StagedFile[];
}

export interface MultipartLimits {
  /** The form field file parts must use (`file` or `files`). */
  fileField: string;
  /** Other form fields the route understands. */
  textFields: readonly string[];
  maxFiles: { limit: string; allowed: number };
  maxFileBytes: { limit: string; allowed: number };
  maxRequestBytes: { limit: string; allowed: number };
}

const MAX_TEXT_FIELD_BYTES = 1024;

/**
 * Streams a multipart/form-data request: every file part goes straight to a
 * fresh staged object (a file, or an object in the bucket) while its sha256
 * and size are counted, so memory stays flat whatever the sizes. Limits are
 * checked as bytes arrive; the first one broken stops reading and rejects
 * with a 413 that names it. Storage that cannot be written rejects with a 503
 * naming the storage. On any failure every staged file of the request is
 * removed before the promise rejects.
 */
export function receiveMultipart(
  req: IncomingMessage,
  staging: StagingArea,
  limits: MultipartLimits,
): Promise<ReceivedMultipart> {
  const contentType = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\b/i.test(contentType)) {
    return Promise.reject(
      new ApiError(
        415,
        'unsupported_media_type',
        `send multipart/form-data with the file(s) in the field '${limits.fileField}'`,
      ),
    );
  }

  return new Promise<ReceivedMultipart>((resolve, reject) => {
    const fields: Record<string, string> = {};
    const files: StagedFile[] = [];
    const writes: Promise<void>[] = [];
    const inFlight = new Set<{ destroy(error?: Error): void }>();
    let requestBytes = 0;
    let failed = false;

    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fieldSize: MAX_TEXT_FIELD_BYTES, fields: limits.textFields.length + 5, headerPairs: 20 },
      });
    } catch (error) {
      reject(new ApiError(400, 'invalid_multipart', `malformed multipart request: ${(error as Error).message}`));
      return;
    }

    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      for (const stream of inFlight) stream.destroy();
      void Promise.allSettled(writes)
        .then(() => Promise.allSettled(files.map((file) => staging.remove(file.stagedKey))))
        .then(() => reject(error));
    };

    parser.on('file', (field, stream, info) => {
      if (failed) return stream.resume();
      if (field !== limits.fileField) {
        stream.resume();
        return fail(
          new ApiError(400, 'unexpected_field', `file parts go in the field '${limits.fileField}', not '${field}'`, {
            field,
          }),
        );
      }
      const rawFilename = info.filename ?? '';
      const filename = sanitizeFilename(rawFilename);
      if (files.length + 1 > limits.maxFiles.allowed) {
        stream.resume();
        return fail(
          new ApiError(
            413,
            'limit_exceeded',
            `more than ${limits.maxFiles.allowed} file(s) in one request (${limits.maxFiles.limit} = ${limits.maxFiles.allowed}); reading stopped at file ${files.length + 1}`,
            {
              limit: limits.maxFiles.limit,
              allowed: limits.maxFiles.allowed,
              actual: files.length + 1,
              actual_is_at_least: true,
            },
          ),
        );
      }
      const staged: StagedFile = {
        index: files.length,
        rawFilename,
        filename,
        stagedKey: staging.newKey(),
        sizeBytes: 0,
        sha256: '',
      };
      files.push(staged);
      const hash = createHash('sha256');
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          staged.sizeBytes += chunk.length;
          requestBytes += chunk.length;
          if (staged.sizeBytes > limits.maxFileBytes.allowed) {
            return done(
              new ApiError(
                413,
                'limit_exceeded',
                `file '${filename}' is larger than ${limits.maxFileBytes.limit} (${limits.maxFileBytes.allowed} bytes)`,
                {
                  limit: limits.maxFileBytes.limit,
                  allowed: limits.maxFileBytes.allowed,
                  actual: staged.sizeBytes,
                  actual_is_at_least: true,
                  filename,
                },
              ),
            );
          }
          if (requestBytes > limits.maxRequestBytes.allowed) {
            return done(
              new ApiError(
                413,
                'limit_exceeded',
                `the files of this request together are larger than ${limits.maxRequestBytes.limit} (${limits.maxRequestBytes.allowed} bytes)`,
                {
                  limit: limits.maxRequestBytes.limit,
                  allowed: limits.maxRequestBytes.allowed,
                  actual: requestBytes,
                  actual_is_at_least: true,
                  filename,
                },
              ),
            );
          }
          hash.update(chunk);
          done(null, chunk);
        },
      });
      inFlight.add(stream).add(counter);
      // The counter's output goes to staging; a limit broken in the counter fails both sides.
      const stored = staging.write(staged.stagedKey, counter);
      const counted = pipeline(stream, counter);
      const written = Promise.allSettled([counted, stored]).then(([countedResult, storedResult]) => {
        inFlight.delete(stream);
        inFlight.delete(counter);
        if (countedResult.status === 'fulfilled' && storedResult.status === 'fulfilled') {
          staged.sha256 = hash.digest('hex');
          return;
        }
        const errors = [countedResult, storedResult].flatMap((result) =>
          result.status === 'rejected' ? [result.reason as Error] : [],
        );
        const refusal = errors.find((error) => error instanceof ApiError);
        const unavailable = errors.find((error) => error instanceof StorageUnavailableError);
        if (refusal) fail(refusal);
        else if (unavailable) fail(storageUnavailable(unavailable));
        else fail(new Error(`staging '${filename}' failed: ${errors[0].message}`));
      });
      writes.push(written);
    });

    parser.on('field', (name, value, info) => {
      if (failed) return;
      if (name === limits.fileField) {
        return fail(
          new ApiError(400, 'invalid_multipart', `the field '${name}' must be a file part with a filename`, {
            field: name,
          }),
        );
      }
      if (!limits.textFields.includes(name)) {
        return fail(
          new ApiError(
            400,
            'unexpected_field',
            `unknown form field '${name}'; known: ${[limits.fileField, ...limits.textFields].join(', ')}`,
            { field: name },
          ),
        );
      }
      if (info.valueTruncated)
        return fail(
          new ApiError(400, 'invalid_multipart', `form field '${name}' is longer than ${MAX_TEXT_FIELD_BYTES} bytes`, {
            field: name,
          }),
        );
      fields[name] = value;
    });

    parser.on('fieldsLimit', () => fail(new ApiError(400, 'invalid_multipart', 'too many form fields')));
    parser.on('error', (error: Error) =>
      fail(new ApiError(400, 'invalid_multipart', `malformed multipart request: ${error.message}`)),
    );
    parser.on('close', () => {
      void Promise.all(writes).then(() => {
        if (failed) return;
        if (files.length === 0) {
          return fail(
            new ApiError(
              400,
              'no_files',
              `no file in the request; send the file(s) in the field '${limits.fileField}'`,
            ),
          );
        }
        resolve({ fields, files });
      });
    });
    req.on('close', () => {
      if (!req.complete)
        fail(new ApiError(400, 'request_aborted', 'the client stopped sending before the request was complete'));
    });
    req.pipe(parser);
  });
}

/** The answer when the store refused or could not be reached: nothing of the request was kept. */
export function storageUnavailable(error: Error): ApiError {
  return new ApiError(
    503,
    'storage_unavailable',
    `document storage is unavailable, nothing was stored: ${error.message}`,
  );
}
