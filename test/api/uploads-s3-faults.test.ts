import assert from 'node:assert/strict';
import { access, readFile, readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createDocumentProcessingActivities } from '../../activities/document-processing/index.ts';
import type { UploadRouteDeps } from '../../api/routes/uploads.ts';
import { startApiServer } from '../../api/server.ts';
import type { CommitHooks } from '../../api/uploads/commit-upload.ts';
import { createStorage } from '../../storage/index.ts';
import { mixedText } from '../fixtures/mixed-text.ts';
import { field, file, multipartBody, postMultipart } from '../fixtures/multipart.ts';
import { makePdf, makeText } from '../fixtures/upload-files.ts';
import { request } from '../support/http.ts';
import { S3_TEST_CREDENTIALS } from '../support/s3-server.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/**
 * The S3 backend when the store misbehaves: wrong credentials, a missing
 * bucket, the server gone mid-upload or mid-commit. Every refusal is a 503
 * naming the storage, and nothing is written: no row, no committed object.
 */
describe('uploads and processing when the S3 store fails (real rclone S3 server)', () => {
  let stack: TestStack;
  const servers: { close(): Promise<void> }[] = [];
  const hooks: CommitHooks = {};
  before(async () => {
    stack = await startTestStack({
      storage: 's3',
      worker: false,
      api: false,
      config: { max_file_size_mb: 40, max_upload_request_mb: 80 },
    });
  });
  after(async () => {
    for (const server of servers) await server.close();
    await stack?.teardown();
  });

  /** An API over the stack's database and Temporal, with its own storage settings and secrets. */
  async function apiWith(
    overrides: Record<string, unknown>,
    env: Record<string, string> = stack.s3!.env,
  ): Promise<string> {
    const config = { ...stack.config, ...overrides } as typeof stack.config;
    const { storage, staging } = await createStorage(config, env);
    const deps: UploadRouteDeps = {
      config,
      sql: stack.sql,
      temporal: stack.temporal,
      storage,
      staging,
      commitHooks: hooks,
    };
    const api = await startApiServer(deps, '127.0.0.1', 0);
    servers.push({ close: api.close });
    return api.url;
  }

  const newCollection = async (url: string, name: string) =>
    (await request('POST', `${url}/collections`, { name })).body.data.id as string;
  const documentCount = async (id: string) =>
    (await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${id}`)[0].n;
  /** Every file the S3 server holds, straight from its folder (not through the API under test). */
  async function objectsOnServer(): Promise<string[]> {
    const root = path.join(stack.s3!.root, stack.s3!.bucket);
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
  }
  const committedObjects = async () =>
    (await objectsOnServer()).filter((key) => key.startsWith('fileintel/documents/'));
  const someFiles = async () => [
    file('notes.txt', Buffer.from(mixedText(6_000, 7))),
    file('paper.pdf', await makePdf('a paper')),
    field('process_immediately', 'false'),
  ];

  test('wrong credentials: 503 naming the bucket and the refused credentials; no row, no object', async () => {
    const url = await apiWith(
      {},
      { FILEINTEL_S3_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, FILEINTEL_S3_SECRET_ACCESS_KEY: 'not-the-secret' },
    );
    const collection = await newCollection(url, 'bad-credentials');
    const before = await objectsOnServer();
    const res = await postMultipart(`${url}/collections/${collection}/upload-and-process`, await someFiles());
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'storage_unavailable');
    assert.match(
      res.body.error.message,
      /S3 bucket 'documents' at http:\/\/127\.0\.0\.1:\d+: staging upload '.*' failed: the credentials were refused/,
    );
    assert.equal(await documentCount(collection), 0);
    assert.deepEqual(await objectsOnServer(), before);
  });

  test('a missing bucket: 503 naming the bucket; no row, no object', async () => {
    const url = await apiWith({ s3_bucket: 'no-such-bucket' });
    const collection = await newCollection(url, 'missing-bucket');
    const before = await objectsOnServer();
    const res = await postMultipart(`${url}/collections/${collection}/upload-and-process`, await someFiles());
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'storage_unavailable');
    assert.match(res.body.error.message, /the bucket 'no-such-bucket' does not exist/);
    assert.equal(await documentCount(collection), 0);
    assert.deepEqual(await objectsOnServer(), before);
  });

  test('the server goes down mid-upload (a 24 MB multipart file half sent): 503, no row, no committed object', async () => {
    const url = await apiWith({});
    const collection = await newCollection(url, 'down-mid-upload');
    const big = Buffer.alloc(24 * 1024 * 1024);
    const text = Buffer.from(mixedText(200_000, 11));
    for (let at = 0; at < big.length; at += text.length) text.copy(big, at);
    const { body, contentType } = multipartBody([file('big.txt', big), field('process_immediately', 'false')]);
    const answer = new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request(
        `${url}/collections/${collection}/upload-and-process`,
        { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length } },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      // Half the body, then the store goes away, then the rest.
      req.write(body.subarray(0, body.length / 2), async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await stack.s3!.stop();
        req.end(body.subarray(body.length / 2));
      });
    });
    const res = await answer;
    await stack.s3!.start();
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'storage_unavailable');
    assert.match(
      res.body.error.message,
      /S3 bucket 'documents' at .*: staging upload '.*' failed: the endpoint cannot be reached/,
    );
    assert.equal(await documentCount(collection), 0);
    assert.deepEqual(await committedObjects(), []);
  });

  test('the server goes down during the commit (rows inserted, objects not yet copied): 503, rows rolled back, no committed object', async () => {
    const url = await apiWith({});
    const collection = await newCollection(url, 'down-mid-commit');
    hooks.afterRowsInserted = () => stack.s3!.stop();
    const res = await postMultipart(`${url}/collections/${collection}/upload-and-process`, await someFiles());
    delete hooks.afterRowsInserted;
    await stack.s3!.start();
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.match(
      res.body.error.message,
      /storing object 'fileintel\/documents\/.*' failed: the endpoint cannot be reached/,
    );
    assert.equal(await documentCount(collection), 0);
    assert.deepEqual(await committedObjects(), []);
    const row = (
      await stack.sql<{ last_error: string }[]>`SELECT last_error FROM collections WHERE id = ${collection}`
    )[0];
    assert.match(row.last_error, /^upload failed: 2 file\(s\) not stored, nothing kept: S3 bucket 'documents'/);

    // With the server back the same request stores both.
    const retry = await postMultipart(`${url}/collections/${collection}/upload-and-process`, await someFiles());
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.data.counts.stored, 2);
    assert.equal((await committedObjects()).length, 2);
  });

  test("a worker's private copy of an object is removed when its use ends: succeeded, failed or missing object", async () => {
    const key = 'copies/report.txt';
    const bytes = Buffer.from(mixedText(20_000, 3));
    await stack.storage.put(key, bytes);
    const gone = async (file: string) => assert.rejects(access(file), { code: 'ENOENT' }, `${file} removed`);
    let seen = '';
    const read = await stack.storage.withLocalFile(key, async (file) => {
      seen = file;
      return readFile(file);
    });
    assert.ok(read.equals(bytes), 'the copy holds the object');
    await gone(seen);
    await assert.rejects(
      stack.storage.withLocalFile(key, async (file) => {
        seen = file;
        throw new Error('parser crashed');
      }),
      /parser crashed/,
    );
    await gone(seen);
    await assert.rejects(
      stack.storage.withLocalFile('copies/none.txt', async () => 'never'),
      /NoSuchKey|does not exist|not found/i,
    );
    await stack.storage.remove(key);
  });

  test('a worker that cannot reach the store fails the attempt retryably, naming the object key', async () => {
    const url = await apiWith({});
    const collection = await newCollection(url, 'worker-down');
    const res = await postMultipart(`${url}/collections/${collection}/upload-and-process`, [
      file('kept.txt', makeText('a document to process')),
      field('process_immediately', 'false'),
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [document] = await stack.sql<
      { id: string; storage_key: string }[]
    >`SELECT id, storage_key FROM documents WHERE collection_id = ${collection}`;
    const activities = createDocumentProcessingActivities({
      config: stack.config,
      sql: stack.sql,
      storage: stack.storage,
    });
    await stack.s3!.stop();
    try {
      const options = { extract_metadata: false, generate_embeddings: false, build_graph: false };
      await assert.rejects(
        new MockActivityEnvironment().run(activities.processDocument, { documentId: document.id, options }),
        (error: unknown) => {
          assert.ok(error instanceof ApplicationFailure, String(error));
          assert.equal(error.nonRetryable, false);
          assert.ok(error.message.startsWith('extract: S3 bucket '), error.message);
          assert.ok(error.message.includes(`'fileintel/documents/${document.storage_key}'`), error.message);
          assert.match(error.message, /the endpoint cannot be reached/);
          return true;
        },
      );
    } finally {
      await stack.s3!.start();
    }
    // Back up, the same activity reads the object and commits its chunks.
    const options = { extract_metadata: false, generate_embeddings: false, build_graph: false };
    const done = (await new MockActivityEnvironment().run(activities.processDocument, {
      documentId: document.id,
      options,
    })) as { chunks: number };
    assert.equal(done.chunks, 1);
  });
});
