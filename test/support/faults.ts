// Shared pieces of the fault and load tests: child processes that can be
// killed for real, seeded documents, and the exactly-once checks.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { chunkSections } from '../../activities/chunking/chunker.ts';
import { extractDocument } from '../../activities/extraction/index.ts';
import type { Config } from '../../config/schema.ts';
import type { Sql } from '../../db/pool.ts';
import type { DocumentStorage } from '../../storage/document-storage.ts';
import { S3_TEST_CREDENTIALS } from './s3-server.ts';

/** forkChild's scripts are named relative to test/faults/, where the fault children live. */
const FAULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'faults');

/** A URL the child processes can use to reach the test's own database (and schema). */
export function databaseUrlOf(sql: Sql): string {
  const options = sql.options as unknown as {
    host: string[];
    port: number[];
    database: string;
    user: string;
    connection?: Record<string, string>;
  };
  const url = new URL(`postgres://${options.user}@${options.host[0]}:${options.port[0]}/${options.database}`);
  for (const [key, value] of Object.entries(options.connection ?? {})) url.searchParams.set(key, String(value));
  return url.toString();
}

/** FILEINTEL_* variables that make a child use the same folders and limits as `config`. */
export function configEnv(config: Config, overrides: Record<string, unknown> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  const keys = [
    'storage_dir',
    'staging_dir',
    'data_dir',
    'page_size',
    'max_concurrent_documents',
    'max_concurrent_activities',
    'db_pool_size',
    'task_queue',
    'max_upload_batch_size',
    'max_file_size_mb',
    'max_upload_request_mb',
    'max_parallel_collections',
  ] as const;
  for (const key of keys) env[`FILEINTEL_${key.toUpperCase()}`] = JSON.stringify(config[key]);
  // The same store: on the s3 backend the bucket's keys and the secrets (TEST_STORAGE_BACKEND=s3 runs the fault tests on it).
  for (const key of [
    'storage_backend',
    's3_endpoint',
    's3_region',
    's3_bucket',
    's3_force_path_style',
    's3_prefix',
  ] as const) {
    env[`FILEINTEL_${key.toUpperCase()}`] = JSON.stringify(config[key]);
  }
  if (config.storage_backend === 's3') {
    env.FILEINTEL_S3_ACCESS_KEY_ID = S3_TEST_CREDENTIALS.accessKeyId;
    env.FILEINTEL_S3_SECRET_ACCESS_KEY = S3_TEST_CREDENTIALS.secretAccessKey;
  }
  for (const [key, value] of Object.entries(overrides)) env[`FILEINTEL_${key.toUpperCase()}`] = JSON.stringify(value);
  return env;
}

export interface Child {
  process: ChildProcess;
  pid: number;
  /** The first message the child sent (its url, for the API child). */
  ready: Record<string, unknown>;
  exited: Promise<void>;
  /** What the child wrote to stderr (also passed through). */
  stderr(): string;
}

/** Forks a TypeScript child (through tsx) and waits for its first IPC message. */
export async function forkChild(script: string, env: Record<string, string>, execArgv: string[] = []): Promise<Child> {
  const child = fork(path.resolve(FAULTS_DIR, script), {
    execArgv: [...execArgv, '--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 1_000_000) stderr += chunk;
    process.stderr.write(chunk);
  });
  const exited = once(child, 'exit').then(() => undefined);
  const ready = await Promise.race([
    once(child, 'message').then(([message]) => message as Record<string, unknown>),
    exited.then(() => {
      throw new Error(`${script} exited (${child.exitCode}) before it was ready`);
    }),
  ]);
  return { process: child, pid: child.pid!, ready, exited, stderr: () => stderr };
}

/** A worker child process on the stack's Temporal and database, with these config keys laid over the stack's. */
export function forkWorkerChild(
  stack: { sql: Sql; temporalAddress: string; databaseKind: 'postgresql' | 'pglite'; config: Config },
  overrides: Record<string, unknown> = {},
): Promise<Child> {
  return forkChild('worker-child.ts', {
    DATABASE_URL: databaseUrlOf(stack.sql),
    TEMPORAL_ADDRESS: stack.temporalAddress,
    // PGlite multiplexes one session: one connection per process.
    WORKER_DB_POOL: String(stack.databaseKind === 'pglite' ? 1 : stack.config.db_pool_size),
    ...configEnv(stack.config, overrides),
  });
}

/** SIGKILL, for real, and wait until the process is gone. */
export async function killHard(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGKILL');
  await child.exited;
}

/** Asks a child to stop; SIGKILL after `graceMs`. */
export async function stopChild(child: Child | undefined, graceMs = 15_000): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  if (child.process.connected) child.process.send('stop');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The text of seeded document `i`: a few paragraphs with people and places, so every step has work. */
export function documentText(i: number): string {
  const paragraph = (n: number) =>
    `Report ${i}, part ${n}. Marie Curie and Pierre Curie measured radioactivity in Paris with the Sorbonne. ` +
    `Albert Einstein wrote to them from Berlin about the experiment. The results were checked twice, and the samples were kept in a cold room. `;
  return Array.from({ length: 8 }, (_, n) => paragraph(n)).join('\n\n') + '\n';
}

/**
 * Inserts `count` text documents straight into the database and storage (the
 * upload path has its own tests): rows in `uploaded`, files under their keys.
 */
export async function seedDocuments(
  sql: Sql,
  storage: DocumentStorage,
  collectionId: string,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 100) {
    const rows = Array.from({ length: Math.min(100, count - start) }, (_, k) => {
      const i = start + k;
      return {
        collection_id: collectionId,
        original_filename: `report-${i}.txt`,
        storage_key: `${collectionId}/report-${i}.txt`,
        mime_type: 'text/plain',
        size_bytes: Buffer.byteLength(documentText(i)),
        content_hash: `seed-${i}`,
      };
    });
    const inserted = await sql<
      { id: string; storage_key: string }[]
    >`INSERT INTO documents ${sql(rows)} RETURNING id, storage_key`;
    for (const [k, row] of inserted.entries()) {
      await storage.put(row.storage_key, Buffer.from(documentText(start + k)));
      ids.push(row.id);
    }
  }
  return ids;
}

