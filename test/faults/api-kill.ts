// The API SIGKILLed in the middle of a multipart upload, then the storage
// reconciler: shared by the quick test (default suite) and the fault run.
import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { reconcileStorage } from '../../workflows/reconcile-storage.ts';
import { postMultipart, file, field } from '../fixtures/multipart.ts';
import type { TestStack } from '../support/stack.ts';
import {
  configEnv,
  databaseUrlOf,
  filesUnder,
  forkChild,
  killHard,
  sleep,
  stopChild,
  type Child,
} from '../support/faults.ts';

/** The reconciler leaves files younger than this alone (activities/storage-reconciliation.ts); the test ages files past it. */
const ORPHAN_GRACE_MS = 10 * 60_000;
const KB = 1024;

/**
 * When the SIGKILL lands: halfway through the body; as the last byte is sent;
 * 50 ms later; or mid-commit: as soon as the first file has been moved into
 * storage, inside the still-open transaction.
 */
export type KillMoment = 'mid-body' | 'body-sent' | 'body-sent+50ms' | 'mid-commit';

export interface ApiKillRound {
  moment: KillMoment;
  sentFiles: number;
  rowsAfterKill: number;
  storedFilesAfterKill: number;
  stagedFilesAfterKill: number;
}

export interface ApiKillFigures {
  database: string;
  files_per_upload: number;
  rounds: ApiKillRound[];
  reconcile: { expired_staged_files_removed: number; files_without_rows: number; rows_without_files: number };
  after: { staged: number; stored_files: number; rows: number; rows_without_file: number; files_without_row: number };
  reupload_stored: number;
}

/** Starts the API alone in a child process (test/fixtures/upload-api-child.ts) on the stack's database and folders. */
export function startApiChild(
  stack: TestStack,
  env: Record<string, string> = {},
  execArgv: string[] = [],
): Promise<Child> {
  const pglite = stack.databaseKind === 'pglite';
  return forkChild(
    '../fixtures/upload-api-child.ts',
    {
      DATABASE_URL: databaseUrlOf(stack.sql),
      TEMPORAL_ADDRESS: stack.temporalAddress,
      ...configEnv(stack.config, pglite ? { db_pool_size: 1, max_concurrent_activities: 1 } : {}),
      ...env,
    },
    execArgv,
  );
}

function fileBytes(round: number, i: number, size: number): Buffer {
  const line = `round ${round} file ${i}: the quick brown fox jumps over the lazy dog\n`;
  return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size));
}

/** Streams `files` text files, pausing between them; calls `onFile(i)` after each has been handed to fetch. */
function slowBody(
  boundary: string,
  round: number,
  files: number,
  size: number,
  pauseMs: number,
  onFile: (i: number) => void,
): ReadableStream<Uint8Array> {
  async function* parts() {
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="process_immediately"\r\n\r\nfalse\r\n`);
    for (let i = 0; i < files; i++) {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="f-${round}-${i}.txt"\r\nContent-Type: text/plain\r\n\r\n`,
      );
      yield new Uint8Array(fileBytes(round, i, size));
      yield Buffer.from('\r\n');
      onFile(i + 1);
      await sleep(pauseMs);
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return ReadableStream.from(parts());
}

/**
 * For each moment: a fresh API child, a collection, a 50-file upload streamed
 * over about a second, and a SIGKILL at that moment. The upload is all or
 * nothing (0 or `files` rows). Then the reconciler runs with repair (files
 * aged past its grace period and the staging TTL, as time would): no staged
 * file left, no row without a file, no file without a row. A re-upload of
 * the same files then stores them all, once.
 */
