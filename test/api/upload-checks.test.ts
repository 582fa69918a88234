// Kindle books (MOBI, AZW3, made by calibre) are accepted, stored with their
// type and processed by the real worker; a DOCX whose table of contents lies
// about its size passes the upload and is stopped in the worker as too_large.
// Decompression bombs are refused at upload: a DOCX and an EPUB of about 1 MB
// whose table of contents declares 1 GB, and an entry that inflates 1,000
// times, are refused with a 413 naming the limit and the value, on both
// APIs and whatever `atomic` says; nothing is written (no row, no stored
// file, nothing left in staging). The archives are never inflated.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from '../support/eventually.ts';
import { field, file, postMultipart } from '../fixtures/multipart.ts';
import { makeText } from '../fixtures/upload-files.ts';
import { archiveWith, lyingAbout, zerosEntry } from '../fixtures/zip-bombs.ts';
import { EBOOK } from '../fixtures/ebooks/ebook-text.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { storedKeys } from '../support/stored-keys.ts';

const MiB = 1024 * 1024;

describe('upload checks: Kindle books accepted, archive bombs refused (real API, database and storage)', () => {
  let stack: TestStack;
  let docxBomb: Buffer;
  let epubBomb: Buffer;
  before(async () => {
    stack = await startTestStack({ config: { max_file_size_mb: 4 } });
    const gigabyte = zerosEntry('word/document.xml', 1024);
    docxBomb = archiveWith('docx', gigabyte);
    epubBomb = archiveWith('epub', gigabyte);
  });
  after(() => stack?.teardown());

  let counter = 0;
  const newCollection = async () => {
    const res = await request('POST', `${stack.apiUrl}/collections`, { name: `bombs-${++counter}` });
    assert.equal(res.status, 201);
    return res.body.data.id as string;
  };
  async function assertNothingWritten(collection: string) {
    const rows = await stack.sql`SELECT id FROM documents WHERE collection_id = ${collection}`;
    assert.equal(rows.length, 0);
    assert.deepEqual(await storedKeys(stack.storage, `${collection}/`), []);
    await eventually(
      () => stack.staging.count(),
      (n) => n === 0,
      'staging folder is empty',
    );
  }

  test('MOBI and AZW3 books are stored with their MIME types', async () => {
    const ebooks = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/ebooks');
    const collection = await newCollection();
    const res = await postMultipart(`${stack.apiUrl}/collections/${collection}/upload-and-process`, [
      file('book.mobi', await readFile(path.join(ebooks, 'book.mobi'))),
      file('book.azw3', await readFile(path.join(ebooks, 'book.azw3'))),
      file('not-a-book.azw3', Buffer.from('plain text pretending')),
      field('atomic', 'false'),
      field('process_immediately', 'false'),
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.data.files.map((f: { filename: string; outcome: string; reason?: string }) => [
        f.filename,
        f.outcome,
        f.reason,
      ]),
      [
        ['book.mobi', 'stored', undefined],
        ['book.azw3', 'stored', undefined],
        ['not-a-book.azw3', 'rejected', 'type_mismatch'],
      ],
    );
    const rows = await stack.sql<{ original_filename: string; mime_type: string; storage_key: string }[]>`
      SELECT original_filename, mime_type, storage_key FROM documents WHERE collection_id = ${collection} ORDER BY original_filename`;
    assert.deepEqual(
      rows.map((r) => [r.original_filename, r.mime_type, path.extname(r.storage_key)]),
      [
        ['book.azw3', 'application/vnd.amazon.mobi8-ebook', '.azw3'],
        ['book.mobi', 'application/x-mobipocket-ebook', '.mobi'],
      ],
    );
  });

  test('processed by the worker: the books with their title and author, the lying DOCX failed as too_large', async () => {
    const ebooks = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/ebooks');
    const collection = await newCollection();
    const liar = archiveWith('docx', lyingAbout(zerosEntry('word/document.xml', 1024), 2048));
    const res = await postMultipart(`${stack.apiUrl}/collections/${collection}/upload-and-process`, [
      file('book.mobi', await readFile(path.join(ebooks, 'book.mobi'))),
      file('book.azw3', await readFile(path.join(ebooks, 'book.azw3'))),
      file('liar.docx', liar),
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.counts.stored, 3, 'the lying DOCX declares 2 KB: it passes the upload');
    const taskId = res.body.data.task_id as string;
    const ended = await eventually(
      () => request('GET', `${stack.apiUrl}/tasks/${taskId}/status`),
      (r) => r.status === 200 && r.body.data.status !== 'RUNNING',
      `task ${taskId} ends`,
      { timeoutMs: 3 * 60_000 },
    );
    assert.equal(ended.body.data.status, 'COMPLETED_WITH_ERRORS', JSON.stringify(ended.body.data));
    const docs = await stack.sql<{ original_filename: string; status: string; error: string | null; metadata: any }[]>`
      SELECT original_filename, status, error, metadata FROM documents WHERE collection_id = ${collection} ORDER BY original_filename`;
    const byName = new Map(docs.map((d) => [d.original_filename, d]));
    for (const name of ['book.azw3', 'book.mobi']) {
      const doc = byName.get(name)!;
      assert.equal(doc.status, 'processed', `${name}: ${doc.error}`);
      assert.equal(doc.metadata.analysis.title, EBOOK.title);
      assert.deepEqual(doc.metadata.analysis.authors, [EBOOK.author]);
      const [{ text }] = await stack.sql<{ text: string }[]>`
        SELECT string_agg(c.text, ' ' ORDER BY c.ordinal) AS text FROM chunks c JOIN documents d ON d.id = c.document_id
        WHERE d.collection_id = ${collection} AND d.original_filename = ${name}`;
      assert.match(text, /FIRSTCHAPTER[\s\S]*SECONDCHAPTER[\s\S]*THIRDCHAPTER/);
    }
    const failed = byName.get('liar.docx')!;
    assert.equal(failed.status, 'failed');
    assert.match(
      failed.error ?? '',
      /^extract: too_large: word\/document\.xml inflates to more than the 2048 bytes its header declares \(stopped at 2049 bytes/,
    );
  });

  test('a 1 MB DOCX and EPUB that declare 1 GB: 413 naming max_archive_uncompressed_mb and the sizes', async () => {
    for (const [name, bytes] of [
      ['bomb.docx', docxBomb],
      ['bomb.epub', epubBomb],
    ] as const) {
      assert.ok(bytes.length < 1.1 * MiB);
      const collection = await newCollection();
      const res = await postMultipart(`${stack.apiUrl}/collections/${collection}/upload-and-process`, [
        file(name, bytes),
      ]);
      assert.equal(res.status, 413, JSON.stringify(res.body));
      assert.equal(res.body.success, false);
      assert.equal(res.body.error.code, 'limit_exceeded');
      const { details, message } = res.body.error;
      assert.equal(details.limit, 'max_archive_uncompressed_mb');
      assert.equal(details.allowed, 512 * MiB);
      assert.ok(details.actual > 1024 * MiB, String(details.actual));
      assert.equal(details.filename, name);
      assert.equal(details.reason, 'archive_too_large');
      assert.match(
        message,
        new RegExp(
          `file '${name}' named \\.(docx|epub): the archive declares \\d+ bytes \\(1024\\.\\d MB\\) once unpacked, more than max_archive_uncompressed_mb \\(512 MB\\); nothing was stored`,
        ),
      );
      await assertNothingWritten(collection);
    }
  });

  test('atomic=false does not store the good files beside a bomb; an entry inflating 1,000 times is max_archive_ratio', async () => {
    const collection = await newCollection();
    const res = await postMultipart(`${stack.apiUrl}/collections/${collection}/upload-and-process`, [
      file('fine.txt', makeText()),
      file('ratio.epub', archiveWith('epub', zerosEntry('OEBPS/ch1.xhtml', 8))),
      field('atomic', 'false'),
    ]);
    assert.equal(res.status, 413, JSON.stringify(res.body));
    assert.equal(res.body.error.details.limit, 'max_archive_ratio');
    assert.equal(res.body.error.details.allowed, 100);
    assert.ok(res.body.error.details.actual > 500, String(res.body.error.details.actual));
    assert.match(res.body.error.message, /ratio\.epub.*OEBPS\/ch1\.xhtml inflates \d+ times/);
    await assertNothingWritten(collection);
  });

  test('the original contract (/api/v2) answers the same 413 with its detail', async () => {
    const collection = await newCollection();
    const v2 = stack.apiUrl.replace(/\/api\/v3$/, '/api/v2');
    const res = await postMultipart(`${v2}/collections/${collection}/documents`, [file('bomb.docx', docxBomb, 'file')]);
    assert.equal(res.status, 413, JSON.stringify(res.body));
    assert.match(res.body.detail, /max_archive_uncompressed_mb/);
    await assertNothingWritten(collection);
  });
});
