import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { committedRanges } from '../../db/queries/document-runs.ts';
import { killHard, stopChild, type Child, forkWorkerChild } from '../support/faults.ts';
import { eventually } from '../support/eventually.ts';
import { longPdf } from '../fixtures/long-documents.ts';
import { analyseAll, analysisOutcome, collectionWith } from '../support/one-document-collections.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const PAGES = 100;
const PAGES_PER_RANGE = 10;
const RANGES = PAGES / PAGES_PER_RANGE;
/** Short, so the retry on the second worker starts seconds after the kill, not the default minute. */
const HEARTBEAT_TIMEOUT_SECONDS = 5;

/**
 * The quick worker-kill test of the default suite (the long one is
 * test/faults/worker-kill.fault.ts): the worker runs in a child process and is
 * SIGKILLed while it extracts a PDF range by range; a second worker takes the
 * document over once the heartbeat times out. The document must come out as
 * if processed once: its ranges once each, its chunks the same as an
 * undisturbed run of the same file makes, the row `processed`.
 */
describe('a worker SIGKILLed mid-document: the document finishes on a second worker, exactly once', () => {
  let stack: TestStack;
  let worker: Child | undefined;
  before(async () => {
    stack = await startTestStack({
      worker: false,
      api: false,
      config: { pdf_pages_per_range: PAGES_PER_RANGE, document_heartbeat_timeout_seconds: HEARTBEAT_TIMEOUT_SECONDS },
    });
  });
  after(async () => {
    await stopChild(worker);
    await stack?.teardown();
  });

  /** The document's chunks in order, each as ordinal and a hash of its text. */
  async function chunksOf(documentId: string): Promise<string[]> {
    const rows = await stack.sql<{ ordinal: number; text: string; embedded: boolean }[]>`
      SELECT ordinal, text, embedding IS NOT NULL AS embedded FROM chunks WHERE document_id = ${documentId} ORDER BY ordinal`;
    assert.ok(
      rows.every((row) => row.embedded),
      'every chunk embedded',
    );
    return rows.map((row) => `${row.ordinal}:${createHash('sha256').update(row.text).digest('hex').slice(0, 16)}`);
  }

  test('the ranges once each, the same chunks as an undisturbed run, the row processed', async () => {
    const manual = await longPdf(PAGES);
    const killed = await collectionWith(stack, 'worker-kill', manual);
    worker = await forkWorkerChild(stack, {
      pdf_pages_per_range: PAGES_PER_RANGE,
      document_heartbeat_timeout_seconds: HEARTBEAT_TIMEOUT_SECONDS,
    });
    const taskId = await analyseAll(stack, killed.collectionId);

    const committed = async () => (await committedRanges(stack.sql, killed.documentId)).length;
    await eventually(committed, (n) => n >= 1, 'a range committed', { timeoutMs: 5 * 60_000, everyMs: 10 });
    await killHard(worker);
    const beforeKill = await committed();
    assert.ok(beforeKill < RANGES, `killed mid-document (${beforeKill} of ${RANGES} ranges committed)`);

    await stack.startWorker();
    // The same file in another collection, processed by the surviving worker without a kill, is the reference;
    // it runs while the killed attempt's heartbeat times out.
    const reference = await collectionWith(stack, 'worker-kill-reference', {
      ...manual,
      filename: `reference-${manual.filename}`,
    });
    const referenceTaskId = await analyseAll(stack, reference.collectionId);
    assert.deepEqual(await analysisOutcome(stack, taskId), { status: 'completed', processed: 1, failed: 0 });
    assert.deepEqual(await analysisOutcome(stack, referenceTaskId), { status: 'completed', processed: 1, failed: 0 });

    const ranges = await committedRanges(stack.sql, killed.documentId);
    assert.deepEqual(
      ranges.map((range) => range.range_index),
      Array.from({ length: RANGES }, (_, i) => i),
      'every range committed once',
    );
    const attempts = new Set(ranges.map((range) => range.attempt));
    assert.ok(attempts.size >= 2, `the killed attempt and a retry both committed ranges (attempts ${[...attempts]})`);
    const [row] = await stack.sql`SELECT status, page_count, error FROM documents WHERE id = ${killed.documentId}`;
    assert.deepEqual(
      { status: row.status, pages: row.page_count, error: row.error },
      { status: 'processed', pages: PAGES, error: null },
    );

    const [chunks, expected] = [await chunksOf(killed.documentId), await chunksOf(reference.documentId)];
    assert.ok(expected.length >= RANGES, `the reference has a chunk or more per range (${expected.length})`);
    assert.deepEqual(
      chunks,
      expected,
      'the same chunks in the same order: none doubled, none lost, ordinals contiguous',
    );
    const [mentions] = await stack.sql<{ killed: number; reference: number }[]>`
      SELECT count(*) FILTER (WHERE document_id = ${killed.documentId})::int AS killed,
             count(*) FILTER (WHERE document_id = ${reference.documentId})::int AS reference
      FROM entity_mentions`;
    assert.ok(mentions.reference > 0, 'the graph step found people and places');
    assert.equal(mentions.killed, mentions.reference, 'entity mentions written once');
  });
});
