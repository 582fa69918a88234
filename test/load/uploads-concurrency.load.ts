import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { field, file, postMultipart } from '../fixtures/multipart.ts';
import { startApiChild } from '../faults/api-kill.ts';
import {
  descriptorKinds,
  filesUnder,
  procStats,
  reportFigures,
  sleep,
  stopChild,
  type Child,
} from '../support/faults.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const CLIENTS = 10;
const FILES_EACH = 20;
const FILE_KB = 100;

describe(`${CLIENTS} clients at once, each uploading ${FILES_EACH} files`, () => {
  let stack: TestStack;
  let api: Child;
  before(async () => {
    stack = await startTestStack({ worker: false, api: false });
    api = await startApiChild(stack);
  });
  after(async () => {
    await stopChild(api, 5_000);
    await stack?.teardown();
  });

  test('all stored exactly once, no error, the API back to its baseline of open descriptors', async () => {
    const url = api.ready.url as string;
    const created = await request('POST', `${url}/collections`, { name: 'load-uploads' });
    const collectionId = created.body.data.id as string;
    await request('GET', `${url}/health`);
    await sleep(500);
    const databasePort = (stack.sql.options as unknown as { port: number[] }).port[0];
    const baseline = await procStats(api.pid);
    const baselineKinds = await descriptorKinds(api.pid, databasePort);

    let peakFds = baseline.fds;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakFds = Math.max(peakFds, (await procStats(api.pid)).fds);
        await sleep(20);
      }
    })();
    const hashes = new Set<string>();
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: CLIENTS }, (_, c) => {
        const parts = Array.from({ length: FILES_EACH }, (_, i) => {
          const line = `client ${c} file ${i} of the concurrent upload load test\n`;
          const bytes = Buffer.from(line.repeat(Math.ceil((FILE_KB * 1024) / line.length)));
          hashes.add(createHash('sha256').update(bytes).digest('hex'));
          return file(`c${c}-f${i}.txt`, bytes);
        });
        return postMultipart(`${url}/collections/${collectionId}/upload-and-process`, [
          ...parts,
          field('process_immediately', 'false'),
        ]);
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    sampling = false;
    await sampler;
    for (const answer of answers) {
      assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 300));
      assert.deepEqual(answer.body.data.counts, { total: FILES_EACH, stored: FILES_EACH, duplicate: 0, rejected: 0 });
    }
    const rows = await stack.sql<
      { content_hash: string; storage_key: string }[]
    >`SELECT content_hash, storage_key FROM documents WHERE collection_id = ${collectionId}`;
    assert.equal(rows.length, CLIENTS * FILES_EACH, 'one row per file');
    assert.deepEqual(new Set(rows.map((r) => r.content_hash)), hashes, 'every file once, by its bytes');
    const stored = await filesUnder(stack.config.storage_dir);
    assert.equal(stored.length, CLIENTS * FILES_EACH, 'one stored file per row');
    assert.equal((await filesUnder(stack.config.staging_dir)).length, 0, 'nothing left in staging');

    // Keep-alive sockets close after the server's keep-alive timeout; then the count is back.
    // Pooled database connections opened by the load stay open up to the pool's idle
    // timeout (30 s): they are counted apart and must stay within the pool.
    const deadline = Date.now() + 15_000;
    let after = await descriptorKinds(api.pid, databasePort);
    const settled = (k: typeof after) => k.rest <= baselineKinds.rest && k.otherSockets <= baselineKinds.otherSockets;
    while (!settled(after) && Date.now() < deadline) {
      await sleep(250);
      after = await descriptorKinds(api.pid, databasePort);
    }
    assert.ok(
      settled(after),
      `open descriptors back to baseline: ${JSON.stringify(after)} now, ${JSON.stringify(baselineKinds)} before`,
    );
    assert.ok(after.database <= stack.config.db_pool_size, `database sockets within the pool: ${after.database}`);
    const stats = await procStats(api.pid);
    reportFigures('load-uploads', {
      database: stack.databaseKind,
      clients: CLIENTS,
      files: CLIENTS * FILES_EACH,
      file_kb: FILE_KB,
      seconds,
      stored_rows: rows.length,
      stored_files: stored.length,
      errors: answers.filter((a) => a.status !== 200).length,
      fds: {
        baseline: baseline.fds,
        peak: peakFds,
        after: after.total,
        baseline_by_kind: baselineKinds,
        after_by_kind: after,
      },
      api_vm_hwm_mb: Math.round(stats.vmHwmKb / 1024),
    });
  });
});
