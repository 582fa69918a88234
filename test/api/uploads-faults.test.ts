import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UploadRouteDeps } from '../../api/routes/uploads.ts';
import { startApiServer } from '../../api/server.ts';
import type { CommitHooks } from '../../api/uploads/commit-upload.ts';
import { makePdf, makeText } from '../fixtures/upload-files.ts';
import { eventually } from '../support/eventually.ts';
import { field, file, postMultipart } from '../fixtures/multipart.ts';
import { request } from '../support/http.ts';
import { startTestStack, STORAGE_BACKENDS, type TestStack } from '../support/stack.ts';
import { storedKeys } from '../support/stored-keys.ts';

/** A failure injected at a chosen step of the commit must leave no row and no file behind. */
for (const backend of STORAGE_BACKENDS) {
  describe(`upload commit under injected failures (${backend} storage)`, () => {
    let stack: TestStack;
    let url: string;
    let close: () => Promise<void>;
    const hooks: CommitHooks = {};
    before(async () => {
      stack = await startTestStack({
        storage: backend,
        worker: false,
        api: false,
        config: { max_upload_batch_size: 10 },
      });
      const deps: UploadRouteDeps = {
        config: stack.config,
        sql: stack.sql,
        temporal: stack.temporal,
        storage: stack.storage,
        staging: stack.staging,
        commitHooks: hooks,
      };
      const api = await startApiServer(deps, '127.0.0.1', 0);
      url = api.url;
      close = api.close;
    });
    after(async () => {
      await close?.();
      await stack?.teardown();
    });

    const storageFiles = () => storedKeys(stack.storage);
    const stagingIsEmpty = () =>
      eventually(
        () => stack.staging.count(),
        (n) => n === 0,
        'staging folder is empty',
      );
    const collectionRow = async (id: string) =>
      (
        await stack.sql<
          { status: string; last_error: string | null }[]
        >`SELECT status, last_error FROM collections WHERE id = ${id}`
      )[0];
    const documentCount = async (id: string) =>
      (await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM documents WHERE collection_id = ${id}`)[0].n;
    const tenFiles = async (tag: string) =>
      Promise.all(
        Array.from({ length: 10 }, async (_, i) =>
          file(`doc${i}.${i % 2 ? 'pdf' : 'txt'}`, i % 2 ? await makePdf(`${tag} ${i}`) : makeText(`${tag} ${i}`)),
        ),
      );

    test('failing while moving file 5 of 10: rollback, the 4 moved files removed, staging empty, collection says what happened', async () => {
      const collection = (await request('POST', `${url}/collections`, { name: 'faulty' })).body.data.id;
      const before = (await storageFiles()).length;
      hooks.beforeMove = (_planned, movedSoFar) => {
        if (movedSoFar === 4) throw new Error('disk vanished (injected)');
      };
      const res = await postMultipart(`${url}/collections/${collection}/upload-and-process`, [
        ...(await tenFiles('a')),
        field('process_immediately', 'false'),
      ]);
      delete hooks.beforeMove;
      assert.equal(res.status, 500);
      assert.equal(res.body.error.code, 'internal_error');
      assert.equal(await documentCount(collection), 0);
      assert.equal((await storageFiles()).length, before);
      await stagingIsEmpty();
      const row = await collectionRow(collection);
      assert.equal(row.status, 'failed');
      assert.match(
        row.last_error!,
        /^upload failed: 10 file\(s\) not stored, nothing kept: disk vanished \(injected\)/,
      );

      // The next good upload stores everything and clears the upload failure.
      const retry = await postMultipart(`${url}/collections/${collection}/upload-and-process`, [
        ...(await tenFiles('a')),
        field('process_immediately', 'false'),
      ]);
      assert.equal(retry.status, 200);
      assert.equal(retry.body.data.counts.stored, 10);
      assert.deepEqual(await collectionRow(collection), { status: 'created', last_error: null });
      assert.equal(await documentCount(collection), 10);
    });

    test('failing after the rows are inserted, before any move: no row, no file', async () => {
      const collection = (await request('POST', `${url}/collections`, { name: 'faulty-rows' })).body.data.id;
      const before = (await storageFiles()).length;
      hooks.afterRowsInserted = () => {
        throw new Error('connection lost (injected)');
      };
      const res = await postMultipart(`${url}/collections/${collection}/upload-and-process`, [
        ...(await tenFiles('b')),
        field('atomic', 'false'),
      ]);
      delete hooks.afterRowsInserted;
      assert.equal(res.status, 500);
      assert.equal(await documentCount(collection), 0);
      assert.equal((await storageFiles()).length, before);
      await stagingIsEmpty();
      assert.equal((await collectionRow(collection)).status, 'failed');
    });

    test('a collection being processed keeps its status; only last_error records the failed upload', async () => {
      const collection = (await request('POST', `${url}/collections`, { name: 'busy' })).body.data.id;
      await stack.sql`UPDATE collections SET status = 'processing' WHERE id = ${collection}`;
      hooks.afterRowsInserted = () => {
        throw new Error('boom (injected)');
      };
      const res = await postMultipart(`${url}/collections/${collection}/upload-and-process`, [
        file('x.txt', makeText()),
      ]);
      delete hooks.afterRowsInserted;
      assert.equal(res.status, 500);
      const row = await collectionRow(collection);
      assert.equal(row.status, 'processing');
      assert.match(row.last_error!, /boom \(injected\)/);
    });
  });
}
