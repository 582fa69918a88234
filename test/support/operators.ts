// What the operator-action tests share: a stack whose documents named `slow-*`
// are held (heartbeating) until released, the real `temporal` CLI as an
// operator runs it, and the one check every case ends with: everything of the
// collection is final, with a reason, nothing of it still runs, and the counts
// equal the rows.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { startCollectionAnalysis } from '../../api/analysis/start.ts';
import { findTemporalCli } from '../../main/temporal-dev-server.ts';
import type { collectionAnalysis } from '../../workflows/collection-analysis.ts';
import type { CollectionAnalysisResult } from '../../workflows/collection-analysis-contract.ts';
import { prose } from '../fixtures/documents.ts';
import { eventually } from './eventually.ts';
import { startTestStack, type TestStack, type TestStackOptions } from './stack.ts';

const run = promisify(execFile);

/** Extraction only: the operator's actions are under test, not the steps. */
export const OPTIONS = { build_graph: false, extract_metadata: false, generate_embeddings: false };

export interface OperatorStack extends TestStack {
  /** Lets a held `slow-*` document go on to its real processing. */
  release(documentId: string): void;
  /** `temporal <args>` against this stack's dev server, as an operator types it; its stdout. */
  temporalCli(args: string[]): Promise<string>;
}

/**
 * A stack with the real activities, except that a `slow-*` document waits
 * (heartbeating, cancellable) until released before its real processing.
 * Analyses check for closed document workflows every 2 s.
 */
export async function startOperatorStack(options: TestStackOptions = {}): Promise<OperatorStack> {
  const stack = await startTestStack({
    api: false,
    worker: false,
    ...options,
    config: {
      page_size: 50,
      max_concurrent_documents: 4,
      small_document_mb: 1,
      group_max_documents: 5,
      closed_workflow_check_interval: '2s',
      sweep_interval: '2s',
      ...options.config,
    },
  });
  const released = new Set<string>();
  const real = stack.realActivities();
  await stack.startWorker({
    ...real,
    async processDocument(input: { documentId: string; options: typeof OPTIONS }) {
      const [row] = await stack.sql`SELECT original_filename FROM documents WHERE id = ${input.documentId}`;
      while (row?.original_filename.startsWith('slow-') && !released.has(input.documentId)) {
        Context.current().heartbeat();
        if (Context.current().cancellationSignal.aborted) throw new CancelledFailure('slow document cancelled');
        await sleep(100);
      }
      return real.processDocument(input);
    },
  });
  const cli = findTemporalCli() ?? 'temporal';
  return Object.assign(stack, {
    release: (documentId: string) => void released.add(documentId),
    async temporalCli(args: string[]) {
      const { stdout } = await run(cli, [...args, '--address', stack.temporalAddress], { timeout: 60_000 });
      return stdout;
    },
  });
}

export interface TestCollection {
  id: string;
  slowIds: string[];
}

/**
 * A collection of `slow` held documents (each its own workflow: they say they
 * are 5 MB) and `small` text documents (in groups). The slow ones get the
 * lowest ids, so they are on the first page and start first: a run that
 * continues as new then carries them.
 */
export async function collectionWith(
  stack: TestStack,
  name: string,
  counts: { slow: number; small: number },
): Promise<TestCollection> {
  const [{ id }] = await stack.sql`INSERT INTO collections (name) VALUES (${name}) RETURNING id`;
  const store = async (filename: string, text: string, sizeBytes?: number, documentId?: string) => {
    const key = `${id}/${filename}`;
    const bytes = Buffer.from(text);
    const file = stack.storage.localPath(key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, bytes);
    const [row] = await stack.sql`
      INSERT INTO documents (id, collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash)
      VALUES (${documentId ?? randomUUID()}, ${id}, ${filename}, ${key}, 'text/plain', ${sizeBytes ?? bytes.length}, ${`${name}/${filename}`})
      RETURNING id`;
    return row.id as string;
  };
  const slowIds: string[] = [];
  for (let i = 0; i < counts.slow; i++)
    slowIds.push(await store(`slow-${i}.txt`, prose(`${name} slow ${i}`, 40), 5 * 1024 * 1024, lowestId()));
  for (let i = 0; i < counts.small; i++) await store(`small-${i}.txt`, prose(`${name} ${i}`, 8));
  return { id, slowIds };
}

export async function startAnalysis(
  stack: TestStack,
  collectionId: string,
): Promise<WorkflowHandle<typeof collectionAnalysis>> {
  const { task_id } = await startCollectionAnalysis(stack, { collectionId, options: OPTIONS, selection: 'pending' });
  return stack.temporal.workflow.getHandle<typeof collectionAnalysis>(task_id);
}

