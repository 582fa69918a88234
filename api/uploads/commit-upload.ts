import type { Sql } from '../../db/pool.ts';
import { findDocumentIdsByHash, insertDocuments } from '../../db/queries/documents.ts';
import type { DocumentStorage } from '../../storage/document-storage.ts';
import type { PlannedFile } from './plan-upload.ts';

/**
 * Points inside a commit where tests inject failures. Production passes none;
 * the hooks exist so a test can prove a failure at any step leaves nothing.
 */
export interface CommitHooks {
  afterRowsInserted?(): Promise<void> | void;
  beforeMove?(planned: PlannedFile, movedSoFar: number): Promise<void> | void;
}

export interface CommitDeps {
  sql: Sql;
  storage: DocumentStorage;
  commitHooks?: CommitHooks;
}

/**
 * Stores a plan's `stored` files: one transaction inserts every row, then,
 * still inside it, each staged file moves into storage. Any failure rolls the
 * rows back and removes every file already moved; the caller removes what is
 * still staged. A hash committed meanwhile by another request turns that file
 * into a duplicate instead of failing the batch. Returns the final plan.
 */
export async function commitUpload(
  deps: CommitDeps,
  collectionId: string,
  plan: PlannedFile[],
): Promise<PlannedFile[]> {
  const toStore = plan.filter((planned) => planned.outcome === 'stored');
  if (toStore.length === 0) return plan;
  const hooks = deps.commitHooks ?? {};
  const movedKeys: string[] = [];
  try {
    return await deps.sql.begin(async (tx) => {
      const insertedIds = await insertDocuments(
        tx,
        toStore.map((planned) => ({
          id: planned.document_id!,
          collection_id: collectionId,
          original_filename: planned.file.filename,
          storage_key: planned.row!.storage_key,
          mime_type: planned.row!.mime_type,
          size_bytes: planned.file.sizeBytes,
          content_hash: planned.file.sha256,
        })),
      );
      const final = await resolveRaces(tx, collectionId, plan, insertedIds);
      await hooks.afterRowsInserted?.();
      for (const planned of final) {
        if (planned.outcome !== 'stored') continue;
        await hooks.beforeMove?.(planned, movedKeys.length);
        await deps.storage.putFromStaging(planned.file.stagedKey, planned.row!.storage_key);
        movedKeys.push(planned.row!.storage_key);
      }
      return final;
    });
  } catch (error) {
    await Promise.allSettled(movedKeys.map((key) => deps.storage.remove(key)));
    throw error;
  }
}

/** Files whose row was skipped because the same bytes landed meanwhile become duplicates of that row. */
async function resolveRaces(
  tx: Sql,
  collectionId: string,
  plan: PlannedFile[],
  insertedIds: Set<string>,
): Promise<PlannedFile[]> {
  const lost = plan.filter((planned) => planned.outcome === 'stored' && !insertedIds.has(planned.document_id!));
  if (lost.length === 0) return plan;
  const winnerByHash = await findDocumentIdsByHash(
    tx,
    collectionId,
    lost.map((planned) => planned.file.sha256),
  );
  const lostIds = new Set(lost.map((planned) => planned.document_id));
  return plan.map((planned) => {
    if (!planned.document_id || !lostIds.has(planned.document_id)) return planned;
    const winner = winnerByHash.get(planned.file.sha256)!;
    return {
      file: planned.file,
      outcome: 'duplicate',
      document_id: winner,
      reason: 'duplicate_in_collection',
      message: `the same bytes were stored meanwhile as document ${winner}`,
    };
  });
}
