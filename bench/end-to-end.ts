// P1: the full path (CLI batch-upload with processing → API → Temporal →
// worker, until the collection is completed) against the bare loop (the same
// activity functions in one process, same concurrency, same database, no HTTP,
// no Temporal). Figure: p1_ratio = time(a) / time(b). Goal ≤ 1.2 (≤ 1.25 quick).
// bench/end-to-end-mixed.ts runs the same on the P1 corpus plus two 500-page PDFs.
import { mapWithConcurrency } from '../common/concurrency.ts';
import { link, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities/index.ts';
import type { DocumentPage } from '../activities/collection-analysis.ts';
import { createPool } from '../db/pool.ts';
import type { Client } from '@temporalio/client';
import type { CollectionAnalysisResult } from '../workflows/collection-analysis-contract.ts';
import { CORPUS_ROOT, corpusFiles, pdfDocuments, textDocuments } from './corpus.ts';
import {
  createCollection,
  listRuns,
  resultOf,
  storeDocuments,
  timingOf,
  type ChildTiming,
} from './support/documents.ts';
import type { BenchOptions, BenchResult } from './support/result.ts';
import { runCli } from '../test/support/cli.ts';
import { log, round, seconds, startBenchStack } from './support/stack.ts';

/** The sizes: 1,000 text/markdown of 2–20 KB and 50 PDFs of 5–30 pages. */
export function p1Sizes(quick: boolean) {
  return quick ? { texts: 100, pdfs: 5 } : { texts: 1_000, pdfs: 50 };
}

/** The corpora in one directory (hard links), as the CLI takes one directory; `extra` adds more (the mixed corpus). */
export async function p1Corpus(quick: boolean, extra: { name: string; dir: string }[] = []): Promise<string> {
  const sizes = p1Sizes(quick);
  const texts = await textDocuments({ count: sizes.texts, minKb: 2, maxKb: 20 });
  const pdfs = await pdfDocuments({ count: sizes.pdfs, minPages: 5, maxPages: 30 });
  const dir = path.join(
    CORPUS_ROOT,
    [`p1-${sizes.texts}-${sizes.pdfs}`, ...extra.map((corpus) => corpus.name)].join('-'),
  );
  if (existsSync(path.join(dir, '.complete'))) return dir;
  await mkdir(dir, { recursive: true });
  for (const source of [
    { prefix: '', dir: texts },
    { prefix: '', dir: pdfs },
    ...extra.map((corpus) => ({ prefix: `${corpus.name}-`, dir: corpus.dir })),
  ]) {
    for (const file of await corpusFiles(source.dir)) {
      // An extra corpus's files are named apart (both corpora may hold a paper-000.pdf).
      const target = path.join(dir, source.prefix + path.basename(file.path));
      if (!existsSync(target)) await link(file.path, target);
    }
  }
  await link(path.join(texts, '.complete'), path.join(dir, '.complete'));
  return dir;
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  return measureEndToEnd(await p1Corpus(quick), quick, 'p1_ratio');
}

type TimedCall = <A, R>(name: string, fn: (input: A) => Promise<R>, input: A) => Promise<R>;

/** Runs an activity function as the worker would (its own activity context), adding its time to `stepMs[name]`. */
function timedCall(stepMs: Record<string, number>): TimedCall {
  return async (name, fn, input) => {
    const started = performance.now();
    try {
      return await new MockActivityEnvironment().run(fn as never, input as never);
    } finally {
      stepMs[name] = (stepMs[name] ?? 0) + performance.now() - started;
    }
  };
}

type Activities = ReturnType<typeof createActivities>;

/** One document through the bare loop, step by step; false when it failed (and was marked so). */
async function bareDocument(activities: Activities, call: TimedCall, documentId: string): Promise<boolean> {
  const ref = { documentId };
  try {
    await call('extractAndChunkDocument', activities.extractAndChunkDocument, ref);
    await call('extractDocumentMetadata', activities.extractDocumentMetadata, ref);
    await call('embedDocumentChunks', activities.embedDocumentChunks, ref);
    await call('extractDocumentEntities', activities.extractDocumentEntities, ref);
    await call('markDocumentProcessed', activities.markDocumentProcessed, ref);
    return true;
  } catch (error) {
    await call('markDocumentFailed', activities.markDocumentFailed, { ...ref, error: String(error) });
    return false;
  }
}

/** The collection-level steps at the end of a bare loop. */
async function finishBare(
  activities: Activities,
  call: TimedCall,
  collectionId: string,
  failed: number,
): Promise<void> {
  await call('rebuildCollectionGraph', activities.rebuildCollectionGraph, { collectionId });
  await call('finishCollectionRun', activities.finishCollectionRun, {
    collectionId,
    runKey: null,
    status: failed === 0 ? ('completed' as const) : ('completed_with_errors' as const),
    lastError: null,
    recordEmbeddings: true,
  });
}

/** Where the grouped documents' time went: the processDocumentGroup activities of every run of the analysis. */
async function groupTimings(client: Client, analysisWorkflowId: string) {
  const runs = await listRuns(client, `WorkflowId = '${analysisWorkflowId}'`);
  let groups = 0;
  let documents = 0;
  let queueMs = 0;
  let runMs = 0;
  const at = (time: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    time ? Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6 : 0;
  for (const run of runs) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const scheduled = new Map<number, number>();
    const started = new Map<number, number>();
    for (const event of history.events ?? []) {
      const schedule = event.activityTaskScheduledEventAttributes;
      if (schedule?.activityType?.name === 'processDocumentGroup') {
        scheduled.set(Number(event.eventId), at(event.eventTime));
        const input = JSON.parse(Buffer.from(schedule.input?.payloads?.[0]?.data ?? []).toString('utf8') || '{}') as {
          documents?: unknown[];
        };
        documents += input.documents?.length ?? 0;
        groups++;
      }
      const start = event.activityTaskStartedEventAttributes;
      if (start && scheduled.has(Number(start.scheduledEventId))) {
        started.set(Number(start.scheduledEventId), at(event.eventTime));
        queueMs += at(event.eventTime) - scheduled.get(Number(start.scheduledEventId))!;
      }
      const done = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes;
      if (done && started.has(Number(done.scheduledEventId)))
        runMs += at(event.eventTime) - started.get(Number(done.scheduledEventId))!;
    }
  }
  return { runs: runs.length, groups, documents, queueMs, runMs };
}

/** P1's measurement on the corpus in `dir`: the bare loop, then the full path; `figure` names the ratio. */
export async function measureEndToEnd(dir: string, quick: boolean, figure: string): Promise<BenchResult> {
  const files = await corpusFiles(dir);
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  log(`p1: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB`);
  // BENCH_P1_CONCURRENCY sets max_concurrent_documents for both paths (an experiment; the default is the config's).
  const concurrencyOverride = process.env.BENCH_P1_CONCURRENCY
    ? { max_concurrent_documents: Number(process.env.BENCH_P1_CONCURRENCY) }
    : {};
  const stack = await startBenchStack({ config: concurrencyOverride });
  try {
    const { config } = stack;
    // The upload's processing defaults: metadata, embeddings and graph, as below.

    // (b) the bare loop first: the worker child is idle meanwhile.
    log('p1 (b): bare loop');
    const bareSql = createPool(stack.databaseUrl(`${stack.poolNames.bench}-bare`), config);
    const activities = createActivities({ config, sql: bareSql, storage: stack.storage, staging: stack.staging });
    const stepMs: Record<string, number> = {};
    const call = timedCall(stepMs);
    const bareCollection = await createCollection(stack.sql, 'p1-bare');
    const bareLoop = monitorEventLoopDelay({ resolution: 10 });
    bareLoop.enable();
    const bareCpu = process.cpuUsage();
    const b0 = performance.now();
    await storeDocuments(bareSql, stack.storage, bareCollection, files, config.max_concurrent_uploads);
    const bStored = performance.now();
    let bareFailed = 0;
    await call('beginCollectionRun', activities.beginCollectionRun, {
      collectionId: bareCollection,
      selection: 'pending' as const,
    });
    let cursor: string | null = null;
    for (;;) {
      const page: DocumentPage = await call('nextDocumentPage', activities.nextDocumentPage, {
        collectionId: bareCollection,
        selection: 'pending' as const,
        afterId: cursor,
      });
      await mapWithConcurrency(page.documents, page.concurrency, async ({ id }) => {
        if (!(await bareDocument(activities, call, id))) bareFailed++;
      });
      if (page.documents.length < page.pageSize) break;
      cursor = page.documents[page.documents.length - 1].id;
    }
    await finishBare(activities, call, bareCollection, bareFailed);
    const bEnd = performance.now();
    const bareCpuMs = (process.cpuUsage(bareCpu).user + process.cpuUsage(bareCpu).system) / 1000;
    bareLoop.disable();
    const bareLoopMs = {
      mean: round(bareLoop.mean / 1e6, 1),
      p50: round(bareLoop.percentile(50) / 1e6, 1),
      p99: round(bareLoop.percentile(99) / 1e6, 1),
      max: round(bareLoop.max / 1e6, 1),
    };
    await bareSql.end({ timeout: 5 });
    const bare = { totalMs: bEnd - b0, storeMs: bStored - b0, processMs: bEnd - bStored, failed: bareFailed };
    log(`p1 (b): ${seconds(bare.totalMs)} s (store ${seconds(bare.storeMs)} s, process ${seconds(bare.processMs)} s)`);

    // (b') the same loop without page barriers (the pages listed first, then one window of the same concurrency over
    // all of them), as the sliding window runs them: the ratio against it is the orchestration's cost alone.
    log("p1 (b'): bare loop without page barriers");
    const windowSql = createPool(stack.databaseUrl(`${stack.poolNames.bench}-bare-window`), config);
    const windowActivities = createActivities({
      config,
      sql: windowSql,
      storage: stack.storage,
      staging: stack.staging,
    });
    const untimed = timedCall({});
    const windowCollection = await createCollection(stack.sql, 'p1-bare-window');
    const w0 = performance.now();
    await storeDocuments(windowSql, stack.storage, windowCollection, files, config.max_concurrent_uploads);
    const wStored = performance.now();
    await untimed('beginCollectionRun', windowActivities.beginCollectionRun, {
      collectionId: windowCollection,
      selection: 'pending' as const,
    });
    const listed: string[] = [];
    for (let after: string | null = null; ;) {
      const page: DocumentPage = await untimed('nextDocumentPage', windowActivities.nextDocumentPage, {
        collectionId: windowCollection,
        selection: 'pending' as const,
        afterId: after,
      });
      listed.push(...page.documents.map((document) => document.id));
      if (page.documents.length < page.pageSize) break;
      after = page.documents[page.documents.length - 1].id;
    }
    let windowFailed = 0;
    await mapWithConcurrency(listed, config.max_concurrent_documents, async (id) => {
      if (!(await bareDocument(windowActivities, untimed, id))) windowFailed++;
    });
    await finishBare(windowActivities, untimed, windowCollection, windowFailed);
    const wEnd = performance.now();
    await windowSql.end({ timeout: 5 });
    const bareWindow = { totalMs: wEnd - w0, storeMs: wStored - w0, processMs: wEnd - wStored, failed: windowFailed };
    log(
      `p1 (b'): ${seconds(bareWindow.totalMs)} s (store ${seconds(bareWindow.storeMs)} s, process ${seconds(bareWindow.processMs)} s)`,
    );

    // (a) the full path, through the CLI as a user runs it.
    log('p1 (a): CLI batch-upload with processing, through API, Temporal and the worker');
    const [created] = await stack.sql<{ id: string }[]>`INSERT INTO collections (name) VALUES ('p1-full') RETURNING id`;
    await stack.worker!.resetStats();
    const a0 = performance.now();
    const cli = await runCli(stack.apiUrl, ['documents', 'batch-upload', 'p1-full', dir, '--json']);
    const aUploaded = performance.now();
    if (cli.code !== 0)
      throw new Error(`CLI failed (${cli.code}): ${cli.stderr.slice(-2_000)} ${cli.stdout.slice(-2_000)}`);
    const answer = JSON.parse(cli.stdout) as { task_id: string | null; counts: Record<string, number> };
    if (!answer.task_id) throw new Error(`the CLI started no analysis: ${cli.stdout.slice(0, 1_000)}`);
    const outcome = await resultOf<CollectionAnalysisResult>(stack.temporal, answer.task_id);
    const aEnd = performance.now();
    const workerStats = await stack.worker!.stats();
    const [collection] = await stack.sql<{ status: string }[]>`SELECT status FROM collections WHERE id = ${created.id}`;
    const full = {
      totalMs: aEnd - a0,
      uploadMs: aUploaded - a0,
      processMs: aEnd - aUploaded,
      status: collection.status,
      result: { processed: outcome.processed, failed: outcome.failed },
    };
    log(
      `p1 (a): ${seconds(full.totalMs)} s (upload ${seconds(full.uploadMs)} s, process ${seconds(full.processMs)} s), ${collection.status}`,
    );

    // Where (a)'s processing time went: every document's history (a sample in the full run).
    const allChildren = await listRuns(
      stack.temporal,
      `CollectionId = '${created.id}' AND Kind = 'document_processing'`,
    );
    const children = allChildren.slice(0, quick ? 200 : 300);
    const timings = await mapWithConcurrency(children, 8, (child) =>
      timingOf(stack.temporal, child.workflowId, child.runId),
    );
    const grouped = await groupTimings(stack.temporal, answer.task_id);
    const sum = (key: keyof ChildTiming) => timings.reduce((total, timing) => total + timing[key], 0);
    const perDoc = (key: keyof ChildTiming) => round(sum(key) / Math.max(1, timings.length), 1);
    const concurrency = config.max_concurrent_documents;
    const documents = files.length;
    const barePerDocMs =
      ((stepMs.extractAndChunkDocument ?? 0) +
        (stepMs.extractDocumentMetadata ?? 0) +
        (stepMs.embedDocumentChunks ?? 0) +
        (stepMs.extractDocumentEntities ?? 0) +
        (stepMs.markDocumentProcessed ?? 0)) /
      documents;
    const breakdown = {
      // Units of work: documents in their own documentProcessing workflow (PDFs, big ones), the others in group activities.
      units: {
        own_workflow_documents: allChildren.length,
        grouped_documents: grouped.documents,
        groups: grouped.groups,
        analysis_runs: grouped.runs,
      },
      per_grouped_document_ms: {
        activity_running: round(grouped.runMs / Math.max(1, grouped.documents), 1),
        activity_queued: round(grouped.queueMs / Math.max(1, grouped.documents), 1),
      },
      sampled_documents: timings.length,
      // Activities (not local activities) per document: 4 when each step is its own, 1 when grouped (processDocument).
      activities_per_document: round(sum('activities') / Math.max(1, timings.length), 2),
      per_document_ms_full_path: {
        total: perDoc('totalMs'),
        activity_running: perDoc('runMs'),
        activity_queued: perDoc('queueMs'),
        between_steps: perDoc('otherMs'),
      },
      per_document_ms_bare_loop: round(barePerDocMs, 1),
      // With `concurrency` lanes, a lane's document-to-document time beyond its child's own duration is parent-side (child start, result, continue-as-new).
      lane_ms_per_document_full_path: round((full.processMs * concurrency) / documents, 1),
      lane_ms_per_document_bare_loop: round((bare.processMs * concurrency) / documents, 1),
      // CPU time: the bare loop's process during (b), the worker's during (a) (the API and Temporal server come on top).
      cpu_ms: { bare_loop_process: round(bareCpuMs, 0), worker_process: workerStats.cpuMs },
      event_loop_delay_ms: { bare_loop: bareLoopMs, worker_main_thread: workerStats.eventLoopDelayMs },
      bare_step_ms_per_document: Object.fromEntries(
        Object.entries(stepMs).map(([name, total]) => [name, round(total / documents, 2)]),
      ),
    };

    const ratio = full.totalMs / bare.totalMs;
    const ratioWindowed = full.totalMs / bareWindow.totalMs;
    const notes: string[] = [];
    notes.push(
      `against the bare loop without page barriers (b'): ${seconds(full.totalMs)} s vs ${seconds(bareWindow.totalMs)} s = ${round(ratioWindowed, 2)}× ` +
        `(processing only ${round(full.processMs / bareWindow.processMs, 2)}×); the bare loop with barriers (b): ${seconds(bare.totalMs)} s`,
    );
    notes.push(
      `units: ${allChildren.length} document(s) in their own workflow, ${grouped.documents} in ${grouped.groups} group activities over ${grouped.runs} analysis run(s); ` +
        `a grouped document: ${breakdown.per_grouped_document_ms.activity_running} ms of its group's running time, ${breakdown.per_grouped_document_ms.activity_queued} ms of its queueing`,
    );
    notes.push(
      `processing only: (a) ${seconds(full.processMs)} s vs (b) ${seconds(bare.processMs)} s = ${round(full.processMs / bare.processMs, 2)}×; ` +
        `upload/store: (a) ${seconds(full.uploadMs)} s vs (b) ${seconds(bare.storeMs)} s = ${round(full.uploadMs / bare.storeMs, 2)}×`,
    );
    notes.push(
      `per document in its own workflow (full path, ${timings.length} histories, ${breakdown.activities_per_document} activities each): ${breakdown.per_document_ms_full_path.total} ms in its child workflow, of which ${breakdown.per_document_ms_full_path.activity_running} ms activities running, ` +
        `${breakdown.per_document_ms_full_path.activity_queued} ms activities queued, ${breakdown.per_document_ms_full_path.between_steps} ms between steps; ` +
        `a lane spends ${breakdown.lane_ms_per_document_full_path} ms per document (bare loop: ${breakdown.lane_ms_per_document_bare_loop} ms, steps ${breakdown.per_document_ms_bare_loop} ms)`,
    );
    notes.push(
      `CPU: worker ${seconds(workerStats.cpuMs)} s during (a) vs bare-loop process ${seconds(bareCpuMs)} s during (b); ` +
        `event loop delay p50/p99/max: worker ${workerStats.eventLoopDelayMs.p50}/${workerStats.eventLoopDelayMs.p99}/${workerStats.eventLoopDelayMs.max} ms, bare loop ${bareLoopMs.p50}/${bareLoopMs.p99}/${bareLoopMs.max} ms`,
    );
    return {
      figures: { [figure]: round(ratio) },
      details: {
        documents,
        texts: p1Sizes(quick).texts,
        pdfs: p1Sizes(quick).pdfs,
        bytes,
        concurrency,
        max_concurrent_activities: config.max_concurrent_activities,
        full_path: {
          ...full,
          totalMs: round(full.totalMs, 0),
          uploadMs: round(full.uploadMs, 0),
          processMs: round(full.processMs, 0),
        },
        bare_loop: {
          ...bare,
          totalMs: round(bare.totalMs, 0),
          storeMs: round(bare.storeMs, 0),
          processMs: round(bare.processMs, 0),
        },
        bare_loop_without_page_barriers: {
          ...bareWindow,
          totalMs: round(bareWindow.totalMs, 0),
          storeMs: round(bareWindow.storeMs, 0),
          processMs: round(bareWindow.processMs, 0),
          ratio: round(ratioWindowed),
        },
        uploaded: answer.counts,
        breakdown,
      },
      notes,
    };
  } finally {
    await stack.teardown();
  }
}
