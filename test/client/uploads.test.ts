import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FileIntelClient } from '../../api/client/index.ts';
import { LocalFilesError, planRequests, type UploadProgress } from '../../api/client/uploads.ts';
import { makePdf, makePng, makeText } from '../fixtures/upload-files.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/** This process's open descriptors on files below `under` (sockets of the in-process API and of fetch are not counted). */
async function openFileDescriptors(under: string): Promise<number> {
  const targets = await Promise.all(
    (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
  );
  return targets.filter((target) => target.startsWith(under)).length;
}
describe('client uploadDocumentsBatch (real API, real disk)', () => {
  let stack: TestStack;
  let client: FileIntelClient;
  let dir: string;
  before(async () => {
    stack = await startTestStack({ worker: false, config: { max_upload_batch_size: 3 } });
    client = new FileIntelClient({ baseUrl: stack.apiUrl });
    dir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-client-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await stack?.teardown();
  });

  const writeFiles = async (sub: string, files: [string, Buffer][]) => {
    await mkdir(path.join(dir, sub), { recursive: true });
    return Promise.all(
      files.map(
        async ([name, bytes]) => (await writeFile(path.join(dir, sub, name), bytes), path.join(dir, sub, name)),
      ),
    );
  };
  const rows = async (collection: string) =>
    (await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${collection}`)[0]
      .n;

  test('missing or unreadable paths are all reported before anything is sent; descriptors back to baseline', async () => {
    let requests = 0;
    const counter = http.createServer((_req, res) => {
      requests += 1;
      res.end();
    });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    try {
      const [good] = await writeFiles('missing', [['good.txt', makeText()]]);
      const counting = new FileIntelClient({
        baseUrl: `http://127.0.0.1:${(counter.address() as AddressInfo).port}/api/v3`,
      });
      const baseline = await readdir('/proc/self/fd').then((fds) => fds.length);
      const baselineFiles = await openFileDescriptors(dir);
      const paths = [
        good,
        path.join(dir, 'missing', 'nope-1.pdf'),
        path.join(dir, 'missing'),
        path.join(dir, 'missing', 'nope-2.txt'),
      ];
      await assert.rejects(counting.uploads.uploadDocumentsBatch('any', paths), (error: unknown) => {
        assert.ok(error instanceof LocalFilesError);
        assert.deepEqual(
          error.problems.map((p) => [path.basename(p.path), p.problem]),
          [
            ['nope-1.pdf', 'does not exist'],
            ['missing', 'not a regular file'],
            ['nope-2.txt', 'does not exist'],
          ],
        );
        assert.match(error.message, /3 file\(s\) cannot be uploaded, nothing was sent/);
        return true;
      });
      assert.equal(requests, 0);
      assert.equal(await readdir('/proc/self/fd').then((fds) => fds.length), baseline);
      assert.equal(await openFileDescriptors(dir), baselineFiles);
    } finally {
      counter.close();
    }
  });

  test('a batch is split within the server limit, sent in parallel, all stored, with progress; a re-run stores nothing new', async () => {
    const collection = (await client.collections.create('client-batch')).id;
    const files = await writeFiles(
      'batch',
      await Promise.all(
        Array.from(
          { length: 7 },
          async (_, i) =>
            [`doc${i}.${i % 2 ? 'pdf' : 'txt'}`, i % 2 ? await makePdf(`pdf ${i}`) : makeText(`text ${i}`)] as [
              string,
              Buffer,
            ],
        ),
      ),
    );
    const baseline = await openFileDescriptors(dir);
    const seen: UploadProgress[] = [];
    const result = await client.uploads.uploadDocumentsBatch(collection, files, {
      concurrency: 2,
      onProgress: (p) => seen.push(p),
    });
    assert.deepEqual(result.counts, { total: 7, stored: 7, duplicate: 0, rejected: 0, failed: 0, not_sent: 0 });
    assert.deepEqual(
      result.files.map((f) => f.path),
      files,
    );
    const last = seen[seen.length - 1];
    assert.equal(last.filesDone, 7);
    assert.equal(last.bytesSent, last.bytesTotal);
    assert.equal(await rows(collection), 7);
    assert.equal(await openFileDescriptors(dir), baseline);

    const again = await client.uploads.uploadDocumentsBatch(collection, files, { concurrency: 3 });
    assert.equal(again.counts.duplicate, 7);
    assert.equal(again.counts.stored, 0);
    assert.equal(await rows(collection), 7);
  });

  test('refusals, atomic requests and an unreachable server: per-file outcomes, every handle closed', async () => {
    const collection = (await client.collections.create('client-refusals')).id;
    const files = await writeFiles('mixed', [
      ['a.txt', makeText('a')],
      ['b.pdf', makePng()],
      ['c.txt', makeText('c')],
    ]);
    const baseline = await openFileDescriptors(dir);
    const loose = await client.uploads.uploadDocumentsBatch(collection, files, { concurrency: 1 });
    assert.deepEqual(
      loose.files.map((f) => [f.outcome, f.reason ?? null]),
      [
        ['stored', null],
        ['rejected', 'type_mismatch'],
        ['stored', null],
      ],
    );

    const other = (await client.collections.create('client-atomic')).id;
    const atomic = await client.uploads.uploadDocumentsBatch(other, files, { concurrency: 1, atomic: true });
    assert.deepEqual(
      atomic.files.map((f) => f.reason),
      ['batch_refused', 'type_mismatch', 'batch_refused'],
    );
    assert.equal(await rows(other), 0);

    const down = new FileIntelClient({ baseUrl: 'http://127.0.0.1:1/api/v3' });
    await assert.rejects(down.uploads.uploadDocumentsBatch(other, files), /cannot reach/);
    assert.equal(await openFileDescriptors(dir), baseline);
  });

  test('planRequests respects the count and byte limits and spreads files over the concurrency', () => {
    const limits = {
      max_upload_batch_size: 3,
      max_file_size_bytes: 100,
      max_upload_request_bytes: 100,
      max_concurrent_uploads: 2,
      allowed_extensions: [],
    };
    const sizes = (groups: { size: number }[][]) => groups.map((g) => g.map((f) => f.size));
    assert.deepEqual(
      sizes(
        planRequests(
          [10, 10, 10, 10, 10, 10, 10].map((size) => ({ size })),
          limits,
          1,
        ),
      ),
      [[10, 10, 10], [10, 10, 10], [10]],
    );
    assert.deepEqual(
      sizes(
        planRequests(
          [10, 10, 10, 10].map((size) => ({ size })),
          limits,
          4,
        ),
      ),
      [[10], [10], [10], [10]],
    );
    assert.deepEqual(
      sizes(
        planRequests(
          [60, 60, 30, 10].map((size) => ({ size })),
          limits,
          1,
        ),
      ),
      [[60], [60, 30, 10]],
    );
  });
});
