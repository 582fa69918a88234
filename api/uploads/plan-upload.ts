import { randomUUID } from 'node:crypto';
import type { FileVerdict } from './check-staged-files.ts';
import type { StagedFile } from './staging-engine.ts';
import type { DuplicateReason, RefusalReason } from './refusal-reasons.ts';

export type UploadOutcome = 'stored' | 'duplicate' | 'rejected';

/** What happens to one file of a request; `stored` items carry the row to insert. */
export interface PlannedFile {
  file: StagedFile;
  outcome: UploadOutcome;
  document_id?: string;
  reason?: RefusalReason | DuplicateReason;
  message?: string;
  /** Only for `stored`: where the file goes and what its row says. */
  row?: { storage_key: string; mime_type: string };
}

export interface UploadPlan {
  files: PlannedFile[];
  /** atomic=true and some file was refused: nothing may be stored. */
  refused: boolean;
}

/**
 * Decides each file's outcome from its verdict and the collection's existing
 * hashes: refused files are rejected, bytes already in the collection or
 * earlier in the request are duplicates pointing at that document, the rest
 * are stored under fresh ids. With atomic=true one refusal refuses them all.
 */
export function planUpload(
  collectionId: string,
  verdicts: FileVerdict[],
  existingIdByHash: Map<string, string>,
  atomic: boolean,
): UploadPlan {
  const firstInRequest = new Map<string, PlannedFile>();
  const files = verdicts.map((verdict): PlannedFile => {
    const { file } = verdict;
    if (!verdict.ok) return { file, outcome: 'rejected', reason: verdict.reason, message: verdict.message };
    const existingId = existingIdByHash.get(file.sha256);
    if (existingId) {
      return {
        file,
        outcome: 'duplicate',
        document_id: existingId,
        reason: 'duplicate_in_collection',
        message: `the same bytes are already in the collection as document ${existingId}`,
      };
    }
    const first = firstInRequest.get(file.sha256);
    if (first) {
      return {
        file,
        outcome: 'duplicate',
        document_id: first.document_id,
        reason: 'duplicate_in_request',
        message: `the same bytes as '${first.file.filename}' earlier in this request`,
      };
    }
    const id = randomUUID();
    const stored: PlannedFile = {
      file,
      outcome: 'stored',
      document_id: id,
      row: { storage_key: `${collectionId}/${id}.${verdict.type.extension}`, mime_type: verdict.type.mime },
    };
    firstInRequest.set(file.sha256, stored);
    return stored;
  });

  const refused = atomic && files.some((planned) => planned.outcome === 'rejected');
  if (!refused) return { files, refused };
  return {
    refused,
    files: files.map((planned) =>
      planned.outcome === 'rejected' || planned.reason === 'duplicate_in_collection'
        ? planned
        : {
            file: planned.file,
            outcome: 'rejected',
            reason: 'batch_refused',
            message: 'not stored: atomic=true and another file of this request was refused',
          },
    ),
  };
}

/** The per-file answer, without internals. */
export function fileResult(planned: PlannedFile) {
  return {
    filename: planned.file.filename || planned.file.rawFilename.slice(0, 100),
    outcome: planned.outcome,
    size_bytes: planned.file.sizeBytes,
    sha256: planned.file.sha256 || null,
    ...(planned.document_id ? { document_id: planned.document_id } : {}),
    ...(planned.reason ? { reason: planned.reason } : {}),
    ...(planned.message ? { message: planned.message } : {}),
  };
}

/** Summaries are counted from the items, never kept on the side. */
export function countOutcomes(files: { outcome: UploadOutcome }[]) {
  const count = (outcome: UploadOutcome) => files.filter((file) => file.outcome === outcome).length;
  return { total: files.length, stored: count('stored'), duplicate: count('duplicate'), rejected: count('rejected') };
}
