// P6: fair shares of the document slots, at a scale where the small
// collection's own work dominates its start-up: 150 documents of 64 to 128 KB
// (10 s or more alone on this machine, quiet) beside a large collection sized from
// that pace (minutes of work; at least BENCH_P6_DOCUMENTS, bench/support/fair-shares.ts).
// The large one starts, 5 s later a small one, then two more one after the
// other; figure: how long a small one takes against its time alone (ratio of
// the medians of three), with fairness on (the collection id as fairness key,
// each run weighted by its size: workflows/fairness-weight.ts) and off (the
// document queue in FIFO order), each on a fresh stack, in the same run. Goal
// ≤ 1.5 with fairness on. Both are started as single-collection analyses (the
// same priority), so the figure is fairness alone; a third mode starts the
// large one as a batch (bulk priority) to show what priority adds. Quick: 40
// documents, a window of 120 (bench/support/fair-shares.ts).
//
// The setting that makes the two compete for the same slots: every document
// is a unit of its own (group_max_documents 1: one activity each, no child
// workflow), a collection keeps up to three small collections' work in flight
// (max_concurrent_documents) while the worker has 4 document slots
// (max_concurrent_activities): with fairness off the large collection keeps
// that backlog ahead of the small one on the document queue (at a window of
// one small collection, off and on could not be told apart here).
import { FileIntelClient } from '../api/client/index.ts';
import { corpusFiles, textDocuments } from './corpus.ts';
import {
  competingConfig,
  FAIR_SHARES_SIZES,
  measureFairShares,
  modeDetail,
  modeNote,
  type ModeResult,
} from './support/fair-shares.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { log, round, startBenchStack } from './support/stack.ts';

/** Small runs alone and beside the large one; the figure is the ratio of their medians (a shared machine varies). */
const REPEATS = 3;
const HEAD_START_MS = 5_000;
export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const size = quick ? FAIR_SHARES_SIZES.quick : FAIR_SHARES_SIZES.full;
  const requested = Number(process.env.BENCH_P6_DOCUMENTS ?? size.requestedLarge);
  const pool = Math.max(size.pool, requested);
  const files = await corpusFiles(
    await textDocuments({ count: pool + size.small, minKb: size.minKb, maxKb: size.maxKb, seed: 60_606 }),
  );
  const setting = competingConfig(size.window);

  const measure = async (fairness: boolean, largeAs: 'interactive' | 'batch'): Promise<ModeResult> => {
    const stack = await startBenchStack({ config: { ...setting, fairness } });
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
          // Fairness off, a small run waits behind the large one's window (3 small collections' work), about 4×
          // alone (3 to 4.7 on the topology); 6 leaves room, and the backlog outlasts that half again.
          worstContendedFactor: 6,
          safety: 1.5,
          inFlight: setting.max_concurrent_documents,
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

  log(`p6: ${size.small} documents of ${size.minKb} to ${size.maxKb} KB beside at least ${requested}; fairness on`);
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
      small_documents: size.small,
      document_kb: [size.minKb, size.maxKb],
      head_start_ms: HEAD_START_MS,
      config: setting,
      fairness_on: modeDetail(on),
      fairness_off: modeDetail(off),
      large_as_batch: modeDetail(bulk),
    },
    notes: [
      modeNote('fairness on (both interactive)', size.small, on),
      modeNote('fairness off (both interactive)', size.small, off),
      modeNote('fairness on, large as a batch (priority 4 against 2)', size.small, bulk),
      `setting: ${JSON.stringify(setting)}: ` +
        `one activity per document, ${size.window} in flight per collection, 4 document slots`,
    ],
  };
}
