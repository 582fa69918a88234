import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startCollectionAnalysis } from '../../api/analysis/start.ts';
import { committedRanges } from '../../db/queries/document-runs.ts';
import type { CollectionAnalysisResult } from '../../workflows/collection-analysis-contract.ts';
import { killHard, stopChild, type Child, forkWorkerChild } from '../support/faults.ts';
import { eventually } from '../support/eventually.ts';
import { longPdf } from '../fixtures/long-documents.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const PAGES = 1_600;
const PAGES_PER_RANGE = 100;
const RANGES = PAGES / PAGES_PER_RANGE;
/** How soon the killed attempt is retried: short, so the test waits seconds for it, not the default minute. */
const HEARTBEAT_TIMEOUT_SECONDS = 15;

/**
 * A worker process SIGKILLed while it reads range 12 of a 16-range PDF: the
 * retry (on another worker, after the heartbeat timeout) resumes at the first
 * range not committed, so the pages before it are read once in all.
 */
describe(`a worker killed mid-document resumes a ${PAGES}-page PDF at the range it was on`, () => {
  let stack: TestStack;
  let worker: Child | undefined;
  before(async () => {
    stack = await startTestStack({
      worker: false,
      api: false,
      config: {
        pdf_pages_per_range: PAGES_PER_RANGE,
        document_heartbeat_timeout_seconds: HEARTBEAT_TIMEOUT_SECONDS,
      },
    });
  });
  after(async () => {
    await stopChild(worker);
    await stack?.teardown();
  });

  test('pages extracted across the kill add up to the document once; the document and collection end processed and completed', async () => {
    const [{ id: collectionId }] = await stack.sql`INSERT INTO collections (name) VALUES ('resume') RETURNING id`;
    const manual = await longPdf(PAGES);
    const key = `${collectionId}/${manual.filename}`;
    await mkdir(path.dirname(stack.storage.localPath(key)), { recursive: true });
    await writeFile(stack.storage.localPath(key), manual.bytes);
    const [{ id: documentId }] =
      await stack.sql`INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
      VALUES (${collectionId}, ${manual.filename}, ${key}, ${manual.mimeType}, ${manual.bytes.length}, 'resume') RETURNING id`;

    worker = await forkWorkerChild(stack, {
      pdf_pages_per_range: PAGES_PER_RANGE,
      document_heartbeat_timeout_seconds: HEARTBEAT_TIMEOUT_SECONDS,
    });
    const { task_id } = await startCollectionAnalysis(
      { temporal: stack.temporal, config: stack.config, sql: stack.sql },
      {
        collectionId,
        selection: 'pending',
        options: { build_graph: true, extract_metadata: true, generate_embeddings: true },
      },
    );

    const committed = async () => (await committedRanges(stack.sql, documentId)).length;
    await eventually(committed, (n) => n >= 11, '11 ranges committed', { timeoutMs: 5 * 60_000, everyMs: 20 });
    await killHard(worker);
    const beforeKill = await committed();
    assert.ok(beforeKill < RANGES, `killed before the last range (${beforeKill} of ${RANGES} committed)`);

    const stopSecond = await stack.startWorker();
    const result = (await stack.temporal.workflow.getHandle(task_id).result()) as CollectionAnalysisResult;
    await stopSecond();
    assert.deepEqual(
      { status: result.status, processed: result.processed, failed: result.failed },
      { status: 'completed', processed: 1, failed: 0 },
    );

    const ranges = await committedRanges(stack.sql, documentId);
    assert.deepEqual(
      ranges.map((range) => range.range_index),
      Array.from({ length: RANGES }, (_, i) => i),
      'every range once',
    );
    const pagesReadBy = (attempt: number) =>
      ranges
        .filter((range) => range.attempt === attempt)
        .reduce((sum, range) => sum + range.page_end! - range.page_start! + 1, 0);
    assert.equal(
      pagesReadBy(1),
      beforeKill * PAGES_PER_RANGE,
      'the killed attempt committed what it had read, nothing after',
    );
    assert.equal(
      pagesReadBy(2),
      PAGES - beforeKill * PAGES_PER_RANGE,
      `the retry began at page ${beforeKill * PAGES_PER_RANGE + 1}, not page 1`,
    );

    const [doc] =
      await stack.sql`SELECT status, page_count, (SELECT count(*)::int FROM chunks WHERE document_id = ${documentId}) AS chunks,
      (SELECT max(ordinal)::int FROM chunks WHERE document_id = ${documentId}) AS last_ordinal FROM documents WHERE id = ${documentId}`;
    assert.equal(doc.status, 'processed');
    assert.equal(doc.page_count, PAGES);
    assert.equal(doc.last_ordinal, doc.chunks - 1, 'ordinals contiguous: no chunk doubled or lost across the kill');
  });
});
