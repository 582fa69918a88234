import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { startCollectionAnalysis } from '../../api/analysis/start.ts';
import type { collectionAnalysis } from '../../workflows/collection-analysis.ts';
import { progressQuery } from '../../workflows/collection-analysis-contract.ts';
import { prose } from '../fixtures/documents.ts';
import { eventually } from '../support/eventually.ts';
import { recordHistoryIfAsked } from '../support/histories.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// Extraction only: the window is under test, not the steps.
const OPTIONS = { build_graph: false, extract_metadata: false, generate_embeddings: false };
/** With embeddings from the slow endpoint below: a group of ten takes about ten seconds, long enough for a cancel to reach it mid-group. */
const SLOW_EMBEDDINGS = { ...OPTIONS, generate_embeddings: true };
const SLOW_MS = 30_000;

/** An OpenAI-compatible /embeddings on 127.0.0.1 that takes a second per call. */
async function slowEmbeddingsServer(): Promise<Server> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const { input } = JSON.parse(body) as { input: string[] };
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ data: input.map((_, index) => ({ index, embedding: [1, 0, 0, 0, 0, 0, 0, index + 1] })) }),
        );
      }, 1_000);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/**
 * The sliding window with the real activities: small text documents run in
 * groups; a document named `slow-*` is big (its own workflow) and its
 * processDocument takes 30 s (or until cancelled).
 */
