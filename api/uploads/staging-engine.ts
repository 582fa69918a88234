import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { StorageUnavailableError, type StagingArea } from '../../storage/document-storage.ts';
import { ApiError } from '../errors.ts';
import { sanitizeFilename } from './sanitize-filename.ts';
import { HEAD_BYTES, judgeHead, type HeadVerdict } from './sniff.ts';

/** One file part of a request, written to staging and hashed on the way. */
export interface StagedFile {
  /** Position in the request, from 0. */
  index: number;
  /** The name as the client sent it, without directory parts (never trusted, never used for paths). */
  rawFilename: string;
  /** The name kept for display. */
  filename: string;
  /** Where the bytes are staged (a path on local disk, an object key in a bucket). */
  stagedKey: string;
  sizeBytes: number;
  sha256: string;
  /** What the first 64 KiB said about the type the name gives, judged as they streamed past (none for an empty or nameless file). */
  head?: HeadVerdict;
}

/** A limit as errors name it: the config key (or route rule) and its value. */
export interface NamedLimit {
  limit: string;
  allowed: number;
}

export interface MultipartLimits {
  /** The form field file parts must use (`file` or `files`). */
  fileField: string;
  /** Other form fields the route understands. */
  textFields: readonly string[];
  maxFiles: NamedLimit;
  maxFileBytes: NamedLimit;
  maxRequestBytes: NamedLimit;
}

/**
 * What the engine knows of one request: the files it staged (in order), the
 * bytes of all of them so far, and the first failure. A failure stops every
 * file still streaming; the caller removes every staged file once the work
 * in flight has settled.
 */
export class UploadReceipt {
  readonly files: StagedFile[] = [];
  requestBytes = 0;
  failure: Error | undefined;
  private readonly streaming = new Set<Transform>();
  private readonly work = new Set<Promise<unknown>>();

  /** Records the first failure and stops the files still streaming; later ones are ignored. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const counter of this.streaming) counter.destroy(error);
  }

  /** Resolves once every write and removal this request started has settled, including ones started meanwhile. */
  async settled(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  track<T>(promise: Promise<T>): Promise<T> {
    this.work.add(promise);
    const forget = () => this.work.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  startStreaming(counter: Transform): void {
    this.streaming.add(counter);
  }

  stopStreaming(counter: Transform): void {
    this.streaming.delete(counter);
  }
}

/** The file multer hands back once a part is stored: its own fields and ours (see StagedFile). */
export type MulterStagedFile = Express.Multer.File & StagedFile;

/**
 * A multer storage engine that streams each file part straight into the
 * staging area (a local folder or the bucket's `staging/` prefix) while it
 * counts the bytes, hashes them (sha256) and keeps the first 64 KiB to judge
 * the type; memory stays flat whatever the sizes. The per-file and
 * per-request byte limits are checked on every chunk: the first one broken
 * fails the request's receipt, which stops every file still streaming.
 * Whatever fails, the staged object of the failing file is left for the
 * caller, who removes every staged file of the request (multer also asks,
 * through `_removeFile`, for the ones it saw completed).
 */
export class StagingEngine implements StorageEngine {
  private readonly receipts = new WeakMap<Request, UploadReceipt>();

  constructor(
    private readonly staging: StagingArea,
    private readonly limits: MultipartLimits,
  ) {}

  /** A fresh receipt for a request about to be parsed. */
  begin(req: Request): UploadReceipt {
    const receipt = new UploadReceipt();
    this.receipts.set(req, receipt);
    return receipt;
  }

  receiptOf(req: Request): UploadReceipt {
    const receipt = this.receipts.get(req);
    if (!receipt) throw new Error('StagingEngine: the request has no receipt (begin() was not called)');
    return receipt;
  }

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: Error | null, info?: object) => void): void {
    const receipt = this.receiptOf(req);
    // Once the request has failed nothing more is staged; the part is left unread and multer stops reading.
    if (receipt.failure) return callback(receipt.failure);
    const rawFilename = baseName(utf8FileName(file.originalname));
    const staged: StagedFile = {
      index: receipt.files.length,
      rawFilename,
      filename: sanitizeFilename(rawFilename),
      stagedKey: this.staging.newKey(),
      sizeBytes: 0,
      sha256: '',
    };
    receipt.files.push(staged);

    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let headBytes = 0;
    const overLimit = (): ApiError | undefined => this.overLimit(staged, receipt);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        staged.sizeBytes += chunk.length;
        receipt.requestBytes += chunk.length;
        const refusal = overLimit();
        if (refusal) {
          receipt.fail(refusal);
          return done(refusal);
        }
        hash.update(chunk);
        if (headBytes < HEAD_BYTES) {
          const piece = Buffer.from(chunk.subarray(0, HEAD_BYTES - headBytes));
          head.push(piece);
          headBytes += piece.length;
        }
        done(null, chunk);
      },
    });
    receipt.startStreaming(counter);
    // Not pipeline(): that would destroy multer's part stream on a refusal, and multer counts a
    // destroyed part as a write of its own that ended. Unpiped, the part waits until multer stops reading.
    file.stream.on('error', (error: Error) => counter.destroy(malformed(error)));
    file.stream.pipe(counter);

    const stored = receipt.track(
      this.staging
        .write(staged.stagedKey, counter)
        .then(async () => {
          staged.sha256 = hash.digest('hex');
          if (staged.filename !== '' && staged.sizeBytes > 0)
            staged.head = await judgeHead(Buffer.concat(head), staged.filename);
          head.length = 0;
        })
        .catch((error: Error) => {
          throw explain(error, staged.filename);
        })
        .finally(() => receipt.stopStreaming(counter)),
    );
    stored.then(
      () => callback(null, { ...staged, size: staged.sizeBytes }),
      (error: Error) => {
        receipt.fail(error);
        callback(receipt.failure);
      },
    );
  }

  _removeFile(req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    const { stagedKey } = file as Partial<MulterStagedFile>;
    if (!stagedKey) return callback(null);
    const removed = this.staging.remove(stagedKey);
    this.receipts.get(req)?.track(removed);
    removed.then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }

  /** The 413 for the first byte limit this chunk broke: the file's size, or all files of the request together. */
  private overLimit(staged: StagedFile, receipt: UploadReceipt): ApiError | undefined {
    const { maxFileBytes, maxRequestBytes } = this.limits;
    if (staged.sizeBytes > maxFileBytes.allowed) return fileTooLarge(maxFileBytes, staged.filename, staged.sizeBytes);
    if (receipt.requestBytes > maxRequestBytes.allowed) {
      return new ApiError(
        413,
        'limit_exceeded',
        `the files of this request together are larger than ${maxRequestBytes.limit} (${maxRequestBytes.allowed} bytes)`,
        {
          limit: maxRequestBytes.limit,
          allowed: maxRequestBytes.allowed,
          actual: receipt.requestBytes,
          actual_is_at_least: true,
          filename: staged.filename,
        },
      );
    }
    return undefined;
  }
}

