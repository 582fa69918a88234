import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { extractRange } from '../../activities/text-work/tasks.ts';
import { loadConfig } from '../../config/load.ts';
import { createPool, type Sql } from '../../db/pool.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../../main/temporal-dev-server.ts';
import type { CollectionAnalysisResult } from '../../workflows/collection-analysis-contract.ts';
import { prose } from '../fixtures/documents.ts';
import { mixedText } from '../fixtures/mixed-text.ts';
import { field, file, postMultipart } from '../fixtures/multipart.ts';
import { makeDocx } from '../fixtures/upload-files.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { request } from '../support/http.ts';
import { freePort } from '../support/ports.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { killHost, startHostProcess, stopHost, type HostProcess } from './host-process.ts';
import { filesUnder, reportFigures, retriesInHistory } from '../support/faults.ts';
import { eventually } from '../support/eventually.ts';

const DOCUMENTS = Number(process.env.FAULT_DOCUMENTS ?? 300);
const WORKERS = 3;
const PAGES_PER_RANGE = 4;
const TOPICS = ['radioactivity', 'polonium', 'spectra', 'isotopes', 'decay', 'calibration'];

interface Upload {
  filename: string;
  bytes: Buffer;
}

/** A PDF of `pages` pages whose text is its own (so no two documents share a hash). */
async function reportPdf(i: number, pages: number): Promise<Upload> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  pdf.setTitle(`Field report ${i}`);
  for (let page = 1; page <= pages; page++) {
    const text = `Field report ${i}, page ${page} of ${pages}. ${prose(TOPICS[(i + page) % TOPICS.length], 8)}`;
    const sheet = pdf.addPage([595, 842]);
    (text.match(/.{1,90}(\s|$)/g) ?? [text]).forEach((line, k) =>
      sheet.drawText(line.trim(), { x: 40, y: 800 - k * 14, size: 10, font }),
    );
  }
  return { filename: `field-report-${i}.pdf`, bytes: Buffer.from(await pdf.save()) };
}

/** 300 documents as people bring them: multi-page PDFs, Word files, and text, Markdown and HTML in many scripts. */
async function documents(count: number): Promise<Upload[]> {
  const out: Upload[] = [];
  for (let i = 0; i < count; i++) {
    const text = mixedText(2_000 + ((i * 7_919) % 24_000), 100 + i);
    switch (i % 10) {
      case 0:
        out.push(await reportPdf(i, 3 + (i % 7) * 2));
        break;
      case 9:
        out.push({
          filename: `letter-${i}.docx`,
          bytes: await makeDocx(`Letter ${i}. ${prose(TOPICS[i % TOPICS.length], 20)}`),
        });
        break;
      case 5:
      case 6:
        out.push({ filename: `notes-${i}.md`, bytes: Buffer.from(`# Notes ${i}\n\n${text.replace(/\n/g, '\n\n')}\n`) });
        break;
      case 7:
      case 8: {
        const paragraphs = text
          .split('\n')
          .map((line) => `<p>${line.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>`)
          .join('\n');
        out.push({
          filename: `page-${i}.html`,
          bytes: Buffer.from(
            `<!doctype html><html><head><title>Page ${i}</title></head><body>\n${paragraphs}\n</body></html>\n`,
          ),
        });
        break;
      }
      default:
        out.push({ filename: `text-${i}.txt`, bytes: Buffer.from(text) });
    }
  }
  return out;
}

/** The chunks the worker must commit for one file: the same extraction and chunker, range by range for a PDF. */
async function expectedChunks(
  filePath: string,
  mimeType: string,
  filename: string,
  limits: { chunkSize: number; overlap: number; maxTokens: number },
): Promise<number> {
  const paged = mimeType === 'application/pdf';
  let total = 0;
  let pageCount = 0;
  for (let index = 0; index === 0 || (paged && index * PAGES_PER_RANGE < pageCount); index++) {
    const channel = new MessageChannel();
    const pages = paged ? { first: index * PAGES_PER_RANGE + 1, last: (index + 1) * PAGES_PER_RANGE } : null;
    const outcome = await extractRange({ progress: channel.port1, file: filePath, mimeType, filename, pages, limits });
    channel.port1.close();
    if (!outcome.ok) throw new Error(`${filename}: ${outcome.message}`);
    pageCount = outcome.pageCount ?? 0;
    total += outcome.chunks.length;
  }
  return total;
}

