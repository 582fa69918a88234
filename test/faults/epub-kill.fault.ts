import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { decodeTimeoutType } from '@temporalio/common';
import { workflowIds } from '../../workflows/ids.ts';
import type { FixtureFile } from '../fixtures/documents.ts';
import { prose } from '../fixtures/documents.ts';
import { longEpub } from '../fixtures/structured-documents.ts';
import { eventually } from '../support/eventually.ts';
import {
  forkWorkerChild,
  killHard,
  reportFigures,
  retriesInHistory,
  runsOf,
  stopChild,
  type Child,
} from '../support/faults.ts';
import { analyseAll, analysisOutcome, collectionWith } from '../support/one-document-collections.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const CHAPTERS = 60;
const PARAGRAPHS = 20;
const CHAPTERS_PER_RANGE = 3;
/** A small range of characters (the config allows 10,000 and up): the HTML page below takes about 20. */
const CHARS_PER_RANGE = 20_000;
/** Ranges committed when the worker is killed (of about 20): the retry has several to leave alone. */
const KILL_AFTER_RANGES = 5;
/** Short, so the retry on the restarted worker starts seconds after the kill, not the default minute. */
const HEARTBEAT_TIMEOUT_SECONDS = 5;
/** The same keys for the stack (whose config the analysis is started with) and for every worker child. */
const RANGE_CONFIG = {
  epub_chapters_per_range: CHAPTERS_PER_RANGE,
  text_chars_per_range: CHARS_PER_RANGE,
  document_heartbeat_timeout_seconds: HEARTBEAT_TIMEOUT_SECONDS,
};

/** "<Section> n, paragraph p.": each paragraph of the books below begins with its own marker, found once in a clean run. */
const marker = (section: string, n: number, p: number) => `${section} ${n}, paragraph ${p}.`;

/** A long HTML book read in ranges of characters: `sections` sections, each an h2 under the book's h1. */
function longHtml(sections: number, paragraphs: number): FixtureFile {
  const body = Array.from(
    { length: sections },
    (_, i) =>
      `<h2>Section ${i + 1}</h2>\n` +
      Array.from(
        { length: paragraphs },
        (_, p) => `<p>${marker('Section', i + 1, p + 1)} ${prose('decay', 4)}</p>\n`,
      ).join(''),
  ).join('');
  const html = `<!DOCTYPE html><html><head><title>A Long Page</title></head><body><main><h1>A Long Page</h1>\n${body}</main></body></html>\n`;
  return { filename: `long-${sections}-sections.html`, mimeType: 'text/html', bytes: Buffer.from(html) };
}

interface KillCase {
  name: string;
  unit: 'chapter' | 'character';
  file: () => Promise<FixtureFile>;
  /** What a paragraph of section n begins with, and the heading path its chunk must carry. */
  section: string;
  headingPath: (n: number) => string[];
  /** How the analysis runs it: both files are small (under 1 MB), so in a group activity, unless `small_document_mb` is 0. */
  unitOfWork: 'group' | 'own workflow';
}

const CASES: KillCase[] = [
  {
    name: `a ${CHAPTERS}-chapter EPUB read ${CHAPTERS_PER_RANGE} chapters a range`,
    unit: 'chapter',
    file: () => longEpub(CHAPTERS, PARAGRAPHS),
    section: 'Chapter',
    headingPath: (n) => [`Chapter ${n}`],
    unitOfWork: 'group',
  },
  {
    name: `a ${CHAPTERS}-section HTML page read ${CHARS_PER_RANGE} characters a range`,
    unit: 'character',
    file: async () => longHtml(CHAPTERS, PARAGRAPHS),
    section: 'Section',
    headingPath: (n) => ['A Long Page', `Section ${n}`],
    unitOfWork: 'own workflow',
  },
];

interface RangeRow {
  range_index: number;
  page_start: number | null;
  page_end: number | null;
  first_ordinal: number;
  chunk_count: number;
  attempt: number;
  committed_at: Date;
}

