// The negative control of test/replay/replay.test.ts, bundled only there: a
// copy of workflows/reconcile-storage.ts that no longer removes expired staged
// files before the comparison. Deploying this without patched() would break
// every reconcileStorage run in flight, so its recorded history must refuse to
// replay with a determinism error.
import { proxyActivities } from '@temporalio/workflow';
import type { StorageReconciliationActivities } from '../../../activities/storage-reconciliation.ts';
import type { ReconcileStorageInput, ReconcileStorageResult } from '../../../workflows/reconcile-storage.ts';

const { findStorageMismatches } = proxyActivities<StorageReconciliationActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

export async function reconcileStorage(
  input: ReconcileStorageInput = { repair: false },
): Promise<ReconcileStorageResult> {
  // The one change: `removeExpiredStagedFiles()` is no longer called first.
  const mismatches = await findStorageMismatches({ repair: input.repair });
  return {
    expired_staged_files_removed: 0,
    files_without_rows: mismatches.filesWithoutRowsCount,
    rows_without_files: mismatches.rowsWithoutFilesCount,
    examples: { files_without_rows: mismatches.filesWithoutRows, rows_without_files: mismatches.rowsWithoutFiles },
    repaired: mismatches.repaired,
  };
}