/** Waits until the workflow runs (it was started, and has not closed). */
export async function running(stack: TestStack, workflowId: string): Promise<void> {
  await eventually(
    async () => (await stack.temporal.workflow.getHandle(workflowId).describe()).status.name,
    (status) => status === 'RUNNING',
    `${workflowId} running`,
  );
}

/** Waits until `count` documents of the collection are processed. */
export async function processedAtLeast(stack: TestStack, collectionId: string, count: number): Promise<void> {
  await eventually(
    async () =>
      (
        await stack.sql`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collectionId} AND status = 'processed'`
      )[0].n as number,
    (n) => n >= count,
    `${count} document(s) processed`,
  );
}

/** Prints how long the operator's action took to settle, for the run's log. */
export function reportTime(what: string, since: number): void {
  console.log(`operator action settled: ${what}: ${((Date.now() - since) / 1000).toFixed(1)} s`);
}

export interface SettledCollection {
  status: string;
  last_error: string | null;
  byStatus: Record<string, number>;
  documents: { id: string; original_filename: string; status: string; error: string | null }[];
}

/**
 * Waits until the collection and each of its documents are in a final status
 * and no workflow of the collection runs; then checks that every unfinished
 * document has its reason and every processed one exactly its chunks.
 */
export async function settled(stack: TestStack, collectionId: string, timeoutMs = 60_000): Promise<SettledCollection> {
  const state = await eventually(
    async () => {
      const [collection] = await stack.sql`SELECT status, last_error FROM collections WHERE id = ${collectionId}`;
      const documents = await stack.sql<SettledCollection['documents']>`
        SELECT id, original_filename, status, error FROM documents WHERE collection_id = ${collectionId} ORDER BY original_filename`;
      const runningWorkflows: string[] = [];
      for await (const execution of stack.temporal.workflow.list({
        query: `CollectionId = '${collectionId}' AND ExecutionStatus = 'Running'`,
      }))
        runningWorkflows.push(execution.workflowId);
      return { collection, documents, runningWorkflows };
    },
    ({ collection, documents, runningWorkflows }) =>
      ['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(collection.status) &&
      documents.every((document) => ['processed', 'failed', 'cancelled'].includes(document.status)) &&
      runningWorkflows.length === 0,
    `collection ${collectionId} settled: final statuses, no workflow running`,
    { timeoutMs },
  );
  for (const document of state.documents) {
    if (document.status !== 'processed')
      assert.ok(document.error, `${document.original_filename} is ${document.status} with a reason`);
  }
  const chunks = await stack.sql<{ id: string; status: string; chunks: number; expected: number | null }[]>`
    SELECT d.id, d.status, (SELECT count(*)::int FROM chunks c WHERE c.document_id = d.id) AS chunks,
           (d.metadata->'extraction'->>'chunk_count')::int AS expected
    FROM documents d WHERE d.collection_id = ${collectionId}`;
  for (const row of chunks) {
    if (row.status === 'processed')
      assert.equal(row.chunks, row.expected, `document ${row.id}: its chunks, none doubled`);
    else assert.equal(row.chunks, 0, `document ${row.id} (${row.status}) keeps no chunks`);
  }
  const byStatus: Record<string, number> = {};
  for (const document of state.documents) byStatus[document.status] = (byStatus[document.status] ?? 0) + 1;
  return {
    status: state.collection.status,
    last_error: state.collection.last_error,
    byStatus,
    documents: state.documents,
  };
}

/** The analysis's result equals its rows: processed and failed as the documents say. */
export function assertCountsEqualRows(result: CollectionAnalysisResult, state: SettledCollection): void {
  assert.equal(result.processed, state.byStatus.processed ?? 0, 'processed: the result and the rows agree');
  assert.equal(
    result.failed,
    (state.byStatus.failed ?? 0) + (state.byStatus.cancelled ?? 0),
    'failed: the result and the rows agree',
  );
  assert.equal(result.total, result.processed + result.failed, 'every document counted once');
}

/** The workflow's latest run is closed, or it never existed. */
export async function notRunning(stack: TestStack, workflowId: string): Promise<boolean> {
  try {
    return (await stack.temporal.workflow.getHandle(workflowId).describe()).status.name !== 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return true;
    throw error;
  }
}

/** A random id that sorts before every id randomUUID() makes (pages are in id order). */
function lowestId(): string {
  return `00000000-0000-4000-8000-${randomBytes(6).toString('hex')}`;
}
