import { outcomeOf } from '../../common/collection-outcome.ts';
import type { Sql } from '../pool.ts';
import { cancelDocumentsInWork, type Transaction } from './document-runs.ts';

/** A collection with work in flight by its rows: `processing`, or documents `queued` or `processing`. */
export interface CollectionInWork {
  id: string;
  status: string;
  analysis_run: number;
  /** The row's version (updated_at as text, to the microsecond): the sweep acts only if nothing moved since it looked. */
  version: string;
}

/** Collections whose rows say work is in flight; the sweeper asks Temporal whether anything runs for them. */
export async function collectionsInWork(sql: Sql): Promise<CollectionInWork[]> {
  return sql<CollectionInWork[]>`
    SELECT id, status, analysis_run, updated_at::text AS version FROM collections c
    WHERE status = 'processing'
       OR EXISTS (SELECT 1 FROM documents d WHERE d.collection_id = c.id AND d.status IN ('queued', 'processing'))
    ORDER BY updated_at`;
}

export interface SettledRun {
  /** False when the collection moved on since it was looked at (a run began, the key moved): nothing was written. */
  settled: boolean;
  documentsCancelled: number;
  /** The collection's status after the sweep. */
  status: string | null;
}

/**
 * The analysis holding `collection.analysis_run` is closed (or was never
 * started) while rows say work is in flight: its documents still `queued` or
 * `processing` end `cancelled` with `reason`; a collection still `processing`
 * gets a final status (`cancelled` when work was cut short, else the outcome
 * its documents show) with `reason` as its error; the run key moves past a run
 * that closed without moving it. One transaction that locks the collection row
 * first and checks it is unchanged, so a run beginning at the same moment
 * (which writes that row first) is never swept.
 */
export async function settleClosedRun(
  sql: Sql,
  collection: CollectionInWork,
  reason: string,
  options: { advanceRunKey: boolean },
): Promise<SettledRun> {
  return sql.begin(async (tx) => {
    const [unchanged] = await tx`
      SELECT 1 FROM collections
      WHERE id = ${collection.id} AND analysis_run = ${collection.analysis_run} AND updated_at::text = ${collection.version}
      FOR UPDATE`;
    if (!unchanged) return { settled: false, documentsCancelled: 0, status: null };
    const documentsCancelled = await cancelDocumentsInWork(tx, collection.id, reason);
    let status = collection.status;
    if (collection.status === 'processing') {
      status = documentsCancelled > 0 ? 'cancelled' : await outcomeFromRows(tx, collection.id);
      await tx`
        UPDATE collections SET status = ${status}, last_error = ${status === 'completed' ? null : reason.slice(0, 2_000)},
          updated_at = now()
        WHERE id = ${collection.id}`;
    }
    if (options.advanceRunKey)
      await tx`UPDATE collections SET analysis_run = analysis_run + 1 WHERE id = ${collection.id}`;
    return { settled: true, documentsCancelled, status };
  }) as Promise<SettledRun>;
}

/** A run closed after its last document finished: the outcome its documents show, as the run itself would have written it. */
async function outcomeFromRows(tx: Transaction, collectionId: string): Promise<string> {
  const [counts] = await tx<{ processed: number; failed: number }[]>`
    SELECT count(*) FILTER (WHERE status = 'processed')::int AS processed,
           count(*) FILTER (WHERE status IN ('failed', 'cancelled'))::int AS failed
    FROM documents WHERE collection_id = ${collectionId}`;
  return outcomeOf(counts.processed, counts.failed);
}
