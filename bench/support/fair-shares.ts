// P6's measurement, shared by the benchmark on the bench stack
// (bench/fair-shares.ts) and the one on docker-compose.yml's topology
// (bench/fair-shares-topology.ts): a small collection's time alone (a warm-up,
// then `repeats` runs), then a large collection sized from that pace starts,
// and after a head start `repeats` small collections run beside it one after
// the other; the figure is the ratio of the medians. The large collection is
// cancelled once the small ones have finished.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { FileIntelClient } from '../../api/client/index.ts';
import type { Sql } from '../../db/pool.ts';
import type { DocumentStorage } from '../../storage/document-storage.ts';
import { createCollection, resultOf, storeDocuments } from './documents.ts';
import { log, round, seconds } from './stack.ts';

export const PROCESS_OPTIONS = { extract_metadata: true, generate_embeddings: true, build_graph: false };

/**
 * Both P6 benchmarks' sizes: the small collection (10 s or more alone at full size), its documents' size, the window
 * in flight per collection (max_concurrent_documents: three small collections' work, so with fairness off the large
 * one keeps that backlog ahead of the small one; at a window of one small collection, off and on could not be told
 * apart here), the large one's least size and the documents generated for it (it is sized from the pace).
 */
export const FAIR_SHARES_SIZES = {
  full: { small: 150, minKb: 64, maxKb: 128, window: 450, requestedLarge: 400, pool: 5_000 },
  // Quick: 40 of the same documents (3 s alone on a quiet machine); 20 of 8 to 16 KB took 0.7 s, start-up noise.
  quick: { small: 40, minKb: 64, maxKb: 128, window: 120, requestedLarge: 200, pool: 2_000 },
};

/** The setting that makes the collections compete for the same slots: one activity per document, 4 document slots. */
export const competingConfig = (window: number) => ({
  small_document_mb: 1,
  group_max_documents: 1,
  max_concurrent_documents: window,
  max_concurrent_activities: 4,
  page_size: 200,
});

/** Where the collections go: the API each goes through (the same one on a one-API stack), Temporal, the database, storage. */
export interface FairSharesTarget {
  smallApi: FileIntelClient;
  largeApi: FileIntelClient;
  temporal: Client;
  sql: Sql;
  storage: DocumentStorage;
}

type Files = { path: string; size: number }[];

export interface FairSharesPlan {
  /** The small collection's documents (every small collection holds the same ones). */
  smallFiles: Files;
  /** The large collection is the first N of these (N from the pace, see largeSizeFor). */
  largePool: Files;
  /** The large collection has at least this many documents. */
  requestedLarge: number;
  /** Small runs alone and beside the large one; the figure is the ratio of their medians (a shared machine varies). */
  repeats: number;
  headStartMs: number;
  /**
   * A small run beside the large one takes at most this many times its time alone (with fairness off its units
   * queue behind the large one's in flight: 2.3 to 3.8× measured at 20 documents).
   */
  worstContendedFactor: number;
  /** The large collection's backlog must outlast the small runs by this much. */
  safety: number;
  /** The large collection's window in flight (max_concurrent_documents). */
  inFlight: number;
  largeAs: 'interactive' | 'batch';
  /** BENCH_P6_DOCUMENTS or the like: named when the pool is too small. */
  sizeVariable: string;
}

export interface ModeResult {
  large: number;
  aloneMs: number[];
  contendedMs: number[];
  ratio: number;
  aloneTimeline: Timeline;
  contendedTimeline: Timeline;
  largeProcessedWhileSmallRan: number;
}

