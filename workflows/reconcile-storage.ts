import { proxyActivities, setWorkflowOptions } from '@temporalio/workflow';
import type { StorageReconciliationActivities } from '../activities/storage-reconciliation.ts';

const { removeExpiredStagedFiles, findStorageMismatches } = proxyActivities<StorageReconciliationActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

export interface ReconcileStorageInput {
  /** Remove files without rows and mark rows without files as failed. */
  repair: boolean;
}

export interface ReconcileStorageResult {
  expired_staged_files_removed: number;
  files_without_rows: number;
  rows_without_files: number;
  examples: { files_without_rows: string[]; rows_without_files: { document_id: string; storage_key: string }[] };
  repaired: boolean;
}

/** Keeps storage and the documents table telling the same story. Run by a Schedule. */
export async function reconcileStorage(
  input: ReconcileStorageInput = { repair: false },
): Promise<ReconcileStorageResult> {
  const expired = await removeExpiredStagedFiles();
  const mismatches = await findStorageMismatches({ repair: input.repair });
  return {
    expired_staged_files_removed: expired,
    files_without_rows: mismatches.filesWithoutRowsCount,
    rows_without_files: mismatches.rowsWithoutFilesCount,
    examples: { files_without_rows: mismatches.filesWithoutRows, rows_without_files: mismatches.rowsWithoutFiles },
    repaired: mismatches.repaired,
  };
}

// Short: it finishes on the build that started it (Worker Versioning).
setWorkflowOptions({ versioningBehavior: 'PINNED' }, reconcileStorage);