/** 413 for one file over max_file_size_mb, naming the file. */
export function fileTooLarge(maxFileBytes: NamedLimit, filename: string, actual: number): ApiError {
  return new ApiError(
    413,
    'limit_exceeded',
    `file '${filename}' is larger than ${maxFileBytes.limit} (${maxFileBytes.allowed} bytes)`,
    {
      limit: maxFileBytes.limit,
      allowed: maxFileBytes.allowed,
      actual,
      actual_is_at_least: true,
      filename,
    },
  );
}

/** 400 for a body busboy could not parse (multer passes its errors on as they are). */
export function malformed(error: Error): ApiError {
  return error instanceof ApiError
    ? error
    : new ApiError(400, 'invalid_multipart', `malformed multipart request: ${error.message}`);
}

/** The answer when the store refused or could not be reached: nothing of the request was kept. */
export function storageUnavailable(error: Error): ApiError {
  return new ApiError(
    503,
    'storage_unavailable',
    `document storage is unavailable, nothing was stored: ${error.message}`,
  );
}

/** A failed staging write as the client is told: our refusal as it is, the store's failure as a 503. */
function explain(error: Error, filename: string): Error {
  if (error instanceof ApiError) return error;
  if (error instanceof StorageUnavailableError) return storageUnavailable(error);
  return new Error(`staging '${filename}' failed: ${error.message}`);
}

/**
 * The name after its last slash or backslash, as busboy gives it when it
 * strips paths itself ('.' and '..' leave no name). multer runs with
 * `preservePath` so that a name of only path parts still reaches us (and is
 * refused as `invalid_filename`) instead of being dropped as nameless.
 */
export function baseName(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  return base === '.' || base === '..' ? '' : base;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * multer 2.0.2 creates busboy without `defParamCharset`, so a plain
 * `filename="…"` (what browsers, curl and Python clients send, in UTF-8)
 * arrives decoded as latin1. Such a name is decoded again as UTF-8 when its
 * bytes are valid UTF-8; a name sent as `filename*=utf-8''…` was decoded
 * right and is kept (its latin1 bytes are not valid UTF-8, or it holds
 * characters beyond latin1).
 */
export function utf8FileName(name: string): string {
  if (!/[\u0080-\u00ff]/.test(name) || /[^\u0000-\u00ff]/.test(name)) return name;
  try {
    return strictUtf8.decode(Buffer.from(name, 'latin1'));
  } catch {
    return name;
  }
}