export async function measureFairShares(target: FairSharesTarget, plan: FairSharesPlan): Promise<ModeResult> {
  const { sql, storage, temporal } = target;
  const small = plan.smallFiles.length;
  const smallAlone = await createCollection(sql, 'p6-small-alone');
  await storeDocuments(sql, storage, smallAlone, plan.smallFiles);
  const contended: string[] = [];
  for (let i = 0; i < plan.repeats; i++) {
    contended.push(await createCollection(sql, `p6-small-${i}`));
    await storeDocuments(sql, storage, contended[i], plan.smallFiles);
  }

  /** One analysis of a small collection through the API, start to result; its task id and time. */
  const processSmall = async (collectionId: string, force = false) => {
    const t0 = performance.now();
    const started = await target.smallApi.analysis.process(collectionId, { ...PROCESS_OPTIONS, force });
    const result = await resultOf<{ status: string; processed: number }>(temporal, started.task_id);
    if (result.status !== 'completed' || result.processed !== small)
      throw new Error(`small collection: ${JSON.stringify(result)}`);
    return { ms: performance.now() - t0, taskId: started.task_id };
  };

  // Alone: a first run warms the worker (text worker threads, caches), then `repeats` measured ones.
  await processSmall(smallAlone);
  const alone: { ms: number; taskId: string }[] = [];
  for (let i = 0; i < plan.repeats; i++) alone.push(await processSmall(smallAlone, true));
  const aloneMs = alone.map((run) => run.ms);
  log(`p6: small alone ${aloneMs.map(seconds).join(' / ')} s`);

  // The large collection is sized from this machine's pace, so it still has a backlog when the last small run
  // ends: a fixed size finished first on a quiet machine (the quick run's 400 did) and measured nothing.
  const large = largeSizeFor(plan, small, median(aloneMs));
  if (large > plan.largePool.length)
    throw new Error(`the large collection needs ${large} documents on this machine; ${plan.sizeVariable}=${large}`);
  log(`p6: the large collection: ${large} documents (small alone: median ${seconds(median(aloneMs))} s)`);
  const largeCollection = await createCollection(sql, 'p6-large');
  await storeDocuments(sql, storage, largeCollection, plan.largePool.slice(0, large), 16);

  const largeTask =
    plan.largeAs === 'interactive'
      ? (await target.largeApi.analysis.process(largeCollection, PROCESS_OPTIONS)).task_id
      : (
          await target.largeApi.batches.submit({
            tasks: [{ collection_id: largeCollection, ...PROCESS_OPTIONS }],
            workflow_type: 'sequential',
          })
        ).task_id;
  await sleep(plan.headStartMs);
  // Beside the large one: `repeats` small collections one after the other, while it still has a backlog.
  const beside: { ms: number; taskId: string }[] = [];
  const processedBefore = await processedIn(sql, largeCollection);
  for (const collectionId of contended) beside.push(await processSmall(collectionId));
  const processedAfter = await processedIn(sql, largeCollection);
  if (processedAfter >= large)
    throw new Error(
      `the large collection (${large}) finished before the small ones: raise worstContendedFactor or safety`,
    );
  await temporal.workflow.getHandle(largeTask).cancel();
  await temporal.workflow
    .getHandle(largeTask)
    .result()
    .catch(() => {});

  const contendedMs = beside.map((run) => run.ms);
  const ratio = median(contendedMs) / median(aloneMs);
  const aloneTimeline = await timelineOf(temporal, alone[medianIndex(aloneMs)].taskId);
  const contendedTimeline = await timelineOf(temporal, beside[medianIndex(contendedMs)].taskId);
  log(
    `p6 (large as ${plan.largeAs}): alone ${aloneMs.map(seconds).join(' / ')} s, ` +
      `beside ${contendedMs.map(seconds).join(' / ')} s, ratio of medians ${ratio.toFixed(2)}`,
  );
  log(`p6: alone ${JSON.stringify(aloneTimeline)}; beside ${JSON.stringify(contendedTimeline)}`);
  return {
    large,
    aloneMs,
    contendedMs,
    ratio,
    aloneTimeline,
    contendedTimeline,
    largeProcessedWhileSmallRan: Math.round((processedAfter - processedBefore) / plan.repeats),
  };
}

/**
 * Documents the large collection needs: the slots process about `small` documents per small run alone, so during
 * the head start and the small runs at their worst it takes at most pace × (head start + repeats × worst × alone);
 * `safety` times that, plus its window in flight, and never fewer than asked.
 */
