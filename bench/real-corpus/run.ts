// `npm run bench:corpus -- --dir /work/corpus`: drives a running FileIntel
// (`npm start`) through its HTTP API with a corpus of real documents, to check
// that every readable document ends `processed`, no step dies of a heartbeat
// timeout, and the API keeps answering while it works. Creates a collection,
// uploads the corpus, starts processing, follows the task to its end while
// probing GET /health every 500 ms, then reads the outcome back and reports it
// (stdout and a JSON file). It stops by itself after --timeout minutes.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileIntelClient } from '../../api/client/index.ts';
import type { BatchUploadResult } from '../../api/client/uploads.ts';
import { parseRealCorpusArgs, USAGE, UsageError, type RealCorpusOptions } from './args.ts';
import { listCorpus, readManifest, type CorpusFile } from './files.ts';
import { startHealthProbe, type HealthProbe } from './health.ts';
import { chunkFigures, countTimeouts, largestPdfs, listCollectionDocuments, summariseDocuments } from './outcome.ts';
import { emptyReport, formatReport, judge, type RealCorpusReport } from './report.ts';

const log = (message: string) =>
  process.stderr.write(`[real-corpus ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const seconds = (ms: number) => Math.round(ms / 100) / 10;
/** Upload progress is logged at most this often. */
const UPLOAD_LOG_EVERY_MS = 5_000;
/** Following the task gives up when no status poll has been answered for this long (the API is gone). */
const API_GONE_MS = 5 * 60_000;
/** After --timeout, reading the outcome back may take this long before the run gives up on the API. */
const READ_BACK_GRACE_MS = 120_000;

/** The value of `work`, or 'timeout' once the run's deadline passes (the work itself is left to the exit). */
async function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T | 'timeout'> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      work,
      sleep(Math.max(0, deadline - Date.now()), 'timeout' as const, { signal: timer.signal }),
    ]);
  } finally {
    timer.abort();
  }
}

/**
 * Fills `report` step by step, so a run that throws half-way still reports
 * what it got; `running.probe` lets main read the health figures of a run it
 * had to give up on.
 */
async function run(
  options: RealCorpusOptions,
  report: RealCorpusReport,
  running: { probe?: HealthProbe },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const client = new FileIntelClient({ baseUrl: options.apiUrl });

  // Fails fast, with the API's own words, when nothing is listening or it is unhealthy.
  await client.health();
  const limits = await client.uploads.limits();
  const { accepted, skipped } = await listCorpus(options.dir, limits.allowed_extensions);
  const manifest = await readManifest(options.dir);
  report.corpus = {
    accepted_files: accepted.length,
    accepted_bytes: accepted.reduce((sum, file) => sum + file.size, 0),
    by_type: {},
    skipped: skipped.map((file) => file.relative),
    manifest_entries: manifest.size,
  };
  for (const file of accepted) {
    const type = (report.corpus.by_type[file.extension] ??= { files: 0, bytes: 0 });
    type.files += 1;
    type.bytes += file.size;
  }
  if (accepted.length === 0)
    throw new Error(`no file in ${options.dir} has an accepted extension (${limits.allowed_extensions.join(', ')})`);
  log(
    `corpus: ${accepted.length} files, ${(report.corpus.accepted_bytes / 1_048_576).toFixed(1)} MB; ${skipped.length} skipped`,
  );

  const collection = await client.collections.create(options.collection, `real-corpus run of ${options.dir}`);
  report.run.collection = { id: collection.id, name: collection.name };
  log(`collection ${collection.name} (${collection.id})`);

  const health = startHealthProbe(client.http);
  running.probe = health;
  try {
    const byPath = new Map(accepted.map((file) => [file.path, file]));
    const stored = await upload(client, options, accepted, collection.id, deadline, report);
    if (stored === 'timeout') return;
    const storedFiles = stored.files
      .filter((file) => file.document_id && (file.outcome === 'stored' || file.outcome === 'duplicate'))
      .map((file) => ({ file: byPath.get(file.path)!, documentId: file.document_id! }));

    if (storedFiles.length > 0) await processAndFollow(client, options, collection.id, deadline, report);

    const extensionByName = new Map(storedFiles.map(({ file }) => [path.basename(file.path), file.extension]));
    const documents = await listCollectionDocuments(client, collection.id);
    report.documents = summariseDocuments(
      documents,
      (filename) => extensionByName.get(filename) ?? (path.extname(filename).slice(1).toLowerCase() || '?'),
    );
    report.timeouts = countTimeouts([...documents.map((document) => document.error), report.processing?.task_error]);
    report.chunks = chunkFigures(await client.analysis.processingStatus(collection.id));
    report.largest_pdfs = await largestPdfs(client, storedFiles, manifest);
  } finally {
    report.health = await health.stop();
  }
}

async function upload(
  client: FileIntelClient,
  options: RealCorpusOptions,
  files: CorpusFile[],
  collectionId: string,
  deadline: number,
  report: RealCorpusReport,
): Promise<BatchUploadResult | 'timeout'> {
  const started = Date.now();
  let lastLog = 0;
  let bytesSent = 0;
  const uploading = client.uploads.uploadDocumentsBatch(
    collectionId,
    files.map((file) => file.path),
    {
      concurrency: options.concurrency,
      atomic: false,
      process: false,
      onProgress: (progress) => {
        bytesSent = progress.bytesSent;
        if (Date.now() - lastLog < UPLOAD_LOG_EVERY_MS && progress.filesDone < progress.filesTotal) return;
        lastLog = Date.now();
        log(
          `upload ${progress.filesDone}/${progress.filesTotal} files, ${(progress.bytesSent / 1_048_576).toFixed(1)}/${(progress.bytesTotal / 1_048_576).toFixed(1)} MB`,
        );
      },
    },
  );
  const result = await beforeDeadline(uploading, deadline);
  if (result === 'timeout') {
    report.run.stopped_by_timeout = 'upload';
    return result;
  }
  const elapsedMs = Date.now() - started;
  report.upload = {
    elapsed_s: seconds(elapsedMs),
    mb_sent: Math.round((bytesSent / 1_048_576) * 10) / 10,
    // Of the bytes actually sent: a file refused before sending (too large) is not counted.
    mb_per_s: Math.round((bytesSent / 1_048_576 / Math.max(elapsedMs / 1000, 0.001)) * 10) / 10,
    counts: result.counts,
    refused: result.files
      .filter((file) => file.outcome !== 'stored' && file.outcome !== 'duplicate')
      .map((file) => ({
        file: path.relative(options.dir, file.path),
        outcome: file.outcome,
        reason: file.reason ?? null,
        message: file.message ?? null,
      })),
  };
  log(
    `upload done in ${report.upload.elapsed_s} s: ${result.counts.stored} stored, ${result.counts.duplicate} duplicate, ${report.upload.refused.length} not stored`,
  );
  return result;
}

/** POST …/process, then polls the task until it leaves RUNNING or the deadline passes. A failed poll is counted and retried. */
async function processAndFollow(
  client: FileIntelClient,
  options: RealCorpusOptions,
  collectionId: string,
  deadline: number,
  report: RealCorpusReport,
) {
  const started = Date.now();
  const answer = await client.analysis.process(collectionId, { build_graph: options.buildGraph });
  log(`processing task ${answer.task_id}: ${answer.documents} documents`);
  const processing: NonNullable<RealCorpusReport['processing']> = {
    task_id: answer.task_id,
    documents_taken: answer.documents,
    elapsed_s: 0,
    final_status: 'RUNNING',
    task_error: null,
    last_progress: null,
    polls: 0,
    poll_errors: 0,
    last_poll_error: null,
  };
  report.processing = processing;
  let lastLine = '';
  let lastAnswer = Date.now();
  for (;;) {
    processing.polls += 1;
    try {
      const status = await client.tasks.status(answer.task_id);
      lastAnswer = Date.now();
      processing.final_status = status.status;
      processing.task_error = status.error;
      processing.last_progress = status.progress;
      const progress = status.progress;
      const line = progress
        ? `${progress.phase}: ${progress.processed} processed, ${progress.failed} failed, ${progress.in_flight} in flight of ${progress.total}`
        : status.status;
      if (line !== lastLine) log(`task ${status.status} ${line}`);
      lastLine = line;
      if (status.status !== 'RUNNING') break;
    } catch (error) {
      processing.poll_errors += 1;
      processing.last_poll_error = (error as Error).message;
      log(`status poll failed: ${processing.last_poll_error}`);
      if (Date.now() - lastAnswer > API_GONE_MS) {
        report.run.aborted = `no status poll answered for ${API_GONE_MS / 60_000} min (last error: ${processing.last_poll_error})`;
        break;
      }
    }
    if (Date.now() + options.pollMs > deadline) {
      report.run.stopped_by_timeout = 'processing';
      log(`--timeout reached; task ${answer.task_id} is left as it is`);
      break;
    }
    await sleep(options.pollMs);
  }
  processing.elapsed_s = seconds(Date.now() - started);
}

async function main() {
  let options: RealCorpusOptions;
  try {
    options = parseRealCorpusArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    if (error.message) process.stderr.write(`${error.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }

  const report = emptyReport({ api: options.apiUrl, corpusDir: options.dir, timeoutMin: options.timeoutMs / 60_000 });
  const running: { probe?: HealthProbe } = {};
  try {
    const outcome = await beforeDeadline(
      run(options, report, running),
      Date.now() + options.timeoutMs + READ_BACK_GRACE_MS,
    );
    if (outcome === 'timeout') {
      report.run.aborted = `no end ${READ_BACK_GRACE_MS / 1000} s after --timeout (the API stopped answering?)`;
      report.health = running.probe?.snapshot() ?? null;
    }
  } catch (error) {
    // Keep the first reason (e.g. the API gone while following the task); the read-back failing after it is a consequence.
    const message = (error as Error).message;
    report.run.aborted = report.run.aborted ? `${report.run.aborted}; then: ${message}` : message;
  }
  report.run.finished_at = new Date().toISOString();
  report.verdict = judge(report);

  await mkdir(path.dirname(options.out), { recursive: true });
  await writeFile(options.out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(formatReport(report, options.out));
  // An upload cut short by --timeout may still hold sockets open: leave at once.
  process.exit(report.verdict.passed ? 0 : 1);
}

await main();
