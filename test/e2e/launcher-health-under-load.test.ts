// Issue: under `npm start` the API shared the worker's event loop, and
// `GET /health` went unanswered for 30 s at a time while big PDFs were
// chunked. Now the API is a process of its own: this starts the launcher,
// has it process a few 1,500-page PDFs, and probes /health every 100 ms the
// whole time. Every probe must be answered (2 s each is generous); the
// latencies are reported, not asserted (timing belongs in bench/). On
// embedded PGlite, or with DATABASE_URL set on a fresh schema of that database.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pdfFixture, prose } from '../fixtures/documents.ts';
import { file, postMultipart } from '../fixtures/multipart.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { request } from '../support/http.ts';
import { launch, launcherPorts, stop, type Launched } from '../support/launcher.ts';

const DOCUMENTS = 3;
const PAGES = 1_500;
const PROBE_EVERY_MS = 100;
const PROBE_TIMEOUT_MS = 2_000;
const TOPICS = ['radioactivity', 'polonium', 'radium', 'uranium', 'thorium', 'isotopes'];

interface Probe {
  at: number;
  ms: number;
  status: number | 'timeout' | 'error';
}

/** A PDF of `pages` pages of prose, each page different, so chunking has real work. */
async function bigPdf(index: number) {
  const pages = Array.from(
    { length: PAGES },
    (_, page) => `Document ${index}, page ${page + 1}. ${prose(TOPICS[(index + page) % TOPICS.length]!, 12)}`,
  );
  const { bytes } = await pdfFixture({ pages, title: `Big document ${index}` });
  return { filename: `big-${index}.pdf`, bytes: Buffer.from(bytes) };
}

/** Probes `url` every PROBE_EVERY_MS (whether or not the last one has answered) until `stop()`. */
function probeContinuously(url: string) {
  const probes: Probe[] = [];
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const at = performance.now();
    const probe = fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
      .then(async (response) => {
        await response.arrayBuffer();
        probes.push({ at, ms: performance.now() - at, status: response.status });
      })
      .catch((error: Error) => {
        probes.push({ at, ms: performance.now() - at, status: error.name === 'TimeoutError' ? 'timeout' : 'error' });
      })
      .finally(() => inFlight.delete(probe));
    inFlight.add(probe);
  }, PROBE_EVERY_MS);
  return {
    probes,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function summarise(probes: Probe[]): string {
  const latencies = probes
    .filter((probe) => probe.status === 200)
    .map((probe) => probe.ms)
    .sort((a, b) => a - b);
  const ms = (value: number | undefined) => `${(value ?? NaN).toFixed(1)} ms`;
  return (
    `/health probes: ${probes.length}, answered ${latencies.length}; ` +
    `p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1))}`
  );
}

describe('npm start: GET /health while the worker processes big PDFs', () => {
  let dataDir: string;
  let launched: Launched | undefined;
  let database: TestDatabase | undefined;
  after(async () => {
    if (launched && launched.child.exitCode === null) await stop(launched);
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test(`every /health probe is answered while ${DOCUMENTS} PDFs of ${PAGES} pages are processed`, async (t) => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-health-'));
    const documents = await Promise.all(Array.from({ length: DOCUMENTS }, (_, i) => bigPdf(i)));
    t.diagnostic(
      `documents: ${documents.map((doc) => `${doc.filename} ${(doc.bytes.length / 1e6).toFixed(1)} MB`).join(', ')}`,
    );

    // With DATABASE_URL, a schema of our own in it; without, the launcher's own PGlite.
    if (process.env.DATABASE_URL) database = await createTestDatabase();
    launched = await launch(dataDir, await launcherPorts(), database?.url);
    t.diagnostic(`database: ${database ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite'}`);
    const api = launched.api;
    assert.equal((await request('POST', `${api}/collections`, { name: 'big' })).status, 201);
    for (const doc of documents) {
      const upload = await postMultipart(`${api}/collections/big/documents`, [file(doc.filename, doc.bytes, 'file')]);
      assert.equal(upload.status, 201, JSON.stringify(upload.body));
    }

    const probing = probeContinuously(`${api}/health`);
    const started = performance.now();
    let task: { status: string } = { status: 'RUNNING' };
    try {
      const processing = await request('POST', `${api}/collections/big/process`, {});
      assert.equal(processing.status, 202, JSON.stringify(processing.body));
      const taskId = processing.body.data.task_id as string;
      while (task.status === 'RUNNING') {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        task = (await request('GET', `${api}/tasks/${encodeURIComponent(taskId)}/status`)).body.data;
      }
    } finally {
      // Reported even when following the task failed: the figures are the point.
      await probing.stop();
      t.diagnostic(`processing: ${task.status} after ${((performance.now() - started) / 1000).toFixed(1)} s`);
      t.diagnostic(summarise(probing.probes));
    }

    const status = (await request('GET', `${api}/collections/big/processing-status`)).body.data;
    t.diagnostic(`documents ${JSON.stringify(status.documents.by_status)}, ${status.chunks} chunks`);
    const unanswered = probing.probes.filter((probe) => probe.status !== 200);

    assert.equal(task.status, 'COMPLETED', 'the big documents were processed');
    assert.equal(status.documents.by_status.processed, DOCUMENTS);
    assert.ok(probing.probes.length >= 10, 'probed throughout');
    assert.deepEqual(unanswered, [], `every probe answered 200 within ${PROBE_TIMEOUT_MS} ms`);
  });
});
