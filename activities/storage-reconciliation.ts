import type { Sql } from '../db/pool.ts';
import { documentStorageKeysAfter, knownStorageKeys, markFilesMissing } from '../db/queries/documents.ts';
import type { DocumentStorage, StagingArea } from '../storage/document-storage.ts';

export interface StorageReconciliationDeps {
  sql: Sql;
  storage: DocumentStorage;
  staging: StagingArea;
  stagingTtlMs: number;
}

export interface StorageMismatchReport {
  /** Files in storage that no document row names. */
  filesWithoutRows: string[];
  /** Documents whose file is missing from storage: `{document_id, storage_key}`. */
  rowsWithoutFiles: { document_id: string; storage_key: string }[];
  /** True when the mismatches above were repaired (files removed, rows marked failed). */
  repaired: boolean;
}

/** Lists are capped so a report never floods workflow history; counts stay exact. */
const REPORT_LIST_CAP = 100;
const KEY_LOOKUP_BATCH = 500;
/** A file younger than this may belong to an upload still committing. */
const ORPHAN_GRACE_MS = 10 * 60_000;

export function createStorageReconciliationActivities(deps: StorageReconciliationDeps) {
  const { sql, storage, staging } = deps;

  return {
    async removeExpiredStagedFiles(): Promise<number> {
      return staging.removeOlderThan(deps.stagingTtlMs);
    },

    async findStorageMismatches(input: {
      repair: boolean;
    }): Promise<StorageMismatchReport & { filesWithoutRowsCount: number; rowsWithoutFilesCount: number }> {
      const filesWithoutRows: string[] = [];
      let candidates: string[] = [];
      const flush = async () => {
        if (candidates.length === 0) return;
        const knownKeys = await knownStorageKeys(sql, candidates);
        for (const key of candidates) if (!knownKeys.has(key)) filesWithoutRows.push(key);
        candidates = [];
      };
      const now = Date.now();
      for await (const file of storage.list()) {
        if (now - file.modifiedAt.getTime() < ORPHAN_GRACE_MS) continue;
        candidates.push(file.key);
        if (candidates.length >= KEY_LOOKUP_BATCH) await flush();
      }
      await flush();

      const rowsWithoutFiles: { document_id: string; storage_key: string }[] = [];
      let cursor = '00000000-0000-0000-0000-000000000000';
      for (;;) {
        const page = await documentStorageKeysAfter(sql, cursor, KEY_LOOKUP_BATCH);
        if (page.length === 0) break;
        for (const row of page) {
          if (!(await storage.exists(row.storage_key)))
            rowsWithoutFiles.push({ document_id: row.id, storage_key: row.storage_key });
        }
        cursor = page[page.length - 1].id;
      }

      if (input.repair) {
        for (const key of filesWithoutRows) await storage.remove(key);
        const ids = rowsWithoutFiles.map((row) => row.document_id);
        if (ids.length > 0) await markFilesMissing(sql, ids);
      }
      return {
        filesWithoutRows: filesWithoutRows.slice(0, REPORT_LIST_CAP),
        rowsWithoutFiles: rowsWithoutFiles.slice(0, REPORT_LIST_CAP),
        filesWithoutRowsCount: filesWithoutRows.length,
        rowsWithoutFilesCount: rowsWithoutFiles.length,
        repaired: input.repair,
      };
    },
  };
}

export type StorageReconciliationActivities = ReturnType<typeof createStorageReconciliationActivities>;
