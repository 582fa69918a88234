// P6: fair shares of the document slots. A 2,000-document collection starts
// (the quick run: 400, or more: see largeSizeFor), 5 s later a 20-document one
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
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { FileIntelClient } from '../api/client/index.ts';
import { corpusFiles, textDocuments } from './corpus.ts';
import { createCollection, resultOf, storeDocuments } from './support/documents.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { log, round, seconds, startBenchStack } from './support/stack.ts';

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
const PROCESS_OPTIONS = { extract_metadata: true, generate_embeddings: true, build_graph: false };
/** Documents generated for the large collection (and the small ones after them); the full size, cached. */
const POOL = 2_000;
/**
 * A small run beside the large one takes at most this many times its time alone: with fairness off the small
 * one's 20 units queue behind the large one's 40 in flight, about 3× (measured 2.3 to 3.8); 6 leaves room.
 */
const WORST_CONTENDED_FACTOR = 6;
/** The large collection's backlog must outlast the small runs by this much. */
const SAFETY = 2;

interface ModeResult {
  large: number;
  aloneMs: number[];
  aloneTimeline: Timeline;
  contendedTimeline: Timeline;
  contendedMs: number[];
  ratio: number;
  largeProcessedWhileSmallRan: number;
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const requested = Number(process.env.BENCH_P6_DOCUMENTS ?? (quick ? 400 : 2_000));
  // 8-16 KB of prose each: a unit takes long enough that slots, not round trips, set the pace.
  const pool = Math.max(POOL, requested);
  const files = await corpusFiles(await textDocuments({ count: pool + SMALL, minKb: 8, maxKb: 16, seed: 60_606 }));
  const smallFiles = files.slice(pool);
  const sizes: number[] = [];

