// P6 on docker-compose.yml's topology (test/faults/compose-topology.ts): the
// Temporal dev server with the compose file's dynamic config (fairness on in
// the server), PostgreSQL, the S3 store (rclone serve s3), two API processes,
// a worker per task queue. The small collections go through one API, the large
// one through the other; the document work is the documents worker's. Same
// measurement as P6 (bench/support/fair-shares.ts), at a scale where the small
// collection's own time dominates its start-up: 150 documents of 64 to 128 KB
// (10 s or more alone on this machine), beside a large one sized from that pace
// (thousands of documents: minutes of work), with a window in flight of
// three small collections (450 documents). Fairness on (FileIntel sets the
// collection id as fairness key) and off (no key: first come, first served),
// each on a fresh topology, in the same run. Quick: 40 documents, a window of
// 120 (bench/support/fair-shares.ts).
import { FileIntelClient } from '../api/client/index.ts';
import { loadConfig } from '../config/load.ts';
import { migrate } from '../db/migrate.ts';
import { createPool } from '../db/pool.ts';
import { createStorage } from '../storage/index.ts';
import { startComposeTopology, TOPOLOGY_API_KEY } from '../test/faults/compose-topology.ts';
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
import { log, round } from './support/stack.ts';

const REPEATS = 3;
const HEAD_START_MS = 5_000;
export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const size = quick ? FAIR_SHARES_SIZES.quick : FAIR_SHARES_SIZES.full;
  const small = Number(process.env.BENCH_P6_TOPOLOGY_SMALL ?? size.small);
  const pool = Math.max(size.pool, Number(process.env.BENCH_P6_TOPOLOGY_DOCUMENTS ?? 0));
  const files = await corpusFiles(
    await textDocuments({ count: pool + small, minKb: size.minKb, maxKb: size.maxKb, seed: 60_623 }),
  );
  // As P6: one activity per document (no child workflow), 4 document slots on the documents worker.
  const setting = competingConfig(size.window);
  const env = Object.fromEntries(
    Object.entries(setting).map(([key, value]) => [`FILEINTEL_${key.toUpperCase()}`, JSON.stringify(value)]),
  );

  const measure = async (fairness: boolean): Promise<ModeResult> => {
    const topology = await startComposeTopology({ ...env, FILEINTEL_FAIRNESS: String(fairness) });
    const sql = createPool(topology.database.url, { db_pool_size: 4 });
    try {
      await migrate(sql); // done by the processes already; a no-op that makes sure
      const { storage } = await createStorage(loadConfig(topology.appEnv), topology.appEnv);
      const api = (baseUrl: string) => new FileIntelClient({ baseUrl, apiKey: TOPOLOGY_API_KEY });
      const mode = await measureFairShares(
        {
          smallApi: api(topology.apis[0]),
          largeApi: api(topology.apis[1]),
          temporal: topology.temporal.client,
          sql,
          storage,
        },
        {
          smallFiles: files.slice(pool),
          largePool: files.slice(0, pool),
          requestedLarge: size.requestedLarge,
          repeats: REPEATS,
          headStartMs: HEAD_START_MS,
          // Fairness off, a small run waits behind the large one's window (3 small collections' work), about 4×
          // alone; the large one's pace beside it is at most its pace alone: 5, half again, keeps a backlog.
          worstContendedFactor: 5,
          safety: 1.5,
          inFlight: size.window,
          largeAs: 'interactive',
          sizeVariable: 'BENCH_P6_TOPOLOGY_DOCUMENTS',
        },
      );
      log(`p6 topology (fairness ${fairness ? 'on' : 'off'}): ratio of medians ${mode.ratio.toFixed(2)}`);
      return mode;
    } finally {
      await sql.end({ timeout: 5 });
      await topology.stop();
    }
  };

  log(`p6 topology: ${small} documents of ${size.minKb} to ${size.maxKb} KB beside at least ${size.requestedLarge}`);
  log('p6 topology: fairness on');
  const on = await measure(true);
  log('p6 topology: fairness off');
  const off = await measure(false);

  return {
    figures: {
      p6_topology_ratio_fair: round(on.ratio, 2),
      p6_topology_ratio_unfair: round(off.ratio, 2),
    },
    details: {
      small_documents: small,
      document_kb: [size.minKb, size.maxKb],
      head_start_ms: HEAD_START_MS,
      config: setting,
      fairness_on: modeDetail(on),
      fairness_off: modeDetail(off),
    },
    notes: [
      modeNote('fairness on', small, on),
      modeNote('fairness off', small, off),
      'topology: docker-compose.yml as processes (2 APIs, a worker per task queue, the dev server with ' +
        'docker/temporal-dynamic-config.yaml, PostgreSQL or PGlite, rclone serve s3); small collections through ' +
        `one API, the large one through the other; setting ${JSON.stringify(setting)}`,
    ],
  };
}
