import { clearUploadFailure, findDocumentIdsByHash, markUploadFailed } from '../../db/queries/documents.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { StorageUnavailableError } from '../../storage/document-storage.ts';
import { checkStagedFiles, type FileVerdict } from './check-staged-files.ts';
import { archiveLimitsOf } from '../../common/archive-limits.ts';
import { commitUpload, type CommitHooks } from './commit-upload.ts';
import { countOutcomes, fileResult, planUpload } from './plan-upload.ts';
import { storageUnavailable } from './staging-engine.ts';
import { startAnalysisForUpload, type AnalysisStart } from './start-analysis.ts';
import type { uploadLocals } from './upload-middleware.ts';
import type { z } from 'zod';
import type { BatchUploadForm } from '../schemas/uploads.ts';

/** A batch upload form as receiveAndStore's request: the analysis options only when process_immediately. */
export function batchUploadRequest({ process_immediately, atomic, ...options }: z.output<typeof BatchUploadForm>) {
  return { atomic, process: process_immediately ? options : undefined };
}

/**
 * A ZIP-based file whose table of contents declares more than the archive
 * limits refuses the whole request with a 413 naming the limit and the
 * value, as a file over max_file_size_mb does: nothing is stored.
 */
function refuseArchiveBombs(verdicts: FileVerdict[]): void {
  for (const verdict of verdicts) {
    if (verdict.ok || !verdict.breach) continue;
    const { limit, allowed, actual } = verdict.breach;
    throw new ApiError(
      413,
      'limit_exceeded',
      `file '${verdict.file.filename}' ${verdict.message}; nothing was stored`,
      {
        limit,
        allowed,
        actual,
        filename: verdict.file.filename,
        reason: verdict.reason,
      },
    );
  }
}

/** Checks, deduplicates and commits the staged files of one request; answers per file. */
export async function receiveAndStore(
  deps: ApiDeps & { commitHooks?: CommitHooks },
  { collection, upload }: ReturnType<typeof uploadLocals>,
  request: {
    atomic: boolean;
    process?: { build_graph: boolean; extract_metadata: boolean; generate_embeddings: boolean };
  },
) {
  const verdicts = await checkStagedFiles(deps.staging, upload.files, archiveLimitsOf(deps.config)).catch(
    (error: Error) => {
      throw error instanceof StorageUnavailableError ? storageUnavailable(error) : error;
    },
  );
  refuseArchiveBombs(verdicts);
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
    await markUploadFailed(
      deps.sql,
      collection.id,
      `${stored} file(s) not stored, nothing kept: ${(error as Error).message}`,
    ).catch(() => {});
    throw error instanceof StorageUnavailableError ? storageUnavailable(error) : error;
  }

  const files = committed.map(fileResult);
  const counts = countOutcomes(files);
  if (counts.stored > 0) await clearUploadFailure(deps.sql, collection.id);

  let analysis: AnalysisStart = { task_id: null, started: false };
  if (request.process) {
    const storedIds = committed
      .filter((planned) => planned.outcome === 'stored')
      .map((planned) => planned.document_id!);
    analysis = await startAnalysisForUpload(deps, collection.id, storedIds, request.process);
  }
  return {
    collection_id: collection.id,
    atomic: request.atomic,
    files,
    counts,
    task_id: analysis.task_id,
    processing: {
      requested: request.process !== undefined,
      started: analysis.started,
      ...(analysis.reason ? { reason: analysis.reason } : {}),
    },
  };
}