describe('collectionAnalysis sliding window (groups, a slow document, continue-as-new, cancel)', () => {
  let stack: TestStack;
  /** For each slow document: how many of its collection's documents were processed when it finished. */
  const processedDuringSlow = new Map<string, number>();

  let embeddings: Server;

  before(async () => {
    embeddings = await slowEmbeddingsServer();
    stack = await startTestStack({
      api: false,
      worker: false,
      config: {
        page_size: 50,
        max_concurrent_documents: 4,
        small_document_mb: 1,
        group_max_documents: 10,
        embedding_provider: 'openai',
        openai_base_url: `http://127.0.0.1:${(embeddings.address() as AddressInfo).port}`,
      },
      // The server suggests continue-as-new early: runs continue as new with the slow document in flight.
      temporalArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'],
    });
    const real = stack.realActivities();
    await stack.startWorker({
      ...real,
      async processDocument(input: { documentId: string; options: typeof OPTIONS }) {
        const [row] =
          await stack.sql`SELECT original_filename, collection_id FROM documents WHERE id = ${input.documentId}`;
        if (!row.original_filename.startsWith('slow-')) return real.processDocument(input);
        await stack.sql`UPDATE documents SET status = 'processing', processing_step = 'extract' WHERE id = ${input.documentId}`;
        // The one of the cancel test runs until it is cancelled.
        const until = Date.now() + (row.original_filename === 'slow-cancel.txt' ? 10 * 60_000 : SLOW_MS);
        while (Date.now() < until) {
          Context.current().heartbeat();
          if (Context.current().cancellationSignal.aborted) throw new CancelledFailure('slow document cancelled');
          await sleep(100);
        }
        const [{ n }] =
          await stack.sql`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${row.collection_id} AND status = 'processed'`;
        processedDuringSlow.set(input.documentId, n);
        return { chunks: 1, pages: null };
      },
    });
  });
  after(async () => {
    await stack?.teardown();
    embeddings?.close();
  });

  /** A collection with one slow document first (the lowest id: the first page) and `small` stored text documents. */
  async function collectionWith(name: string, slowId: string, small: number) {
    const [{ id }] = await stack.sql`INSERT INTO collections (name) VALUES (${name}) RETURNING id`;
    await stack.sql`INSERT INTO documents (id, collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
      VALUES (${slowId}, ${id}, ${`slow-${name}.txt`}, ${`${id}/slow.txt`}, 'text/plain', ${5 * 1024 * 1024}, ${`${name}-slow`})`;
    for (let i = 0; i < small; i++) {
      const key = `${id}/${i}.txt`;
      const bytes = Buffer.from(prose(`${name} ${i}`, 8));
      const file = stack.storage.localPath(key);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, bytes);
      await stack.sql`INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
        VALUES (${id}, ${`small-${i}.txt`}, ${key}, 'text/plain', ${bytes.length}, ${`${name}-${i}`})`;
    }
    return id as string;
  }

  async function start(collectionId: string, options = OPTIONS): Promise<WorkflowHandle<typeof collectionAnalysis>> {
    const { task_id } = await startCollectionAnalysis(stack, { collectionId, options, selection: 'pending' });
    return stack.temporal.workflow.getHandle<typeof collectionAnalysis>(task_id);
  }

  const statusCounts = async (collectionId: string) =>
    Object.fromEntries(
      (
        await stack.sql`SELECT status, count(*)::int AS n FROM documents WHERE collection_id = ${collectionId} GROUP BY status`
      ).map((r) => [r.status, r.n]),
    );

  test('a 30 s document does not hold the others: the 200 small ones finish while it runs, across continue-as-new', async () => {
    const slowId = '00000000-0000-4000-8000-000000000001';
    const id = await collectionWith('window', slowId, 200);
    const handle = await start(id);
    const result = await handle.result();

    assert.deepEqual(
      { status: result.status, total: result.total, processed: result.processed, failed: result.failed },
      { status: 'completed', total: 201, processed: 201, failed: 0 },
    );
    assert.ok(
      processedDuringSlow.get(slowId)! > 150,
      `processed while the slow document ran: ${processedDuringSlow.get(slowId)} (> 150)`,
    );
    assert.deepEqual(await statusCounts(id), { processed: 201 });

    // The slow document's workflow was started by the first run and reported to a later one.
    const last = await handle.describe();
    const firstRunId = last.raw.workflowExecutionInfo!.firstRunId!;
    assert.notEqual(last.runId, firstRunId, 'the analysis continued as new');
    const slowChild = await stack.temporal.workflow.getHandle(`document:${slowId}:1`).describe();
    assert.equal(slowChild.status.name, 'COMPLETED');
    assert.equal(slowChild.parentExecution?.runId, firstRunId, 'started by the first run');
    // Small documents ran in groups: no workflow of their own.
    const [small] =
      await stack.sql`SELECT id FROM documents WHERE collection_id = ${id} AND original_filename = 'small-0.txt'`;
    await assert.rejects(stack.temporal.workflow.getHandle(`document:${small.id}:1`).describe(), WorkflowNotFoundError);

    const progress = await handle.query(progressQuery);
    assert.deepEqual(
      {
        phase: progress.phase,
        processed: progress.processed,
        in_flight: progress.in_flight,
        percentage: progress.percentage,
      },
      { phase: 'done', processed: 201, in_flight: 0, percentage: 100 },
    );
    // The first run continued as new with the slow document in flight; the last one heard of it by signal.
    await recordHistoryIfAsked(
      stack.temporal.workflow.getHandle(handle.workflowId, firstRunId),
      'collection-analysis-window-continued-in-flight',
    );
    await recordHistoryIfAsked(handle, 'collection-analysis-window-last-run');
    await recordHistoryIfAsked(
      stack.temporal.workflow.getHandle(`document:${slowId}:1`),
      'document-processing-reported-processed',
    );
  });

  test('groups: one document failing fails only itself; the result, the rows and the progress query name it', async () => {
    const id = await collectionWith('groups', '00000000-0000-4000-8000-000000000002', 24);
    // One document whose file is gone, one of a type nobody reads: they share groups with good ones.
    const [missing] =
      await stack.sql`INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
      VALUES (${id}, 'missing.txt', ${`${id}/missing.txt`}, 'text/plain', 100, 'groups-missing') RETURNING id`;
    // The slow one is cut short: it is the only document of its own workflow here.
    await stack.sql`UPDATE documents SET original_filename = 'big.txt' WHERE id = '00000000-0000-4000-8000-000000000002'`;
    await writeFile(stack.storage.localPath(`${id}/slow.txt`), prose('big', 30));
    const handle = await start(id);
    const result = await handle.result();

    assert.deepEqual(
      { status: result.status, total: result.total, processed: result.processed, failed: result.failed },
      { status: 'completed_with_errors', total: 26, processed: 25, failed: 1 },
    );
    assert.deepEqual(
      result.failures.map((failure) => ({
        ...failure,
        error: failure.error.replace(/ the stored file .* of /, ' … '),
      })),
      [{ document_id: missing.id, filename: 'missing.txt', error: 'extract: missing_file: … missing.txt is missing' }],
    );
    const [row] = await stack.sql`SELECT status, error FROM documents WHERE id = ${missing.id}`;
    assert.equal(row.status, 'failed');
    assert.match(row.error, /^extract: missing_file: /);
    assert.deepEqual(await statusCounts(id), { processed: 25, failed: 1 });
    const progress = await handle.query(progressQuery);
    assert.deepEqual(
      progress.recent_failures.map((failure) => [failure.document_id, failure.filename]),
      [[missing.id, 'missing.txt']],
    );
    await recordHistoryIfAsked(handle, 'collection-analysis-window-groups');
  });

  test('cancelled mid-window: every unit in flight stops and cleans up before the cancel is reported; nothing is left processing', async () => {
    const slowId = '00000000-0000-4000-8000-000000000003';
    const id = await collectionWith('cancel', slowId, 200);
    const handle = await start(id, SLOW_EMBEDDINGS);
    // Until the run that started the slow document has continued as new: the cancel then reaches it as a carried-over child.
    for (let i = 0; ; i++) {
      assert.ok(i < 1_500, 'the analysis never continued as new');
      const description = await handle.describe();
      if (description.runId !== description.raw.workflowExecutionInfo?.firstRunId) break;
      await sleep(100);
    }
    // The new run's first groups start once it has its page.
    await eventually(
      () => handle.query(progressQuery),
      (progress) =>
        !!progress.in_flight_documents?.some((document) => document.id === slowId && document.unit === 'workflow') &&
        !!progress.in_flight_documents?.some((document) => document.unit === 'group'),
      'the slow document and groups in flight',
    );
    const slowParent = (await stack.temporal.workflow.getHandle(`document:${slowId}:1`).describe()).parentExecution
      ?.runId;
    assert.notEqual(
      slowParent,
      (await handle.describe()).runId,
      'the slow document was started by an earlier run of the analysis',
    );
    await handle.cancel();
    await assert.rejects(
      handle.result(),
      (error: unknown) => error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure,
    );

    const counts = await statusCounts(id);
    assert.deepEqual(
      Object.keys(counts).filter((status) => !['processed', 'cancelled', 'uploaded'].includes(status)),
      [],
      `no document left processing: ${JSON.stringify(counts)}`,
    );
    const [slow] = await stack.sql`SELECT status FROM documents WHERE id = ${slowId}`;
    assert.equal(slow.status, 'cancelled', 'the slow document was cancelled and cleaned up');
    assert.ok(counts.cancelled >= 2, `documents of groups in flight were cancelled too: ${JSON.stringify(counts)}`);
    const [{ chunks }] =
      await stack.sql`SELECT count(*)::int AS chunks FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection_id = ${id} AND d.status <> 'processed'`;
    assert.equal(chunks, 0, 'nothing kept of an unfinished document');
    const [collection] = await stack.sql`SELECT status, analysis_run FROM collections WHERE id = ${id}`;
    assert.deepEqual({ ...collection }, { status: 'cancelled', analysis_run: 2 });
    await recordHistoryIfAsked(handle, 'collection-analysis-window-cancelled');
  });
});