export async function apiKillScenario(
  stack: TestStack,
  options: { files: number; fileKb: number; moments: KillMoment[] },
): Promise<ApiKillFigures> {
  const rounds: ApiKillRound[] = [];
  const collections: string[] = [];
  for (const [round, moment] of options.moments.entries()) {
    const api = await startApiChild(stack);
    const url = api.ready.url as string;
    try {
      const created = await fetch(`${url}/collections`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `api-kill-${round}` }),
      });
      assert.equal(created.status, 201);
      const collectionId = ((await created.json()) as { data: { id: string } }).data.id;
      collections.push(collectionId);

      let sent = 0;
      let killed: Promise<void> | undefined;
      const boundary = `apikill${round}`;
      const body = slowBody(boundary, round, options.files, options.fileKb * KB, 15, (i) => {
        sent = i;
        if (moment === 'mid-body' && i === Math.floor(options.files / 2)) killed ??= killHard(api);
      });
      const upload = fetch(`${url}/collections/${collectionId}/upload-and-process`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body,
        duplex: 'half',
      } as RequestInit).then(
        (r) => `answered ${r.status}`,
        (error: Error) => `cut: ${error.message}`,
      );
      let answeredFirst = false;
      void upload.then(() => (answeredFirst = true));
      if (moment === 'mid-commit') {
        const target = path.join(stack.config.storage_dir, collectionId);
        while (!answeredFirst && (await filesUnder(target)).length === 0) await sleep(1);
        killed = killHard(api);
      } else if (moment !== 'mid-body') {
        while (sent < options.files) await sleep(2);
        if (moment === 'body-sent+50ms') await sleep(50);
        killed = killHard(api);
      }
      await killed;
      const outcome = await upload;
      const [{ n: rows }] = await stack.sql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collectionId}`;
      const stored = (await filesUnder(stack.config.storage_dir)).filter((f) => f.startsWith(collectionId)).length;
      const staged = (await filesUnder(stack.config.staging_dir)).length;
      console.log(
        `api-kill round ${round} (${moment}): ${sent}/${options.files} files sent, client saw "${outcome}"; ${rows} rows, ${stored} stored files, ${staged} staged files left`,
      );
      if (stored > 0 && rows === 0)
        console.log(
          `api-kill round ${round}: ${stored} file(s) moved into storage by a transaction that never committed; the reconciler must remove them`,
        );
      assert.ok(rows === 0 || rows === options.files, `all or nothing: ${rows} rows`);
      rounds.push({
        moment,
        sentFiles: sent,
        rowsAfterKill: rows,
        storedFilesAfterKill: stored,
        stagedFilesAfterKill: staged,
      });
    } finally {
      await killHard(api);
    }
  }

  // Time passes: everything on disk is older than the staging TTL and the orphan grace period.
  const old = new Date(Date.now() - ORPHAN_GRACE_MS - 60_000);
  for (const dir of [stack.config.staging_dir, stack.config.storage_dir]) {
    for (const relative of await filesUnder(dir)) await utimes(path.join(dir, relative), old, old);
  }
  const report = await stack.temporal.workflow.execute(reconcileStorage, {
    workflowId: `reconcile-after-api-kill-${Date.now()}`,
    taskQueue: stack.config.task_queue,
    args: [{ repair: true }],
  });

  const staged = (await filesUnder(stack.config.staging_dir)).length;
  const storedKeys = new Set(await filesUnder(stack.config.storage_dir));
  const rows = await stack.sql<
    { storage_key: string; status: string }[]
  >`SELECT storage_key, status FROM documents WHERE collection_id = ANY(${collections}::uuid[])`;
  const rowKeys = new Set(rows.map((r) => r.storage_key));
  const rowsWithoutFile = rows.filter((r) => !storedKeys.has(r.storage_key)).length;
  const filesWithoutRow = [...storedKeys].filter((k) => !rowKeys.has(k)).length;
  assert.equal(staged, 0, 'no staged file left');
  assert.equal(filesWithoutRow, 0, 'no file without a row');
  assert.equal(rowsWithoutFile, 0, 'no row without a file');
  assert.equal(
    report.rows_without_files,
    0,
    'the reconciler found no row without a file (the commit moves files before it commits)',
  );
  assert.ok(
    rows.every((r) => r.status === 'uploaded'),
    'no row had to be marked failed',
  );

  // The client tries again, on a fresh API: every file is stored once (or was already).
  const api = await startApiChild(stack);
  let reuploaded: number;
  try {
    const url = api.ready.url as string;
    const collectionId = collections[0];
    const res = await postMultipart(`${url}/collections/${collectionId}/upload-and-process`, [
      ...Array.from({ length: options.files }, (_, i) => file(`f-0-${i}.txt`, fileBytes(0, i, options.fileKb * KB))),
      field('process_immediately', 'false'),
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 500));
    assert.equal(res.body.data.counts.stored + res.body.data.counts.duplicate, options.files);
    reuploaded = res.body.data.counts.stored;
    const [{ n }] = await stack.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collectionId}`;
    assert.equal(n, options.files, 'each file stored exactly once');
  } finally {
    await stopChild(api, 5_000);
  }
  return {
    database: stack.databaseKind,
    files_per_upload: options.files,
    rounds,
    reconcile: {
      expired_staged_files_removed: report.expired_staged_files_removed,
      files_without_rows: report.files_without_rows,
      rows_without_files: report.rows_without_files,
    },
    after: {
      staged,
      stored_files: storedKeys.size,
      rows: rows.length,
      rows_without_file: rowsWithoutFile,
      files_without_row: filesWithoutRow,
    },
    reupload_stored: reuploaded,
  };
}
