import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { makeDocx, makeEpub, makeHtml, makePdf, makePng, makeText } from '../fixtures/upload-files.ts';
import { eventually } from '../support/eventually.ts';
import { field, file, postMultipart } from '../fixtures/multipart.ts';
import { request } from '../support/http.ts';
import { startTestStack, STORAGE_BACKENDS, type TestStack } from '../support/stack.ts';
import { storedKeys } from '../support/stored-keys.ts';

const MB = 1024 * 1024;

for (const backend of STORAGE_BACKENDS) {
  describe(`document uploads over HTTP (real Temporal, real database, ${backend} storage)`, () => {
    let stack: TestStack;
    let url: string;
    before(async () => {
      stack = await startTestStack({
        storage: backend,
        worker: false,
        config: { max_upload_batch_size: 3, max_file_size_mb: 1, max_upload_request_mb: 2 },
      });
      url = stack.apiUrl;
    });
    after(() => stack?.teardown());

    let collectionCounter = 0;
    const newCollection = async () => {
      const res = await request('POST', `${url}/collections`, { name: `uploads-${++collectionCounter}` });
      assert.equal(res.status, 201);
      return res.body.data.id as string;
    };
    const batch = (collection: string) => `${url}/collections/${collection}/upload-and-process`;
    const documentRows = async (collection: string) =>
      stack.sql<
        {
          id: string;
          original_filename: string;
          storage_key: string;
          content_hash: string;
          size_bytes: string;
          mime_type: string;
        }[]
      >`
        SELECT id, original_filename, storage_key, content_hash, size_bytes, mime_type FROM documents WHERE collection_id = ${collection} ORDER BY original_filename`;
    const storedFiles = (collection: string) => storedKeys(stack.storage, `${collection}/`);
    const stagingIsEmpty = () =>
      eventually(
        () => stack.staging.count(),
        (n) => n === 0,
        'staging folder is empty',
      );
    const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

    test('GET /uploads/limits tells clients how to split', async () => {
      const res = await request('GET', `${url}/uploads/limits`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, {
        max_upload_batch_size: 3,
        max_file_size_bytes: MB,
        max_upload_request_bytes: 2 * MB,
        max_concurrent_uploads: 10,
        allowed_extensions: [
          'pdf',
          'epub',
          'docx',
          'txt',
          'md',
          'html',
          'htm',
          'mobi',
          'azw',
          'azw3',
          'png',
          'jpg',
          'jpeg',
          'tif',
          'tiff',
        ],
      });
    });

    test('every accepted type is stored: one row each with hash and type, the file under its storage key', async () => {
      const collection = await newCollection();
      const docs: [string, Buffer, string][] = [
        ['paper.pdf', await makePdf(), 'application/pdf'],
        ['letter.docx', await makeDocx(), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
        ['book.epub', await makeEpub(), 'application/epub+zip'],
        ['notes.txt', makeText(), 'text/plain'],
        ['readme.md', makeText('# title'), 'text/markdown'],
        ['page.html', makeHtml(), 'text/html'],
      ];
      for (let i = 0; i < docs.length; i += 3) {
        const res = await postMultipart(batch(collection), [
          ...docs.slice(i, i + 3).map(([name, bytes]) => file(name, bytes)),
          field('process_immediately', 'false'),
        ]);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body.data.counts, { total: 3, stored: 3, duplicate: 0, rejected: 0 });
        assert.equal(res.body.data.task_id, null);
        assert.deepEqual(res.body.data.processing, { requested: false, started: false });
      }
      const rows = await documentRows(collection);
      assert.equal(rows.length, 6);
      for (const [name, bytes, mime] of docs) {
        const row = rows.find((r) => r.original_filename === name)!;
        assert.ok(row, name);
        assert.equal(row.content_hash, sha256(bytes));
        assert.equal(Number(row.size_bytes), bytes.length);
        assert.equal(row.mime_type, mime);
        assert.match(row.storage_key, new RegExp(`^${collection}/${row.id}\\.${name.split('.').pop()}$`));
        assert.equal(await stack.storage.exists(row.storage_key), true);
      }
      assert.equal((await storedFiles(collection)).length, 6);
      await stagingIsEmpty();
    });

    test('the single-file route stores one file and answers 201 with the same per-file shape', async () => {
      const collection = await newCollection();
      const res = await postMultipart(`${url}/collections/${collection}/documents`, [
        file('one.pdf', await makePdf('one'), 'file'),
      ]);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.data.files[0].outcome, 'stored');
      assert.equal(res.body.data.files[0].filename, 'one.pdf');
      const two = await postMultipart(`${url}/collections/${collection}/documents`, [
        file('a.pdf', await makePdf('a'), 'file'),
        file('b.pdf', await makePdf('b'), 'file'),
      ]);
      assert.equal(two.status, 413);
      assert.equal(two.body.error.details.limit, 'files_per_request');
      const png = await postMultipart(`${url}/collections/${collection}/documents`, [
        file('pic.pdf', makePng(), 'file'),
      ]);
      assert.equal(png.status, 422);
      assert.equal(png.body.error.details.files[0].reason, 'type_mismatch');
      assert.equal((await documentRows(collection)).length, 1);
      await stagingIsEmpty();
    });

    test('more files than max_upload_batch_size: 413 naming the limit and the count, nothing stored', async () => {
      const collection = await newCollection();
      const res = await postMultipart(
        batch(collection),
        [1, 2, 3, 4].map((i) => file(`f${i}.txt`, makeText(`file ${i}`))),
      );
      assert.equal(res.status, 413);
      assert.equal(res.body.success, false);
      assert.equal(res.body.error.code, 'limit_exceeded');
      assert.match(res.body.error.message, /max_upload_batch_size = 3/);
      assert.deepEqual(res.body.error.details, {
        limit: 'max_upload_batch_size',
        allowed: 3,
        actual: 4,
        actual_is_at_least: true,
      });
      assert.equal((await documentRows(collection)).length, 0);
      assert.deepEqual(await storedFiles(collection), []);
      await stagingIsEmpty();
    });

    test('a file over max_file_size_mb: 413 naming the file and the limit, reading stops, nothing stored', async () => {
      const collection = await newCollection();
      const big = Buffer.alloc(MB + 1, 'a');
      const res = await postMultipart(batch(collection), [
        file('small.txt', makeText()),
        file('huge.txt', big),
        file('after.txt', makeText()),
      ]);
      assert.equal(res.status, 413);
      assert.equal(res.body.error.details.limit, 'max_file_size_mb');
      assert.equal(res.body.error.details.allowed, MB);
      assert.equal(res.body.error.details.filename, 'huge.txt');
      assert.match(res.body.error.message, /huge\.txt.*max_file_size_mb/);
      assert.equal((await documentRows(collection)).length, 0);
      await stagingIsEmpty();
    });

    test('files together over max_upload_request_mb: 413 naming the limit', async () => {
      const collection = await newCollection();
      const parts = [1, 2, 3].map((i) => file(`part${i}.txt`, Buffer.alloc(MB - 10, String(i))));
      const res = await postMultipart(batch(collection), parts);
      assert.equal(res.status, 413);
      assert.equal(res.body.error.details.limit, 'max_upload_request_mb');
      assert.equal(res.body.error.details.allowed, 2 * MB);
      assert.equal((await documentRows(collection)).length, 0);
      await stagingIsEmpty();
    });

    test('atomic=true: one bad file refuses the request with every bad file and its reason; nothing stored', async () => {
      const collection = await newCollection();
      const res = await postMultipart(batch(collection), [
        file('good.txt', makeText()),
        file('empty.txt', Buffer.alloc(0)),
        file('photo.webp', makePng()),
      ]);
      assert.equal(res.status, 422);
      assert.equal(res.body.error.code, 'upload_rejected');
      assert.deepEqual(
        res.body.error.details.files.map((f: { filename: string; outcome: string; reason: string }) => [
          f.filename,
          f.outcome,
          f.reason,
        ]),
        [
          ['good.txt', 'rejected', 'batch_refused'],
          ['empty.txt', 'rejected', 'empty_file'],
          ['photo.webp', 'rejected', 'unsupported_extension'],
        ],
      );
      assert.deepEqual(res.body.error.details.counts, { total: 3, stored: 0, duplicate: 0, rejected: 3 });
      assert.match(res.body.error.message, /2 of 3 file\(s\) refused/);
      assert.equal((await documentRows(collection)).length, 0);
      assert.deepEqual(await storedFiles(collection), []);
      await stagingIsEmpty();
    });

    test('atomic=false: good files are stored, each refusal has its stable reason and a message', async () => {
      const collection = await newCollection();
      const cases: [string, Buffer, string][] = [
        ['empty.pdf', Buffer.alloc(0), 'empty_file'],
        ['\u0001\u0002', makeText(), 'invalid_filename'],
        ['archive.zip', makeText(), 'unsupported_extension'],
        ['fake.pdf', makeText('not a pdf at all'), 'type_mismatch'],
        ['binary.txt', makePng(), 'type_mismatch'],
        ['noextension', makeText(), 'unsupported_extension'],
      ];
      for (const [name, bytes, reason] of cases) {
        const res = await postMultipart(batch(collection), [
          file('ok.md', makeText(`ok for ${reason} ${name}`)),
          file(name, bytes),
          field('atomic', 'false'),
          field('process_immediately', 'false'),
        ]);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const [good, bad] = res.body.data.files;
        assert.equal(good.outcome, 'stored');
        assert.equal(bad.outcome, 'rejected', name);
        assert.equal(bad.reason, reason, name);
        assert.ok(bad.message.length > 0);
        assert.equal(bad.document_id, undefined);
        assert.deepEqual(res.body.data.counts, { total: 2, stored: 1, duplicate: 0, rejected: 1 });
      }
      assert.equal((await documentRows(collection)).length, cases.length);
      assert.equal((await storedFiles(collection)).length, cases.length);
      await stagingIsEmpty();
    });

    test('names are sanitised for display: no path parts, no control characters, bounded length', async () => {
      const collection = await newCollection();
      const longName = 'x'.repeat(300) + '.txt';
      const res = await postMultipart(batch(collection), [
        file('../../etc/pass\u0007wd.txt', makeText('a')),
        file('C:\\Users\\me\\\u202eevil.md', makeText('b')),
        file(longName, makeText('c')),
        field('process_immediately', 'false'),
      ]);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const names = res.body.data.files.map((f: { filename: string }) => f.filename);
      assert.deepEqual(names.slice(0, 2), ['passwd.txt', 'evil.md']);
      assert.equal(names[2].length, 200);
      assert.ok(names[2].endsWith('.txt'));
      const rows = await documentRows(collection);
      assert.deepEqual(rows.map((r) => r.original_filename).sort(), [...names].sort());
      for (const row of rows) assert.ok(!row.storage_key.includes('..'));
    });

    test('duplicates within one request and across requests are reported with the existing id and stored once', async () => {
      const collection = await newCollection();
      const bytes = await makePdf('twice');
      const first = await postMultipart(batch(collection), [
        file('a.pdf', bytes),
        file('copy-of-a.pdf', bytes),
        field('process_immediately', 'false'),
      ]);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const [a, copy] = first.body.data.files;
      assert.equal(a.outcome, 'stored');
      assert.equal(copy.outcome, 'duplicate');
      assert.equal(copy.reason, 'duplicate_in_request');
      assert.equal(copy.document_id, a.document_id);
      assert.deepEqual(first.body.data.counts, { total: 2, stored: 1, duplicate: 1, rejected: 0 });

      const again = await postMultipart(batch(collection), [
        file('renamed.pdf', bytes),
        file('new.txt', makeText('new')),
        field('process_immediately', 'false'),
      ]);
      assert.equal(again.status, 200);
      assert.equal(again.body.data.files[0].outcome, 'duplicate');
      assert.equal(again.body.data.files[0].reason, 'duplicate_in_collection');
      assert.equal(again.body.data.files[0].document_id, a.document_id);
      assert.equal(again.body.data.files[1].outcome, 'stored');
      assert.equal((await documentRows(collection)).length, 2);
      assert.equal((await storedFiles(collection)).length, 2);

      // The same bytes in another collection are not a duplicate there.
      const other = await newCollection();
      const elsewhere = await postMultipart(batch(other), [
        file('a.pdf', bytes),
        field('process_immediately', 'false'),
      ]);
      assert.equal(elsewhere.body.data.files[0].outcome, 'stored');
      await stagingIsEmpty();
    });

    test('process_immediately starts the collection analysis and answers with its task id', async () => {
      const collection = await newCollection();
      const res = await postMultipart(batch(collection), [file('p.txt', makeText()), field('build_graph', 'false')]);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(res.body.data.task_id, new RegExp(`^collection-analysis:${collection}:`));
      assert.deepEqual(res.body.data.processing, { requested: true, started: true });
      const again = await postMultipart(batch(collection), [file('q.txt', makeText()), field('build_graph', 'false')]);
      assert.equal(again.status, 200);
      assert.equal(again.body.data.counts.stored, 1);
      assert.equal(again.body.data.task_id, res.body.data.task_id);
      assert.equal(again.body.data.processing.started, false);
      assert.match(again.body.data.processing.reason, /already running/);
    });

    test('request errors: unknown collection 404, not multipart 415, unknown fields and bad values 400; staging left empty', async () => {
      const collection = await newCollection();
      const missing = await postMultipart(batch('no-such-collection'), [file('a.txt', makeText())]);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'not_found');

      const json = await request('POST', batch(collection), { files: [] });
      assert.equal(json.status, 415);
      assert.equal(json.body.error.code, 'unsupported_media_type');

      const wrongField = await postMultipart(batch(collection), [file('a.txt', makeText(), 'file')]);
      assert.equal(wrongField.status, 400);
      assert.equal(wrongField.body.error.code, 'unexpected_field');

      const unknownField = await postMultipart(batch(collection), [file('a.txt', makeText()), field('colour', 'red')]);
      assert.equal(unknownField.status, 400);
      assert.equal(unknownField.body.error.code, 'unexpected_field');

      const badValue = await postMultipart(batch(collection), [file('a.txt', makeText()), field('atomic', 'maybe')]);
      assert.equal(badValue.status, 400);
      assert.equal(badValue.body.error.code, 'validation_error');
      assert.match(badValue.body.error.message, /body\.atomic/);

      const none = await postMultipart(batch(collection), [field('atomic', 'false')]);
      assert.equal(none.status, 400);
      assert.equal(none.body.error.code, 'no_files');

      assert.equal((await documentRows(collection)).length, 0);
      await stagingIsEmpty();
    });

    test('DELETE /documents/{id} removes the row and the file', async () => {
      const collection = await newCollection();
      const res = await postMultipart(batch(collection), [
        file('gone.txt', makeText()),
        field('process_immediately', 'false'),
      ]);
      const id = res.body.data.files[0].document_id;
      const [row] = await documentRows(collection);
      const deleted = await request('DELETE', `${url}/documents/${id}`);
      assert.equal(deleted.status, 200);
      assert.deepEqual(deleted.body.data, { id, collection_id: collection, filename: 'gone.txt' });
      assert.equal((await documentRows(collection)).length, 0);
      assert.equal(await stack.storage.exists(row.storage_key), false);
      assert.equal((await request('DELETE', `${url}/documents/${id}`)).status, 404);
    });

    test('GET and DELETE /documents/{id} answer alike: 404 for any text that names no document, 400 beyond 36 characters', async () => {
      const collection = await newCollection();
      const res = await postMultipart(batch(collection), [
        file('kept.txt', makeText()),
        field('process_immediately', 'false'),
      ]);
      const id: string = res.body.data.files[0].document_id;
      const unknown = [
        'not-a-uuid',
        '00000000-0000-0000-0000-000000000000',
        "'; DROP TABLE documents; --",
        'ünïcödé',
        id.toUpperCase().replace(/[0-9A-F]$/, 'Z'),
      ];
      for (const ref of unknown) {
        for (const method of ['GET', 'DELETE'] as const) {
          const answer = await request(method, `${url}/documents/${encodeURIComponent(ref)}`);
          assert.equal(answer.status, 404, `${method} ${ref}`);
          assert.equal(answer.body.error.code, 'not_found');
        }
      }
      for (const method of ['GET', 'DELETE'] as const) {
        const answer = await request(method, `${url}/documents/${id}0`);
        assert.equal(answer.status, 400, `${method} of 37 characters`);
        assert.equal(answer.body.error.code, 'validation_error');
      }
      assert.equal((await documentRows(collection)).length, 1, 'nothing was deleted by a refused request');

      // A unique start of the id names the document for both verbs.
      const prefix = id.slice(0, 13);
      assert.equal((await request('GET', `${url}/documents/${prefix}`)).body.data.id, id);
      const deleted = await request('DELETE', `${url}/documents/${prefix}`);
      assert.equal(deleted.status, 200);
      assert.equal(deleted.body.data.id, id);
      assert.equal((await documentRows(collection)).length, 0);
    });
  });
}