const STARTED = proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

/** For each worker process (by pid, from its default identity `<pid>@<host>`), the runs whose activities it is executing now. */
async function activitiesByWorker(
  client: Client,
): Promise<Map<number, { workflowId: string; runId: string; activityType: string }[]>> {
  const byPid = new Map<number, { workflowId: string; runId: string; activityType: string }[]>();
  for await (const execution of client.workflow.list({ query: "ExecutionStatus = 'Running'" })) {
    const description = await client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .describe()
      .catch(() => undefined);
    for (const activity of description?.raw.pendingActivities ?? []) {
      const pid = Number(/^(\d+)@/.exec(activity.lastWorkerIdentity ?? '')?.[1]);
      if (activity.state !== STARTED || !pid) continue;
      const runs = byPid.get(pid) ?? [];
      runs.push({
        workflowId: execution.workflowId,
        runId: execution.runId,
        activityType: activity.activityType?.name ?? '?',
      });
      byPid.set(pid, runs);
    }
  }
  return byPid;
}

/** Attempts after the first of the activities in these runs' histories: the work a killed worker held, done again elsewhere. */
async function retriedAttempts(client: Client, runs: { workflowId: string; runId: string }[]): Promise<number> {
  let retried = 0;
  for (const run of runs) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    for (const event of history.events ?? [])
      if ((event.activityTaskStartedEventAttributes?.attempt ?? 0) > 1) retried += 1;
  }
  return retried;
}

/**
 * Many hosts, no shared disk: the API and three workers run as separate
 * processes, each in an empty folder of its own, sharing only Temporal,
 * PostgreSQL and an S3 bucket (rclone serve s3). 300 documents are uploaded
 * through the API and analysed; one worker is SIGKILLed mid-run. Every
 * document must be processed exactly once (the chunks the chunker makes, none
 * twice) and the collection `completed`.
 */