  const measure = async (fairness: boolean, largeAs: 'interactive' | 'batch'): Promise<ModeResult> => {
    const stack = await startBenchStack({ config: { ...COMPETING_CONFIG, fairness } });
    try {
      const client = new FileIntelClient({ baseUrl: stack.apiUrl });
      const smallAlone = await createCollection(stack.sql, 'p6-small-alone');
      await storeDocuments(stack.sql, stack.storage, smallAlone, smallFiles);
      const contended: string[] = [];
      for (let i = 0; i < REPEATS; i++) {
        contended.push(await createCollection(stack.sql, `p6-small-${i}`));
        await storeDocuments(stack.sql, stack.storage, contended[i], smallFiles);
      }

      /** One analysis of a small collection through the API, start to result; its task id and time. */
      const processSmall = async (collectionId: string, force = false) => {
        const t0 = performance.now();
        const started = await client.analysis.process(collectionId, { ...PROCESS_OPTIONS, force });
        const result = await resultOf<{ status: string; processed: number }>(stack.temporal, started.task_id);
        if (result.status !== 'completed' || result.processed !== SMALL)
          throw new Error(`small collection: ${JSON.stringify(result)}`);
        return { ms: performance.now() - t0, taskId: started.task_id };
      };

      // Alone: a first run warms the worker (text worker threads, caches), then REPEATS measured ones.
      await processSmall(smallAlone);
      const alone: { ms: number; taskId: string }[] = [];
      for (let i = 0; i < REPEATS; i++) alone.push(await processSmall(smallAlone, true));

      // The large collection is sized from this machine's pace, so it still has a backlog when the last small run
      // ends: a fixed size finished first on a quiet machine (the quick run's 400 did) and measured nothing.
      const large = largeSizeFor(requested, median(alone.map((run) => run.ms)));
      if (large > pool)
        throw new Error(`the large collection needs ${large} documents on this machine; BENCH_P6_DOCUMENTS=${large}`);
      sizes.push(large);
      log(
        `p6: the large collection: ${large} documents (small alone: median ${seconds(median(alone.map((run) => run.ms)))} s)`,
      );
      const largeCollection = await createCollection(stack.sql, 'p6-large');
      await storeDocuments(stack.sql, stack.storage, largeCollection, files.slice(0, large));

      const largeTask =
        largeAs === 'interactive'
          ? (await client.analysis.process(largeCollection, PROCESS_OPTIONS)).task_id
          : (
              await client.batches.submit({
                tasks: [{ collection_id: largeCollection, ...PROCESS_OPTIONS }],
                workflow_type: 'sequential',
              })
            ).task_id;
      await sleep(HEAD_START_MS);
      // Beside the large one: REPEATS small collections one after the other, while it still has a backlog.
      const beside: { ms: number; taskId: string }[] = [];
      const processedBefore = await processedIn(stack.sql, largeCollection);
      for (const collectionId of contended) beside.push(await processSmall(collectionId));
      const processedAfter = await processedIn(stack.sql, largeCollection);
      if (processedAfter >= large)
        throw new Error(
          `the large collection (${large}) finished before the small ones: raise WORST_CONTENDED_FACTOR or SAFETY`,
        );
      const largeProcessedWhileSmallRan = Math.round((processedAfter - processedBefore) / REPEATS);
      await stack.temporal.workflow.getHandle(largeTask).cancel();
      await stack.temporal.workflow
        .getHandle(largeTask)
        .result()
        .catch(() => {});

      const aloneMs = alone.map((run) => run.ms);
      const contendedMsAll = beside.map((run) => run.ms);
      const ratio = median(contendedMsAll) / median(aloneMs);
      const aloneTimeline = await timelineOf(stack.temporal, alone[medianIndex(aloneMs)].taskId);
      const contendedTimeline = await timelineOf(stack.temporal, beside[medianIndex(contendedMsAll)].taskId);
      log(
        `p6 (fairness ${fairness ? 'on' : 'off'}, large as ${largeAs}): alone ${aloneMs.map(seconds).join(' / ')} s, ` +
          `beside ${contendedMsAll.map(seconds).join(' / ')} s, ratio of medians ${ratio.toFixed(2)}`,
      );
      log(`p6: alone ${JSON.stringify(aloneTimeline)}; beside ${JSON.stringify(contendedTimeline)}`);
      return {
        large,
        aloneMs,
        aloneTimeline,
        contendedTimeline,
        contendedMs: contendedMsAll,
        ratio,
        largeProcessedWhileSmallRan,
      };
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

  const detail = (mode: ModeResult) => ({
    alone_ms: mode.aloneMs.map((ms) => round(ms, 0)),
    contended_ms: mode.contendedMs.map((ms) => round(ms, 0)),
    ratio: round(mode.ratio, 2),
    large_documents: mode.large,
    large_documents_processed_meanwhile: mode.largeProcessedWhileSmallRan,
    alone_timeline: mode.aloneTimeline,
    contended_timeline: mode.contendedTimeline,
  });
  const note = (name: string, mode: ModeResult) =>
    `${name}: a ${SMALL}-document collection took ${seconds(median(mode.contendedMs))} s beside the large one (${mode.large}) ` +
    `against ${seconds(median(mode.aloneMs))} s alone (medians of ${REPEATS}: ${mode.ratio.toFixed(2)}×); ` +
    `the large one processed ${mode.largeProcessedWhileSmallRan} documents meanwhile (per small run)`;
  return {
    figures: {
      p6_ratio_fair: round(on.ratio, 2),
      p6_ratio_unfair: round(off.ratio, 2),
      p6_ratio_fair_large_as_batch: round(bulk.ratio, 2),
    },
    details: {
      large_documents_requested: requested,
      large_documents: sizes,
      small_documents: SMALL,
      head_start_ms: HEAD_START_MS,
      config: COMPETING_CONFIG,
      fairness_on: detail(on),
      fairness_off: detail(off),
      large_as_batch: detail(bulk),
    },
    notes: [
      note('fairness on (both interactive)', on),
      note('fairness off (both interactive)', off),
      note('fairness on, large as a batch (priority 4 against 2)', bulk),
      `setting: ${JSON.stringify(COMPETING_CONFIG)}: ` +
        'one activity per document, 40 in flight per collection, 4 document slots',
    ],
  };
}

/**
 * Documents the large collection needs: the slots process about SMALL documents per small run alone, so during the
 * head start and REPEATS small runs at their worst it takes at most pace × (head start + REPEATS × worst × alone);
 * SAFETY times that, plus its window in flight, and never fewer than asked.
 */
function largeSizeFor(requested: number, aloneMs: number): number {
  const pace = SMALL / aloneMs;
  const reach = pace * (HEAD_START_MS + REPEATS * WORST_CONTENDED_FACTOR * aloneMs);
  return Math.max(requested, Math.ceil(SAFETY * reach) + COMPETING_CONFIG.max_concurrent_documents);
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const median = (values: number[]) => sorted(values)[Math.floor(values.length / 2)];
const medianIndex = (values: number[]) => values.indexOf(median(values));

/** Where a small run's time went: start → its documents' activities scheduled, their wait for a slot, their run. */
interface Timeline {
  total_ms: number;
  until_scheduled_ms: number;
  wait_mean_ms: number;
  wait_max_ms: number;
  run_mean_ms: number;
}

async function timelineOf(client: Client, workflowId: string): Promise<Timeline> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const at = (event: (typeof events)[number]) =>
    Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
  const scheduled = new Map<number, number>();
  const waits: number[] = [];
  const runs: number[] = [];
  const startedAt = new Map<number, number>();
  for (const event of events) {
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes?.activityType?.name === 'processDocumentGroup') scheduled.set(Number(event.eventId), at(event));
    const started = event.activityTaskStartedEventAttributes;
    if (started && scheduled.has(Number(started.scheduledEventId))) {
      waits.push(at(event) - scheduled.get(Number(started.scheduledEventId))!);
      startedAt.set(Number(started.scheduledEventId), at(event));
    }
    const done = event.activityTaskCompletedEventAttributes;
    if (done && startedAt.has(Number(done.scheduledEventId)))
      runs.push(at(event) - startedAt.get(Number(done.scheduledEventId))!);
  }
  const mean = (values: number[]) =>
    round(values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length), 0);
  return {
    total_ms: round(at(events[events.length - 1]) - at(events[0]), 0),
    until_scheduled_ms: round(Math.max(...scheduled.values()) - at(events[0]), 0),
    wait_mean_ms: mean(waits),
    wait_max_ms: round(Math.max(...waits), 0),
    run_mean_ms: mean(runs),
  };
}

async function processedIn(sql: Parameters<typeof storeDocuments>[0], collectionId: string): Promise<number> {
  const [row] = await sql<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collectionId} AND status = 'processed'`;
  return row.n;
}
