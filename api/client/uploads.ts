import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { innermostMessage } from '../../common/errors.ts';
import type { UploadLimits, UploadResult } from '../schemas/uploads.ts';
import { ApiClientError, parseEnvelope, type ApiHttp } from './http.ts';
import { MultipartFileStream } from './multipart-file-stream.ts';

export type UploadLimitsJson = z.infer<typeof UploadLimits>;
export type UploadResultJson = z.infer<typeof UploadResult>;

/** `failed`: the request carrying the file failed as a whole; `not_sent`: an earlier failure stopped the batch first. */
export type BatchOutcome = 'stored' | 'duplicate' | 'rejected' | 'failed' | 'not_sent';

export interface BatchFileResult {
  path: string;
  filename: string;
  size_bytes: number;
  outcome: BatchOutcome;
  document_id?: string;
  reason?: string;
  message?: string;
}

export interface UploadProgress {
  filesDone: number;
  filesTotal: number;
  bytesSent: number;
  bytesTotal: number;
}

export interface ProcessingFlags {
  build_graph?: boolean;
  extract_metadata?: boolean;
  generate_embeddings?: boolean;
}

export interface UploadBatchOptions {
  /** Files in flight at once (= open handles at most); default the server's max_concurrent_uploads. */
  concurrency?: number;
  /** Per request: true refuses a request with any bad file. Default false (store the good ones). */
  atomic?: boolean;
  /** Start analysis of what was stored; sent with the last request, once all others are done. */
  process?: false | ProcessingFlags;
  /** After the first failure no further request starts; the rest are `not_sent`. */
  stopOnFailure?: boolean;
  onProgress?(progress: UploadProgress): void;
  onFileResult?(result: BatchFileResult, progress: UploadProgress): void;
}

export interface BatchUploadResult {
  files: BatchFileResult[];
  counts: Record<BatchOutcome, number> & { total: number };
  task_id: string | null;
  processing: { requested: boolean; started: boolean; reason?: string };
}

/** Local paths that cannot be uploaded, all of them, found before anything was sent. */
export class LocalFilesError extends Error {
  constructor(readonly problems: { path: string; problem: string }[]) {
    super(
      `${problems.length} file(s) cannot be uploaded, nothing was sent:\n${problems.map((p) => `  ${p.path}: ${p.problem}`).join('\n')}`,
    );
    this.name = 'LocalFilesError';
  }
}

const OUTCOMES: BatchOutcome[] = ['stored', 'duplicate', 'rejected', 'failed', 'not_sent'];

export function countBatchOutcomes(files: { outcome: BatchOutcome }[]) {
  const counts = { total: files.length } as BatchUploadResult['counts'];
  for (const outcome of OUTCOMES) counts[outcome] = files.filter((file) => file.outcome === outcome).length;
  return counts;
}