function largeSizeFor(plan: FairSharesPlan, small: number, aloneMs: number): number {
  const pace = small / aloneMs;
  const reach = pace * (plan.headStartMs + plan.repeats * plan.worstContendedFactor * aloneMs);
  return Math.max(plan.requestedLarge, Math.ceil(plan.safety * reach) + plan.inFlight);
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
export const median = (values: number[]) => sorted(values)[Math.floor(values.length / 2)];
const medianIndex = (values: number[]) => values.indexOf(median(values));

/** A mode's figures for results.json. */
export const modeDetail = (mode: ModeResult) => ({
  alone_ms: mode.aloneMs.map((ms) => round(ms, 0)),
  contended_ms: mode.contendedMs.map((ms) => round(ms, 0)),
  ratio: round(mode.ratio, 2),
  large_documents: mode.large,
  large_documents_processed_meanwhile: mode.largeProcessedWhileSmallRan,
  alone_timeline: mode.aloneTimeline,
  contended_timeline: mode.contendedTimeline,
});

/** A mode's line in BENCHMARKS.md: the medians, every run and the ratio. */
export const modeNote = (name: string, small: number, mode: ModeResult) =>
  `${name}: a ${small}-document collection took ${seconds(median(mode.contendedMs))} s beside the large one (${mode.large}) ` +
  `against ${seconds(median(mode.aloneMs))} s alone (medians of ${mode.aloneMs.length}: ${mode.ratio.toFixed(2)}×; ` +
  `runs alone ${mode.aloneMs.map(seconds).join(' / ')} s, beside ${mode.contendedMs.map(seconds).join(' / ')} s); ` +
  `the large one processed ${mode.largeProcessedWhileSmallRan} documents meanwhile (per small run)`;

/**
 * Where a small run's time went: start → its documents' activities scheduled, start → the last of them done (the
 * rest of total is the run's end: graph check, finish), their wait for a slot, their run.
 */
interface Timeline {
  total_ms: number;
  until_scheduled_ms: number;
  documents_done_ms: number;
  /** The run's other activities (its start and end steps), scheduled → completed, by name. */
  steps_ms: Record<string, number>;
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
  let lastDone = at(events[0]);
  const stepScheduled = new Map<number, { name: string; at: number }>();
  const steps: Record<string, number> = {};
  for (const event of events) {
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes?.activityType?.name === 'processDocumentGroup') scheduled.set(Number(event.eventId), at(event));
    else if (attributes?.activityType?.name)
      stepScheduled.set(Number(event.eventId), { name: attributes.activityType.name, at: at(event) });
    const started = event.activityTaskStartedEventAttributes;
    if (started && scheduled.has(Number(started.scheduledEventId))) {
      waits.push(at(event) - scheduled.get(Number(started.scheduledEventId))!);
      startedAt.set(Number(started.scheduledEventId), at(event));
    }
    const done = event.activityTaskCompletedEventAttributes;
    const step = done && stepScheduled.get(Number(done.scheduledEventId));
    if (step) steps[step.name] = round((steps[step.name] ?? 0) + at(event) - step.at, 0);
    if (done && startedAt.has(Number(done.scheduledEventId))) {
      runs.push(at(event) - startedAt.get(Number(done.scheduledEventId))!);
      lastDone = at(event);
    }
  }
  const mean = (values: number[]) =>
    round(values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length), 0);
  return {
    total_ms: round(at(events[events.length - 1]) - at(events[0]), 0),
    until_scheduled_ms: round(Math.max(...scheduled.values()) - at(events[0]), 0),
    documents_done_ms: round(lastDone - at(events[0]), 0),
    steps_ms: steps,
    wait_mean_ms: mean(waits),
    wait_max_ms: round(Math.max(...waits), 0),
    run_mean_ms: mean(runs),
  };
}

async function processedIn(sql: Sql, collectionId: string): Promise<number> {
  const [row] = await sql<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collectionId} AND status = 'processed'`;
  return row.n;
}