/** Chunks a seeded document must have: the chunker run here, on the same file, with the same limits. */
export async function expectedChunks(storage: DocumentStorage, storageKey: string, config: Config): Promise<number> {
  const extracted = await storage.withLocalFile(storageKey, (file) =>
    extractDocument(file, 'text/plain', path.basename(storageKey)),
  );
  return chunkSections(extracted.sections, {
    chunkSize: config.chunk_size,
    overlap: config.chunk_overlap,
    maxTokens: config.chunk_max_tokens,
  }).length;
}

export interface ExactlyOnceReport {
  documents: number;
  chunks: number;
  mentions: number;
  graphEntities: number;
}

/**
 * Every document processed once in effect: one row each, all `processed`;
 * per document exactly the chunks the chunker makes (ordinals 0..n-1, no
 * gaps, none extra), each with an embedding; mentions only of existing
 * chunks, and the same per document (the texts differ only in numbers); the
 * graph's counts equal what the mentions say.
 */
export async function assertExactlyOnce(
  sql: Sql,
  storage: DocumentStorage,
  config: Config,
  collectionId: string,
  expected: number,
): Promise<ExactlyOnceReport> {
  const docs = await sql<{ id: string; status: string; storage_key: string; error: string | null }[]>`
    SELECT id, status, storage_key, error FROM documents WHERE collection_id = ${collectionId}`;
  assert.equal(docs.length, expected, 'one row per document, none duplicated');
  const notProcessed = docs.filter((d) => d.status !== 'processed');
  assert.deepEqual(notProcessed.slice(0, 5), [], `${notProcessed.length} document(s) not processed`);
  const keys = new Set(docs.map((d) => d.storage_key));
  assert.equal(keys.size, expected, 'one file per row');

  const perDoc = await sql<{ document_id: string; n: number; max: number; distinct: number; embedded: number }[]>`
    SELECT c.document_id, count(*)::int AS n, max(c.ordinal)::int AS max, count(DISTINCT c.ordinal)::int AS distinct,
           count(c.embedding)::int AS embedded
    FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection_id = ${collectionId} GROUP BY c.document_id`;
  assert.equal(perDoc.length, expected, 'every document has chunks');
  const want = await expectedChunks(storage, docs[0].storage_key, config);
  for (const row of perDoc) {
    assert.equal(row.n, row.max + 1, `document ${row.document_id}: ordinals 0..n-1`);
    assert.equal(row.distinct, row.n, `document ${row.document_id}: no ordinal twice`);
    assert.equal(row.embedded, row.n, `document ${row.document_id}: every chunk embedded once`);
  }
  const counts = new Set(perDoc.map((row) => row.n));
  assert.deepEqual([...counts], [want], 'every document has exactly the chunks the chunker makes');

  const mentions = await sql<{ document_id: string; n: number }[]>`
    SELECT document_id, count(*)::int AS n FROM entity_mentions WHERE collection_id = ${collectionId} GROUP BY document_id`;
  assert.equal(mentions.length, expected, 'every document has entity mentions');
  assert.equal(
    new Set(mentions.map((m) => m.n)).size,
    1,
    `mentions per document are equal: ${JSON.stringify([...new Set(mentions.map((m) => m.n))])}`,
  );
  const [dangling] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM entity_mentions m LEFT JOIN chunks c ON c.document_id = m.document_id AND c.ordinal = m.chunk_ordinal
    WHERE m.collection_id = ${collectionId} AND c.document_id IS NULL`;
  assert.equal(dangling.n, 0, 'no mention of a chunk that is gone');

  const graph = await sql<
    { kind: string; name: string; mentions: number; documents: number; real_mentions: number; real_documents: number }[]
  >`
    SELECT g.kind, g.name, g.mentions, g.documents,
           (SELECT count(*)::int FROM entity_mentions m WHERE m.collection_id = g.collection_id AND m.kind = g.kind AND m.name = g.name) AS real_mentions,
           (SELECT count(DISTINCT m.document_id)::int FROM entity_mentions m WHERE m.collection_id = g.collection_id AND m.kind = g.kind AND m.name = g.name) AS real_documents
    FROM graph_entities g WHERE g.collection_id = ${collectionId}`;
  assert.ok(graph.length > 0, 'the graph has entities');
  for (const entity of graph) {
    assert.equal(entity.mentions, entity.real_mentions, `${entity.kind} ${entity.name}: mentions counted once`);
    assert.equal(entity.documents, entity.real_documents, `${entity.kind} ${entity.name}: documents counted once`);
  }
  const curie = graph.find((g) => g.kind === 'person' && g.name === 'marie curie');
  assert.equal(curie?.documents, expected, 'marie curie is in every document, once each');
  const totalChunks = perDoc.reduce((sum, row) => sum + row.n, 0);
  const totalMentions = mentions.reduce((sum, row) => sum + row.n, 0);
  return { documents: docs.length, chunks: totalChunks, mentions: totalMentions, graphEntities: graph.length };
}

/**
 * Retries in the histories of these workflows: activity attempts > 1, activity
 * and workflow-task timeouts. A workflow id names its latest run; pass
 * `{ workflowId, runId }` for an earlier one (a run continued as new).
 */
export async function retriesInHistory(
  temporal: Client,
  workflowIds: (string | { workflowId: string; runId: string })[],
): Promise<{
  workflows: number;
  activityAttemptsAfterFirst: number;
  activityTimeouts: number;
  workflowTaskTimeouts: number;
}> {
  let activityAttemptsAfterFirst = 0;
  let activityTimeouts = 0;
  let workflowTaskTimeouts = 0;
  let workflows = 0;
  for (const id of workflowIds) {
    const handle =
      typeof id === 'string' ? temporal.workflow.getHandle(id) : temporal.workflow.getHandle(id.workflowId, id.runId);
    const history = await handle.fetchHistory().catch(() => undefined);
    if (!history) continue;
    let touched = false;
    for (const event of history.events ?? []) {
      const attempt = event.activityTaskStartedEventAttributes?.attempt ?? 0;
      if (attempt > 1) activityAttemptsAfterFirst += 1;
      if (event.activityTaskTimedOutEventAttributes) activityTimeouts += 1;
      if (event.workflowTaskTimedOutEventAttributes) workflowTaskTimeouts += 1;
      touched ||=
        attempt > 1 || Boolean(event.activityTaskTimedOutEventAttributes || event.workflowTaskTimedOutEventAttributes);
    }
    if (touched) workflows += 1;
  }
  return { workflows, activityAttemptsAfterFirst, activityTimeouts, workflowTaskTimeouts };
}

/** Every run of a workflow id (all the runs a workflow continued as new into), from visibility. */
export async function runsOf(temporal: Client, workflowId: string): Promise<{ workflowId: string; runId: string }[]> {
  const runs: { workflowId: string; runId: string }[] = [];
  for await (const execution of temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
    runs.push({ workflowId, runId: execution.runId });
  return runs;
}

/** Files under a folder, recursively (relative paths). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** Open descriptors and peak resident memory of a process, from /proc. */
export async function procStats(pid: number): Promise<{ fds: number; vmHwmKb: number; vmRssKb: number }> {
  const fds = (await readdir(`/proc/${pid}/fd`)).length;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { fds, vmHwmKb: kb('VmHWM'), vmRssKb: kb('VmRSS') };
}

/**
 * Open descriptors of a process split by what they are: sockets to the
 * database port (its pool), other sockets, and the rest (files, pipes).
 */
export async function descriptorKinds(
  pid: number,
  databasePort: number,
): Promise<{ total: number; database: number; otherSockets: number; rest: number }> {
  const inodes: string[] = [];
  let total = 0;
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    total += 1;
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.push(inode);
  }
  const toDatabase = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    const lines = (await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const remotePort = parseInt(cols[2].split(':')[1], 16);
      if (remotePort === databasePort) toDatabase.add(cols[9]);
    }
  }
  const database = inodes.filter((inode) => toDatabase.has(inode)).length;
  return { total, database, otherSockets: inodes.length - database, rest: total - inodes.length };
}

/** One line a runner can grep: `FIGURES <scenario> {json}`. */
export function reportFigures(scenario: string, figures: object): void {
  console.log(`FIGURES ${scenario} ${JSON.stringify(figures)}`);
}