describe(`${WORKERS} worker hosts and an API host sharing only S3, PostgreSQL and Temporal; one worker SIGKILLed mid-run`, () => {
  let s3: S3TestServer;
  let database: TestDatabase;
  let temporal: TemporalDevServer;
  let sql: Sql;
  let api: HostProcess | undefined;
  const workers: HostProcess[] = [];
  let scratch: string;

  before(async () => {
    s3 = await startS3Server();
    database = await createTestDatabase();
    temporal = await startTemporalDevServer({});
    scratch = await mkdtemp(path.join(os.tmpdir(), 'fileintel-multi-host-'));
  });
  after(async () => {
    for (const worker of workers) await stopHost(worker);
    await stopHost(api);
    for (const host of [api, ...workers]) if (host) await rm(host.dir, { recursive: true, force: true });
    await sql?.end({ timeout: 5 });
    await temporal?.stop();
    await database?.drop();
    await s3?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('every document processed exactly once, the collection completed, nothing on any host disk', async () => {
    const started = Date.now();
    const port = await freePort();
    // What every host needs, and nothing else: Temporal, the database, the bucket and its secrets.
    const hostEnv = () => ({
      TEMPORAL_ADDRESS: temporal.address,
      DATABASE_URL: database.url,
      ...Object.fromEntries(
        Object.entries(s3.config).map(([key, value]) => [`FILEINTEL_${key.toUpperCase()}`, JSON.stringify(value)]),
      ),
      ...s3.env,
      FILEINTEL_PDF_PAGES_PER_RANGE: String(PAGES_PER_RANGE),
      FILEINTEL_MAX_CONCURRENT_DOCUMENTS: '9',
      // PGlite serves one session: one connection per process, so one activity slot each.
      FILEINTEL_MAX_CONCURRENT_ACTIVITIES: database.kind === 'pglite' ? '1' : '3',
      FILEINTEL_TEXT_WORKER_THREADS: '1',
      FILEINTEL_DB_POOL_SIZE: database.kind === 'pglite' ? '1' : '5',
    });
    api = await startHostProcess(
      'api',
      'main/api.ts',
      { ...hostEnv(), FILEINTEL_API_PORT: String(port) },
      /\[api\] listening on /,
    );
    const apiUrl = /listening on (\S+)/.exec(api.readyLine)![1];
    // One after the other: each runs the start-up set-up (migrations, search attributes, the reconciler's Schedule).
    for (let n = 1; n <= WORKERS; n++)
      workers.push(await startHostProcess(`worker-${n}`, 'main/worker.ts', hostEnv(), /\[worker\] polling/));

    const config = loadConfig({ FILEINTEL_PDF_PAGES_PER_RANGE: String(PAGES_PER_RANGE) });
    sql = createPool(database.url, config, { singleConnection: database.kind === 'pglite' });

    const created = await request('POST', `${apiUrl}/collections`, { name: 'multi-host' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const collectionId = created.body.data.id as string;
    const uploads = await documents(DOCUMENTS);
    for (let i = 0; i < uploads.length; i += 50) {
      const parts = uploads.slice(i, i + 50).map((upload) => file(upload.filename, upload.bytes));
      const res = await postMultipart(`${apiUrl}/collections/${collectionId}/upload-and-process`, [
        ...parts,
        field('process_immediately', 'false'),
      ]);
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 2_000));
      assert.equal(res.body.data.counts.stored, parts.length);
    }
    const uploadedMs = Date.now() - started;

    const start = await request('POST', `${apiUrl}/collections/${collectionId}/process`, {
      extract_metadata: false,
      generate_embeddings: true,
      build_graph: false,
    });
    assert.equal(start.status, 202, JSON.stringify(start.body));
    const taskId = start.body.data.task_id as string;

    const processed = async () =>
      (
        await sql<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collectionId} AND status = 'processed'`
      )[0].n;
    const threshold = Math.floor(DOCUMENTS * 0.3);
    await eventually(processed, (n) => n >= threshold, `${threshold} documents processed before the kill`, {
      timeoutMs: 20 * 60_000,
      everyMs: 200,
    });
    // The worker to kill is one executing activities right now, so its work must be taken over by the others.
    const pids = new Set(workers.map((worker) => worker.pid));
    const busy = await eventually(
      () => activitiesByWorker(temporal.env.client),
      (map) => [...map.keys()].some((pid) => pids.has(pid)),
      'a worker executing an activity',
      { timeoutMs: 5 * 60_000, everyMs: 100 },
    );
    const [killedPid, heldRuns] = [...busy.entries()]
      .filter(([pid]) => pids.has(pid))
      .sort((a, b) => b[1].length - a[1].length)[0];
    const killed = workers.find((worker) => worker.pid === killedPid)!;
    const atKill = await processed();
    await killHost(killed);
    const held = heldRuns.map((run) => run.activityType);
    console.log(
      `SIGKILL ${killed.name} (pid ${killed.pid}) at ${atKill}/${DOCUMENTS} processed, executing ${held.join(', ')}`,
    );

    const result = (await temporal.env.client.workflow.getHandle(taskId).result()) as CollectionAnalysisResult;
    const processedMs = Date.now() - started;
    assert.equal(result.status, 'completed', JSON.stringify(result).slice(0, 2_000));
    assert.equal(result.processed, DOCUMENTS);
    assert.equal(result.failed, 0);
    const [collection] = await sql<{ status: string }[]>`SELECT status FROM collections WHERE id = ${collectionId}`;
    assert.equal(collection.status, 'completed');

    // Exactly once: per document the chunks a run of the chunker makes on the same bytes, ordinals 0..n-1, each embedded once.
    const rows = await sql<
      {
        id: string;
        original_filename: string;
        mime_type: string;
        status: string;
        n: number;
        max: number | null;
        distinct: number;
        embedded: number;
      }[]
    >`
      SELECT d.id, d.original_filename, d.mime_type, d.status, count(c.ordinal)::int AS n, max(c.ordinal)::int AS max,
             count(DISTINCT c.ordinal)::int AS distinct, count(c.embedding)::int AS embedded
      FROM documents d LEFT JOIN chunks c ON c.document_id = d.id WHERE d.collection_id = ${collectionId}
      GROUP BY d.id, d.original_filename, d.mime_type, d.status`;
    assert.equal(rows.length, DOCUMENTS, 'one row per document');
    const bytesByName = new Map(uploads.map((upload) => [upload.filename, upload.bytes]));
    const limits = { chunkSize: config.chunk_size, overlap: config.chunk_overlap, maxTokens: config.chunk_max_tokens };
    let chunks = 0;
    for (const row of rows) {
      assert.equal(row.status, 'processed', row.original_filename);
      const local = path.join(scratch, row.original_filename);
      await writeFile(local, bytesByName.get(row.original_filename)!);
      const want = await expectedChunks(local, row.mime_type, row.original_filename, limits);
      assert.equal(row.n, want, `${row.original_filename}: the chunks the chunker makes, none doubled`);
      assert.equal(row.distinct, row.n, `${row.original_filename}: no ordinal twice`);
      assert.equal(row.max, row.n - 1, `${row.original_filename}: ordinals 0..n-1`);
      assert.equal(row.embedded, row.n, `${row.original_filename}: every chunk embedded`);
      chunks += row.n;
    }
    const [ranges] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM document_ranges r JOIN documents d ON d.id = r.document_id
      WHERE d.collection_id = ${collectionId} AND d.mime_type = 'application/pdf'`;
    const pdfRanges = ranges.n;
    const runKey = taskId.split(':').pop()!;
    const pdfIds = rows
      .filter((row) => row.mime_type === 'application/pdf')
      .map((row) => `document:${row.id}:${runKey}`);
    const retries = await retriesInHistory(temporal.env.client, pdfIds);
    // What the killed worker held was attempted again (by another worker: it never came back).
    const retriedHeld = await retriedAttempts(temporal.env.client, heldRuns);
    assert.ok(retriedHeld >= 1, `the activities the killed worker held were retried: ${JSON.stringify(heldRuns)}`);

    // No shared disk: the API and the workers that were not killed leave their folders (cwd, data_dir, TMPDIR) empty.
    const survivors = workers.filter((worker) => worker !== killed);
    for (const worker of survivors) await stopHost(worker);
    await stopHost(api);
    // tsx's compile cache (tsx-<uid>/ under TMPDIR) is the loader's, not FileIntel's.
    const written = async (host: HostProcess) =>
      (await filesUnder(host.dir)).filter((file) => !/^tsx-\d+\//.test(file));
    for (const host of [api, ...survivors])
      assert.deepEqual(await written(host), [], `${host.name} wrote nothing to its disk`);
    const leftByKilled = (await written(killed)).length;

    reportFigures('multi-host', {
      database: database.kind,
      documents: DOCUMENTS,
      workers: WORKERS,
      kill: { at_processed: atKill, held_activities: held },
      retried_attempts_of_held_runs: retriedHeld,
      result: { status: result.status, processed: result.processed, failed: result.failed },
      chunks,
      pdf_ranges: pdfRanges,
      retries_in_pdf_document_histories: retries,
      files_left_by_killed_worker: leftByKilled,
      upload_seconds: Math.round(uploadedMs / 1000),
      seconds: Math.round(processedMs / 1000),
    });
  });
});
