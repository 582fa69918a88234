// P6: fair shares of the document slots. A 2,000-document collection starts
// (the quick run: 400, or more: sized from the pace, bench/support/fair-shares.ts), 5 s later a 20-document one
// (then two more, one after the other, for a median of three); figure: how long a small one takes
// against its time alone (median of three), with fairness on (the collection id
// as fairness key) and off (the document queue in FIFO order). Goal ≤ 2 with
// fairness on. Both are started as single-collection analyses (the same
// priority), so the figure is fairness alone; a third run starts the large one
// as a batch (bulk priority) to show what priority adds.
//
// The setting that makes the two compete for the same slots: every document
// is a unit of its own (group_max_documents 1: one activity each, no child
// workflow), a collection keeps up to 40 units in flight (max_concurrent_documents)
// while the worker has 4 document slots (max_concurrent_activities): the
// large collection always has a backlog on the document queue, and the small
// one's 20 units land in it. Each mode gets a fresh stack (Temporal, database,
// worker); the large collection is cancelled once the small one has finished.
import { FileIntelClient } from '../api/client/index.ts';
import { corpusFiles, textDocuments } from './corpus.ts';
import { measureFairShares, modeDetail, modeNote, type ModeResult } from './support/fair-shares.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { log, round, startBenchStack } from './support/stack.ts';

const SMALL = 20;
/** Small runs alone and beside the large one; the figure is the ratio of their medians (a shared machine varies). */
const REPEATS = 3;
const HEAD_START_MS = 5_000;
const COMPETING_CONFIG = {
  small_document_mb: 1,
  group_max_documents: 1,
  max_concurrent_documents: 40,
  max_concurrent_activities: 4,
  page_size: 200,
};
/** Documents generated for the large collection (and the small ones after them); the full size, cached. */
const POOL = 2_000;

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const requested = Number(process.env.BENCH_P6_DOCUMENTS ?? (quick ? 400 : 2_000));
  // 8-16 KB of prose each: a unit takes long enough that slots, not round trips, set the pace.
  const pool = Math.max(POOL, requested);
  const files = await corpusFiles(await textDocuments({ count: pool + SMALL, minKb: 8, maxKb: 16, seed: 60_606 }));

  const measure = async (fairness: boolean, largeAs: 'interactive' | 'batch'): Promise<ModeResult> => {
    const stack = await startBenchStack({ config: { ...COMPETING_CONFIG, fairness } });
    try {
      const client = new FileIntelClient({ baseUrl: stack.apiUrl });
      const mode = await measureFairShares(
        { smallApi: client, largeApi: client, temporal: stack.temporal, sql: stack.sql, storage: stack.storage },
        {
          smallFiles: files.slice(pool),
          largePool: files.slice(0, pool),
          requestedLarge: requested,
          repeats: REPEATS,
          headStartMs: HEAD_START_MS,
          // With fairness off the small one's 20 units queue behind the large one's 40 in flight, about 3× (measured
          // 2.3 to 3.8); 6 leaves room, and the backlog outlasts that twice over.
          worstContendedFactor: 6,
          safety: 2,
          inFlight: COMPETING_CONFIG.max_concurrent_documents,
          largeAs,
          sizeVariable: 'BENCH_P6_DOCUMENTS',
        },
      );
      log(`p6 (fairness ${fairness ? 'on' : 'off'}, large as ${largeAs}): ratio of medians ${mode.ratio.toFixed(2)}`);
      return mode;
    } finally {
      await stack.teardown();
    }
  };

  log(`p6: at least ${requested} + ${SMALL} documents; fairness on`);
  const on = await measure(true, 'interactive');
  log('p6: fairness off');
  const off = await measure(false, 'interactive');
  log('p6: fairness on, the large collection as a batch (bulk priority)');
  const bulk = await measure(true, 'batch');

  return {
    figures: {
      p6_ratio_fair: round(on.ratio, 2),
      p6_ratio_unfair: round(off.ratio, 2),
      p6_ratio_fair_large_as_batch: round(bulk.ratio, 2),
    },
    details: {
      large_documents_requested: requested,
      large_documents: [on.large, off.large, bulk.large],
      small_documents: SMALL,
      head_start_ms: HEAD_START_MS,
      config: COMPETING_CONFIG,
      fairness_on: modeDetail(on),
      fairness_off: modeDetail(off),
      large_as_batch: modeDetail(bulk),
    },
    notes: [
      modeNote('fairness on (both interactive)', SMALL, on),
      modeNote('fairness off (both interactive)', SMALL, off),
      modeNote('fairness on, large as a batch (priority 4 against 2)', SMALL, bulk),
      `setting: ${JSON.stringify(COMPETING_CONFIG)}: ` +
        'one activity per document, 40 in flight per collection, 4 document slots',
    ],
  };
}
