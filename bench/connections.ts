// P5: N concurrent batch-process requests (100; quick 10), each over its own
// small collection, against the API and a worker each with its own pool of
// db_pool_size. Peak DB connections of those pools, sampled from
// pg_stat_activity by application_name, against the configured pools; errors
// are failed requests, batches that did not end completed, and failed
// documents. Needs the real PostgreSQL (DATABASE_URL): PGlite serves one
// connection and has no pg_stat_activity to speak of.
import { mapWithConcurrency } from '../common/concurrency.ts';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { FileIntelClient } from '../api/client/index.ts';
import type { BatchProcessResult } from '../workflows/batch-process-contract.ts';
import { corpusFiles, textDocuments } from './corpus.ts';
import { createCollection, resultOf, storeDocuments } from './support/documents.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { log, round, seconds, startBenchStack } from './support/stack.ts';

const DOCUMENTS_PER_COLLECTION = 3;

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  if (!process.env.DATABASE_URL) {
    const reason =
      'DATABASE_URL is unset: peak connections come from pg_stat_activity of a real PostgreSQL (PGlite has one connection); set DATABASE_URL to run P5';
    return {
      figures: { p5_peak_connections: null, p5_pool_limit: null, p5_errors: null },
      details: {},
      notes: [reason],
      skipped: reason,
    };
  }
  const requests = quick ? 10 : 100;
  const files = await corpusFiles(
    await textDocuments({
      count: requests * DOCUMENTS_PER_COLLECTION,
      minKb: 1,
      maxKb: 2,
      name: `p5-${requests * DOCUMENTS_PER_COLLECTION}`,
    }),
  );
  const stack = await startBenchStack({});
  const monitor = postgres(process.env.DATABASE_URL, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: `${stack.poolNames.bench}-monitor` },
  });
  let sampling = true;
  try {
    const { config, poolNames } = stack;
    const poolLimit = 2 * config.db_pool_size; // the API's pool and the worker's
    const collections: string[] = [];
    for (let i = 0; i < requests; i++) {
      const id = await createCollection(stack.sql, `p5-${i}`);
      await storeDocuments(
        stack.sql,
        stack.storage,
        id,
        files.slice(i * DOCUMENTS_PER_COLLECTION, (i + 1) * DOCUMENTS_PER_COLLECTION),
      );
      collections.push(id);
    }

    const peak = { api: 0, worker: 0, total: 0, samples: 0 };
    const sampler = (async () => {
      while (sampling) {
        const rows = await monitor<{ name: string; n: number }[]>`
          SELECT application_name AS name, count(*)::int AS n FROM pg_stat_activity
          WHERE application_name IN (${poolNames.api}, ${poolNames.worker}) GROUP BY 1`;
        const api = rows.find((row) => row.name === poolNames.api)?.n ?? 0;
        const worker = rows.find((row) => row.name === poolNames.worker)?.n ?? 0;
        peak.api = Math.max(peak.api, api);
        peak.worker = Math.max(peak.worker, worker);
        peak.total = Math.max(peak.total, api + worker);
        peak.samples++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    log(`p5: ${requests} concurrent batch-process requests`);
    const client = new FileIntelClient({ baseUrl: stack.apiUrl });
    const t0 = performance.now();
    const answers = await Promise.all(
      collections.map((collectionId) =>
        client.batches.submit({ tasks: [{ collection_id: collectionId }] }).then(
          (submitted) => ({ ok: true as const, submitted }),
          (error: Error) => ({ ok: false as const, error: error.message }),
        ),
      ),
    );
    const acceptedMs = performance.now() - t0;
    const requestErrors = answers.filter((answer) => !answer.ok);
    const results = await mapWithConcurrency(answers, 32, async (answer) => {
      if (!answer.ok) return null;
      return resultOf<BatchProcessResult>(stack.temporal, answer.submitted.task_id).catch(
        (error: Error) => ({ status: `error: ${error.message}` }) as unknown as BatchProcessResult,
      );
    });
    const doneMs = performance.now() - t0;
    sampling = false;
    await sampler;

    const unfinished = results.filter((result) => result !== null && result.status !== 'completed');
    const [failedDocs] = await stack.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM documents WHERE status <> 'processed'`;
    const errors = requestErrors.length + unfinished.length + failedDocs.n;
    log(
      `p5: peak ${peak.total} connections (api ${peak.api}, worker ${peak.worker}) of ${poolLimit}; ${errors} error(s); ${seconds(doneMs)} s`,
    );
    return {
      figures: { p5_peak_connections: peak.total, p5_pool_limit: poolLimit, p5_errors: errors },
      details: {
        requests,
        documents_per_collection: DOCUMENTS_PER_COLLECTION,
        db_pool_size: config.db_pool_size,
        max_concurrent_activities: config.max_concurrent_activities,
        peak,
        request_errors: requestErrors.slice(0, 5),
        batches_not_completed: unfinished.slice(0, 5).map((result) => result?.status),
        documents_not_processed: failedDocs.n,
        accepted_ms: round(acceptedMs, 0),
        done_ms: round(doneMs, 0),
      },
      notes: [
        `${requests} requests accepted in ${seconds(acceptedMs)} s, all batches ended in ${seconds(doneMs)} s; peak connections api ${peak.api}/${config.db_pool_size}, worker ${peak.worker}/${config.db_pool_size} ` +
          `(${peak.samples} samples of pg_stat_activity); ${requestErrors.length} request error(s), ${unfinished.length} batch(es) not completed, ${failedDocs.n} document(s) not processed`,
      ],
    };
  } finally {
    sampling = false;
    await monitor.end({ timeout: 5 });
    await stack.teardown();
  }
}
