// P3: one collection of N small documents (100,000; the quick run 10,000) and
// one of N/10, each processed by a batch-process request of one collection.
// Figures: the largest history of any workflow run (fetchHistory: batch,
// every continued-as-new collectionAnalysis run, every documentProcessing),
// the worker's resident memory at N/10 and at N documents processed (a fresh
// worker child for the large run; /proc/<pid>/status), and time(N)/time(N/10).
// Goals: no run over 5,000 events; memory ratio ≤ 1.2; time ratio ≤ 11.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileIntelClient } from '../api/client/index.ts';
import type { BatchProcessResult } from '../workflows/batch-process-contract.ts';
import { corpusFiles, textDocuments } from './corpus.ts';
import { createCollection, historySizes, listRuns, resultOf, storeDocuments } from './support/documents.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { log, procMemory, round, rssSampler, seconds, startBenchStack, type BenchStack } from './support/stack.ts';

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const large = Number(process.env.BENCH_P3_DOCUMENTS ?? (quick ? 10_000 : 100_000));
  const small = Math.round(large / 10);
  const files = await corpusFiles(await textDocuments({ count: large, minKb: 1, maxKb: 2 }));
  const stack = await startBenchStack({});
  try {
    const client = new FileIntelClient({ baseUrl: stack.apiUrl });
    const smallCollection = await createCollection(stack.sql, 'p3-small');
    const largeCollection = await createCollection(stack.sql, 'p3-large');
    log(`p3: storing ${small} + ${large} documents`);
    await storeDocuments(stack.sql, stack.storage, smallCollection, files.slice(0, small));
    await storeDocuments(stack.sql, stack.storage, largeCollection, files);

    const processed = async (collectionId: string) =>
      (
        await stack.sql<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collectionId} AND status = 'processed'`
      )[0].n;

    /** Runs one collection through batch-process; samples the worker's RSS on the way. */
    const process1 = async (collectionId: string, documents: number) => {
      const pid = stack.worker!.pid;
      const sampler = rssSampler(pid, 100);
      const marks: { processed: number; rssMb: number; peakMb: number; seconds: number }[] = [];
      const t0 = performance.now();
      const submitted = await client.batches.submit({
        tasks: [{ collection_id: collectionId }],
        workflow_type: 'sequential',
      });
      const done = resultOf<BatchProcessResult>(stack.temporal, submitted.task_id);
      let finished = false;
      void done.finally(() => (finished = true));
      let nextMark = Math.max(1, Math.round(documents / 10));
      while (!finished) {
        // Once a second: the count reads the collection's rows (40 ms at 100,000), so polling it
        // faster would load the database the run is measured on, the more the larger the run.
        await sleep(1_000);
        const count = await processed(collectionId);
        while (count >= nextMark && nextMark <= documents) {
          marks.push({
            processed: count,
            rssMb: round((await procMemory(pid)).rssMb, 1),
            peakMb: round(sampler.peak, 1),
            seconds: seconds(performance.now() - t0),
          });
          nextMark += Math.round(documents / 10);
        }
      }
      const result = await done;
      const ms = performance.now() - t0;
      const end = await procMemory(pid);
      sampler.stop();
      return { batchId: submitted.batch_id, ms, result, marks, endRssMb: end.rssMb, endHwmMb: end.hwmMb };
    };

    log(`p3: processing ${small} documents`);
    const smallRun = await process1(smallCollection, small);
    log(`p3: ${small} in ${seconds(smallRun.ms)} s; restarting the worker for the large run`);
    await stack.worker!.stop();
    await stack.startWorker();
    log(`p3: processing ${large} documents`);
    const largeRun = await process1(largeCollection, large);
    log(`p3: ${large} in ${seconds(largeRun.ms)} s`);
    for (const [run, n] of [
      [smallRun, small],
      [largeRun, large],
    ] as const) {
      const item = run.result.collections[0];
      if (run.result.status !== 'completed' || item.processed !== n)
        throw new Error(`batch of ${n}: ${JSON.stringify(run.result).slice(0, 1_000)}`);
    }

    log('p3: history of every run');
    const sizes = await everyHistory(stack);
    const largest = sizes[0];
    const byType: Record<string, { runs: number; max_events: number }> = {};
    for (const run of sizes) {
      const entry = (byType[run.type] ??= { runs: 0, max_events: 0 });
      entry.runs++;
      entry.max_events = Math.max(entry.max_events, run.events);
    }

    // Memory at N/10 processed: the highest RSS sampled up to the mark; at N: the highest over the whole run.
    const atTenth = largeRun.marks[0];
    const memTenth = atTenth.peakMb;
    const memAll = largeRun.endHwmMb;
    return {
      figures: {
        p3_max_history_events: largest.events,
        p3_mem_ratio: round(memAll / memTenth),
        p3_time_ratio: round(largeRun.ms / smallRun.ms),
      },
      details: {
        documents: { small, large },
        time_ms: { small: round(smallRun.ms, 0), large: round(largeRun.ms, 0) },
        worker_rss_mb: {
          at_tenth_peak: memTenth,
          at_tenth_now: atTenth.rssMb,
          at_end_hwm: round(memAll, 1),
          at_end_now: round(largeRun.endRssMb, 1),
        },
        marks: largeRun.marks,
        largest_history: largest,
        histories_by_type: byType,
        runs_checked: sizes.length,
      },
      notes: [
        `${small} documents in ${seconds(smallRun.ms)} s, ${large} in ${seconds(largeRun.ms)} s; worker RSS peak ${memTenth} MB by ${atTenth.processed} processed, ${memAll.toFixed(1)} MB by ${large} (VmHWM)`,
        `largest history: ${largest.events} events (${largest.type} ${largest.workflowId}); by type: ${Object.entries(
          byType,
        )
          .map(([type, entry]) => `${type} ${entry.runs} run(s), max ${entry.max_events}`)
          .join('; ')}`,
      ],
    };
  } finally {
    await stack.teardown();
  }
}

/** Every run on this stack's Temporal server, each counted from its fetched history. */
async function everyHistory(stack: BenchStack) {
  const runs = await listRuns(stack.temporal, '');
  return historySizes(stack.temporal, runs, 16);
}