/** Every path must be a readable regular file; checked with stat/access, no handle opened. */
export async function checkLocalFiles(paths: string[]): Promise<{ path: string; size: number }[]> {
  const problems: { path: string; problem: string }[] = [];
  const files: { path: string; size: number }[] = [];
  for (const filePath of paths) {
    try {
      const info = await stat(filePath);
      if (!info.isFile()) {
        problems.push({ path: filePath, problem: 'not a regular file' });
        continue;
      }
      await access(filePath, constants.R_OK).then(
        () => files.push({ path: filePath, size: info.size }),
        () => problems.push({ path: filePath, problem: 'not readable' }),
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push({
        path: filePath,
        problem: code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`,
      });
    }
  }
  if (problems.length > 0) throw new LocalFilesError(problems);
  return files;
}

/**
 * Groups files into requests within the server's limits (count and bytes),
 * and small enough that `concurrency` requests share the work.
 */
export function planRequests<T extends { size: number }>(
  files: T[],
  limits: UploadLimitsJson,
  concurrency: number,
): T[][] {
  const perRequest = Math.max(1, Math.min(limits.max_upload_batch_size, Math.ceil(files.length / concurrency)));
  const requests: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const file of files) {
    if (current.length > 0 && (current.length >= perRequest || bytes + file.size > limits.max_upload_request_bytes)) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

export function uploadsApi(http: ApiHttp) {
  const limits = () => http.request<UploadLimitsJson>('GET', '/uploads/limits');

  /** Sends one request's files; answers per file, turning a whole-request failure into `failed` for each. */
  async function sendRequest(
    collection: string,
    files: { path: string; size: number }[],
    fields: Record<string, string>,
    onBytes: (bytes: number) => void,
  ): Promise<{ results: BatchFileResult[]; data?: UploadResultJson }> {
    const named = files.map((file) => ({ ...file, filename: path.basename(file.path) }));
    const body = new MultipartFileStream('files', named, fields, (_file, bytes) => onBytes(bytes));
    const base = (file: (typeof named)[number]) => ({
      path: file.path,
      filename: file.filename,
      size_bytes: file.size,
    });
    try {
      const response = await fetch(`${http.baseUrl}/collections/${encodeURIComponent(collection)}/upload-and-process`, {
        method: 'POST',
        headers: http.headers({ 'content-type': body.contentType }),
        body: body.stream,
        duplex: 'half',
      } as RequestInit);
      const data = await parseEnvelope<UploadResultJson>(response);
      return { data, results: named.map((file, i) => ({ ...base(file), ...perFile(data.files[i]) })) };
    } catch (error) {
      const refusal =
        error instanceof ApiClientError && error.code === 'upload_rejected'
          ? (error.details as { files?: UploadResultJson['files'] })
          : undefined;
      if (refusal?.files)
        return { results: named.map((file, i) => ({ ...base(file), ...perFile(refusal.files![i]) })) };
      const reason = error instanceof ApiClientError ? error.code : 'request_failed';
      const message =
        error instanceof ApiClientError || !(error instanceof Error)
          ? String((error as Error).message)
          : `request failed: ${innermostMessage(error)}`;
      return { results: named.map((file) => ({ ...base(file), outcome: 'failed', reason, message })) };
    } finally {
      await body.close();
    }
  }

  /**
   * Uploads many files: checks every path first (nothing is sent if any is
   * missing), splits them into requests within the server's limits, and runs
   * up to `concurrency` requests at once, each streaming one file at a time.
   */
  async function uploadDocumentsBatch(
    collection: string,
    paths: string[],
    options: UploadBatchOptions = {},
  ): Promise<BatchUploadResult> {
    const local = await checkLocalFiles(paths);
    const serverLimits = await limits();
    const concurrency = Math.max(1, options.concurrency ?? serverLimits.max_concurrent_uploads);
    const progress: UploadProgress = {
      filesDone: 0,
      filesTotal: local.length,
      bytesSent: 0,
      bytesTotal: local.reduce((sum, file) => sum + file.size, 0),
    };
    const results = new Map<string, BatchFileResult>();
    let failed = false;
    const settle = (result: BatchFileResult) => {
      results.set(result.path, result);
      progress.filesDone += 1;
      if (result.outcome === 'rejected' || result.outcome === 'failed') failed = true;
      options.onFileResult?.(result, { ...progress });
      options.onProgress?.({ ...progress });
    };

    // Too large for the server: refused here, so the rest of its request is not refused with it.
    const sendable = local.filter((file) => {
      if (file.size <= serverLimits.max_file_size_bytes) return true;
      settle({
        path: file.path,
        filename: path.basename(file.path),
        size_bytes: file.size,
        outcome: 'rejected',
        reason: 'file_too_large',
        message: `larger than the server's limit of ${serverLimits.max_file_size_bytes} bytes; not sent`,
      });
      return false;
    });
    const requests = planRequests(sendable, serverLimits, concurrency);
    const processLast = options.process ? requests.pop() : undefined;
    const fields = (process: boolean): Record<string, string> => ({
      atomic: String(options.atomic ?? false),
      process_immediately: String(process),
      ...(process && options.process
        ? Object.fromEntries(Object.entries(options.process).map(([key, value]) => [key, String(value)]))
        : {}),
    });
    const notSent = (files: { path: string; size: number }[]) => {
      for (const file of files)
        settle({
          path: file.path,
          filename: path.basename(file.path),
          size_bytes: file.size,
          outcome: 'not_sent',
          reason: 'stopped',
          message: 'not sent: an earlier file failed',
        });
    };
    const run = async (files: { path: string; size: number }[], process: boolean) => {
      if (failed && options.stopOnFailure) {
        notSent(files);
        return { data: undefined };
      }
      const { results: answered, data } = await sendRequest(collection, files, fields(process), (bytes) => {
        progress.bytesSent += bytes;
        options.onProgress?.({ ...progress });
      });
      for (const result of answered) settle(result);
      return { data };
    };

    let next = 0;
    const workers = Array.from({ length: Math.min(concurrency, requests.length) }, async () => {
      while (next < requests.length) await run(requests[next++], false);
    });
    await Promise.all(workers);
    let processing: BatchUploadResult['processing'] = { requested: Boolean(options.process), started: false };
    let taskId: string | null = null;
    if (processLast) {
      const { data } = await run(processLast, true);
      if (data) {
        processing = data.processing;
        taskId = data.task_id;
      } else {
        processing = {
          requested: true,
          started: false,
          reason: 'the request that starts processing was not sent or failed',
        };
      }
    }
    const files = local.map((file) => results.get(file.path)!);
    return { files, counts: countBatchOutcomes(files), task_id: taskId, processing };
  }

  async function uploadDocument(
    collection: string,
    filePath: string,
    options: Omit<UploadBatchOptions, 'concurrency' | 'stopOnFailure'> = {},
  ) {
    return uploadDocumentsBatch(collection, [filePath], { ...options, concurrency: 1, atomic: true });
  }

  return { limits, uploadDocumentsBatch, uploadDocument };
}

function perFile(
  file: UploadResultJson['files'][number] | undefined,
): Pick<BatchFileResult, 'outcome' | 'document_id' | 'reason' | 'message'> {
  if (!file) return { outcome: 'failed', reason: 'bad_response', message: 'the server did not answer for this file' };
  return { outcome: file.outcome, document_id: file.document_id, reason: file.reason, message: file.message };
}