interface ChunkRow {
  ordinal: number;
  text: string;
  page_start: number | null;
  page_end: number | null;
  embedded: boolean;
  metadata: { heading_path: string[]; char_start: number; own_start: number };
}

/**
 * A long EPUB (read in ranges of chapters) and a long HTML page (in ranges
 * of characters), each processed by a worker in a child process that is
 * SIGKILLed once a quarter of its ranges are committed (before the last), then
 * restarted. The document must end `processed` with exactly the chunks a
 * clean run of the same file makes (compared chunk by chunk with a reference
 * run, and with what the book says: every paragraph once, in order, under its
 * heading); the ranges committed before the kill must be the very rows the
 * killed attempt wrote (the retry resumed after them), and the history must
 * show the heartbeat timeout and the retry.
 */
describe('a worker SIGKILLed mid-document resumes a long EPUB, and a long HTML page, at the first range not committed', () => {
  let stack: TestStack;
  let worker: Child | undefined;
  before(async () => {
    stack = await startTestStack({ worker: false, api: false, config: RANGE_CONFIG });
  });
  // Each case ends with its worker stopped: a worker left running would go on with the next case's document past its kill.
  afterEach(async () => {
    await stopChild(worker);
    worker = undefined;
  });
  after(async () => {
    await stopChild(worker);
    await stack?.teardown();
  });

  /** The analysis's planning (which documents go in groups) runs in the worker, on the worker's config. */
  const startWorker = (kase: KillCase) =>
    forkWorkerChild(stack, {
      ...RANGE_CONFIG,
      ...(kase.unitOfWork === 'own workflow' ? { small_document_mb: 0 } : {}),
    });

  const rangesOf = (documentId: string) =>
    stack.sql<RangeRow[]>`
      SELECT range_index, page_start, page_end, first_ordinal, chunk_count, attempt, committed_at
      FROM document_ranges WHERE document_id = ${documentId} ORDER BY range_index`;

  const chunksOf = (documentId: string) =>
    stack.sql<ChunkRow[]>`
      SELECT ordinal, text, page_start, page_end, embedding IS NOT NULL AS embedded, metadata
      FROM chunks WHERE document_id = ${documentId} ORDER BY ordinal`;

  /** Each chunk as what a clean run must reproduce: ordinal, pages, heading path and a hash of its text. */
  const fingerprint = (chunks: ChunkRow[]) =>
    chunks.map(
      (chunk) =>
        `${chunk.ordinal} p${chunk.page_start}-${chunk.page_end} [${chunk.metadata.heading_path.join(' › ')}] ` +
        createHash('sha256').update(chunk.text).digest('hex').slice(0, 16),
    );

  /**
   * What the book says: ordinals 0..n-1, every chunk embedded, and every
   * paragraph's marker exactly once in the chunks' own text (overlap left out),
   * in the book's order, in a chunk under its section's heading path.
   */
  function assertBookIntact(chunks: ChunkRow[], kase: KillCase, label: string) {
    assert.deepEqual(
      chunks.map((chunk) => chunk.ordinal),
      chunks.map((_, i) => i),
      `${label}: ordinals 0..n-1, none doubled or missing`,
    );
    assert.ok(
      chunks.every((chunk) => chunk.embedded),
      `${label}: every chunk embedded`,
    );
    const owned = chunks.map((chunk) => ({
      ordinal: chunk.ordinal,
      path: chunk.metadata.heading_path,
      page: chunk.page_start,
      text: chunk.text.slice(Math.max(0, chunk.metadata.own_start - chunk.metadata.char_start)).replace(/\s+/g, ' '),
    }));
    const whole = owned.map((chunk) => chunk.text).join(' ');
    let previous = -1;
    for (let n = 1; n <= CHAPTERS; n++) {
      for (let p = 1; p <= PARAGRAPHS; p++) {
        const wanted = marker(kase.section, n, p);
        const at = whole.indexOf(wanted);
        assert.ok(at > previous, `${label}: "${wanted}" is there, after the paragraph before it`);
        assert.equal(whole.indexOf(wanted, at + 1), -1, `${label}: "${wanted}" only once`);
        previous = at;
      }
      // A chunk is under the path where it starts: the first one may start above section 1 (the book's title) and run into it.
      const wanted = kase.headingPath(n).join(' › ');
      const own = owned.filter((chunk) => chunk.text.includes(`${kase.section} ${n}, paragraph `));
      assert.ok(
        own.every(
          (chunk) =>
            chunk.path.join(' › ') === wanted || (chunk.ordinal === 0 && wanted.startsWith(chunk.path.join(' › '))),
        ),
        `${label}: ${kase.section} ${n}'s chunks are under ${wanted}: ${JSON.stringify(own.map((c) => c.path))}`,
      );
      if (kase.unit === 'chapter')
        assert.ok(
          own.every((chunk) => chunk.page === n),
          `${label}: chapter ${n}'s chunks on its page`,
        );
    }
  }

  for (const kase of CASES) {
    test(`${kase.name}, in its ${kase.unitOfWork}: processed, the chunks of a clean run, the committed ranges not read again`, async () => {
      const started = Date.now();
      const file = await kase.file();
      const killed = await collectionWith(stack, `kill-${kase.unit}`, file);
      worker = await startWorker(kase);
      const taskId = await analyseAll(stack, killed.collectionId);

      // The moment: a quarter of the ranges committed (polled closely: a range takes a tenth of a second or more), then SIGKILL.
      await eventually(
        async () => (await rangesOf(killed.documentId)).length,
        (n) => n >= KILL_AFTER_RANGES,
        `${KILL_AFTER_RANGES} ranges committed`,
        { timeoutMs: 5 * 60_000, everyMs: 5 },
      );
      await killHard(worker);
      const killedAt = new Date();
      const beforeKill = [...(await rangesOf(killed.documentId))];

      worker = await startWorker(kase);
      const restartMs = Date.now() - killedAt.getTime();
      // The reference: the same file in another collection, processed without a kill (while the killed attempt's heartbeat times out).
      const reference = await collectionWith(stack, `reference-${kase.unit}`, {
        ...file,
        filename: `reference-${file.filename}`,
      });
      const referenceTaskId = await analyseAll(stack, reference.collectionId);
      assert.deepEqual(await analysisOutcome(stack, taskId), { status: 'completed', processed: 1, failed: 0 });
      assert.deepEqual(await analysisOutcome(stack, referenceTaskId), { status: 'completed', processed: 1, failed: 0 });

      const [row] = await stack.sql`SELECT status, error, metadata FROM documents WHERE id = ${killed.documentId}`;
      assert.deepEqual({ status: row.status, error: row.error }, { status: 'processed', error: null });
      assert.equal(row.metadata.extraction.range_unit, kase.unit);

      // Killed mid-document: at least one range committed, and not the last.
      const referenceRanges = [...(await rangesOf(reference.documentId))];
      const total = referenceRanges.length;
      if (kase.unit === 'chapter') assert.equal(total, Math.ceil(CHAPTERS / CHAPTERS_PER_RANGE));
      assert.ok(total >= 10, `the file takes many ranges (${total})`);
      assert.ok(
        beforeKill.length >= 1 && beforeKill.length < total,
        `killed mid-document: ${beforeKill.length} of ${total} ranges committed`,
      );

      // The chunks: exactly those of the clean run, and what the book says.
      const [chunks, expected] = [await chunksOf(killed.documentId), await chunksOf(reference.documentId)];
      assertBookIntact(expected, kase, 'the reference run');
      assertBookIntact(chunks, kase, 'the killed run');
      assert.deepEqual(
        fingerprint(chunks),
        fingerprint(expected),
        'the same chunks as a clean run: ordinals, pages, heading paths and texts',
      );

      // The ranges: each once, where the clean run put them; those committed before the kill are the very
      // rows the killed attempt wrote (same attempt, same commit time), and the retry wrote only those after.
      // (An EPUB's retry opens only the chapters after them; a page read in ranges of characters has its text
      // rendered again up to its first range by the retry, as rendered-cache.ts says, but not chunked or committed.)
      const ranges = [...(await rangesOf(killed.documentId))];
      const shape = (r: RangeRow) => [r.range_index, r.page_start, r.page_end, r.first_ordinal, r.chunk_count];
      assert.deepEqual(ranges.map(shape), referenceRanges.map(shape), 'the same ranges as a clean run, each once');
      assert.deepEqual(
        ranges.slice(0, beforeKill.length),
        [...beforeKill],
        'the ranges committed before the kill untouched',
      );
      const killedAttempt = beforeKill[0].attempt;
      assert.ok(
        beforeKill.every((r) => r.attempt === killedAttempt),
        'the ranges before the kill are the killed attempt’s',
      );
      const resumed = ranges.slice(beforeKill.length);
      assert.ok(
        resumed.every((r) => r.attempt > killedAttempt),
        `the ranges after those committed before the kill committed by a later attempt: ${JSON.stringify(resumed.map((r) => r.attempt))}`,
      );
      assert.ok(
        resumed.every((r) => r.committed_at > killedAt),
        'the ranges after those committed before the kill committed after the kill',
      );

      // The history: the killed attempt timed out on its heartbeat, and the attempt that resumed is its retry.
      const runKey = taskId.split(':').pop()!;
      const documentWorkflow = workflowIds.documentProcessing(killed.documentId, runKey);
      const workflows = [...(await runsOf(stack.temporal, taskId)), documentWorkflow];
      const ranOwnWorkflow = await stack.temporal.workflow
        .getHandle(documentWorkflow)
        .describe()
        .then(
          () => true,
          () => false,
        );
      assert.equal(ranOwnWorkflow ? 'own workflow' : 'group', kase.unitOfWork, 'the document ran where the case says');
      const history = await retriesInHistory(stack.temporal, workflows);
      assert.ok(
        history.activityAttemptsAfterFirst >= 1,
        `a retried attempt in the history: ${JSON.stringify(history)}`,
      );
      const retried = await retriedAttempts(stack.temporal, workflows);
      assert.ok(
        retried.some((r) => r.attempt === resumed[0].attempt && r.timeout === 'HEARTBEAT'),
        `the attempt that wrote the ranges after the kill is a retry after a heartbeat timeout: ${JSON.stringify(retried)}`,
      );

      reportFigures(`epub-kill ${kase.unit}`, {
        unit_of_work: kase.unitOfWork,
        database: stack.databaseKind,
        ranges: total,
        committed_before_kill: beforeKill.length,
        retry_attempts: [...new Set(resumed.map((r) => r.attempt))],
        chunks: chunks.length,
        retried,
        history,
        restart_ms: restartMs,
        seconds: Math.round((Date.now() - started) / 1000),
      });
    });
  }
});

/** Every retried activity attempt in these workflows' histories, with the failure that ended the attempt before it. */
async function retriedAttempts(
  temporal: Client,
  workflows: (string | { workflowId: string; runId: string })[],
): Promise<{ attempt: number; previous: string; timeout?: string }[]> {
  const retried: { attempt: number; previous: string; timeout?: string }[] = [];
  for (const id of workflows) {
    const handle =
      typeof id === 'string' ? temporal.workflow.getHandle(id) : temporal.workflow.getHandle(id.workflowId, id.runId);
    const history = await handle.fetchHistory().catch(() => undefined);
    for (const event of history?.events ?? []) {
      const started = event.activityTaskStartedEventAttributes;
      if (!started || (started.attempt ?? 0) <= 1) continue;
      const timeout = started.lastFailure?.timeoutFailureInfo;
      retried.push({
        attempt: started.attempt!,
        previous: started.lastFailure?.message ?? '',
        timeout: timeout ? decodeTimeoutType(timeout.timeoutType) : undefined,
      });
    }
  }
  return retried;
}
