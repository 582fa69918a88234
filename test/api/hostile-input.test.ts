import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { documentProcessing } from '../../workflows/document-processing.ts';
import { makePdf } from '../fixtures/upload-files.ts';
import { field, file, multipartBody, postMultipart } from '../fixtures/multipart.ts';
import { eventually } from '../support/eventually.ts';
import { request } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/**
 * A corpus of hostile and malformed requests. Each must get the answer written
 * next to it (a 4xx with the error envelope, or a per-file refusal), never a
 * 5xx; after each, nothing is stored (no document row, no stored or staged
 * file) and health still answers. Files that are accepted on purpose (names
 * made safe, bytes of the right type but unreadable) are checked to land only
 * inside storage, their analysis fails naming the reason, and they are
 * removed again before the next case.
 */
const JSON_LIMIT_KB = 16;

/** Every answer of the corpus, for the summary printed at the end. */
const tried: { name: string; status: number; code: string }[] = [];

describe('hostile and malformed input: 4xx with the error body, nothing stored, health still answers', () => {
  let stack: TestStack;
  let url: string;
  let collection: string;
  let collectionsBefore: number;

  before(async () => {
    stack = await startTestStack({
      config: {
        max_upload_batch_size: 3,
        max_file_size_mb: 1,
        max_upload_request_mb: 2,
        max_json_body_kb: JSON_LIMIT_KB,
      },
    });
    url = stack.apiUrl;
    const created = await request('POST', `${url}/collections`, { name: 'hostile' });
    assert.equal(created.status, 201);
    collection = created.body.data.id;
    collectionsBefore = await countCollections();
  });
  after(async () => {
    const counts = new Map<number, number>();
    for (const t of tried) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
    console.log(
      `hostile input: ${tried.length} bad requests tried; answers by status ${JSON.stringify(Object.fromEntries(counts))}; 5xx: ${tried.filter((t) => t.status >= 500).length}`,
    );
    await stack?.teardown();
  });

  const countCollections = async () =>
    (await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM collections`)[0].n;
  const countRows = async () => (await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM documents`)[0].n;
  const storedFiles = async () =>
    (await readdir(stack.config.storage_dir, { recursive: true, withFileTypes: true }).catch(() => [])).filter((d) =>
      d.isFile(),
    ).length;

  /** Nothing stored anywhere, the tables are still there, and health answers. */
  async function assertNothingStored(what: string) {
    assert.equal(await countRows(), 0, `${what}: no document row`);
    assert.equal(await countCollections(), collectionsBefore, `${what}: no collection created or dropped`);
    assert.equal(await storedFiles(), 0, `${what}: no stored file`);
    await eventually(
      () => stack.staging.count(),
      (n) => n === 0,
      `${what}: staging is emptied`,
    );
    const health = await request('GET', `${url}/health`);
    assert.equal(health.status, 200, `${what}: health answers`);
  }

  /** The documented error envelope with this status and code. */
  function assertError(name: string, res: { status: number; body: any }, status: number, code: string | RegExp) {
    tried.push({ name, status: res.status, code: res.body?.error?.code ?? '' });
    assert.ok(res.status < 500, `${name}: never a 5xx (got ${res.status} ${JSON.stringify(res.body)})`);
    assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.success, false, name);
    assert.equal(typeof res.body.timestamp, 'string', name);
    assert.equal(typeof res.body.error.message, 'string', name);
    if (typeof code === 'string') assert.equal(res.body.error.code, code, name);
    else assert.match(res.body.error.code, code, name);
  }

  const single = (c = collection) => `${url}/collections/${encodeURIComponent(c)}/documents`;
  const batch = (c = collection) => `${url}/collections/${encodeURIComponent(c)}/upload-and-process`;
  const text = (label: string) => Buffer.from(`hostile corpus ${label} ${randomBytes(8).toString('hex')}\n`);
  const noProcess = field('process_immediately', 'false');

  test('file names: refused when nothing usable is left; otherwise made safe and kept inside storage', async () => {
    const refused: [string, string][] = [
      ['../../../../etc/passwd', 'unsupported_extension'],
      ['/etc/shadow', 'unsupported_extension'],
      ['..', 'invalid_filename'],
      ['../../', 'invalid_filename'],
      ['\u0000\u0007\u001b\u007f', 'invalid_filename'],
      ['\u202e\u200f', 'invalid_filename'],
      ['evil.exe', 'unsupported_extension'],
      ['x'.repeat(10_000), 'unsupported_extension'],
    ];
    for (const [name, reason] of refused) {
      const res = await postMultipart(single(), [file(name, text(name), 'file')]);
      assertError(`name ${JSON.stringify(name.slice(0, 40))}`, res, 422, 'upload_rejected');
      assert.equal(res.body.error.details.files[0].outcome, 'rejected');
      assert.equal(res.body.error.details.files[0].reason, reason, JSON.stringify(name.slice(0, 40)));
      await assertNothingStored(`name ${JSON.stringify(name.slice(0, 40))}`);
    }

    // Path parts and control characters go; what is left is a name to show, never a path.
    const sanitised: [string, string][] = [
      ['../../../../tmp/escaped.txt', 'escaped.txt'],
      ['..\\..\\windows\\system32\\evil.txt', 'evil.txt'],
      ['/etc/cron.d/absolute.txt', 'absolute.txt'],
      ['a\u0000b\u0007c\u001b.txt', 'abc.txt'],
      ['\u202egnp.txt', 'gnp.txt'],
      [`${'long'.repeat(2_000)}.txt`, `${'long'.repeat(2_000).slice(0, 196)}.txt`],
    ];
    for (const [name, kept] of sanitised) {
      const res = await postMultipart(single(), [file(name, text(kept), 'file')]);
      tried.push({ name: `sanitised ${name.slice(0, 40)}`, status: res.status, code: '' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const stored = res.body.data.files[0];
      assert.equal(stored.filename, kept);
      const [row] = await stack.sql`SELECT storage_key FROM documents WHERE id = ${stored.document_id}`;
      assert.equal(
        row.storage_key,
        `${collection}/${stored.document_id}.txt`,
        'the key is made of ids, never of the name',
      );
      const onDisk = stack.storage.localPath(row.storage_key);
      assert.ok(path.resolve(onDisk).startsWith(path.resolve(stack.config.storage_dir) + path.sep), 'inside storage');
      assert.ok(existsSync(onDisk));
      assert.equal((await request('DELETE', `${url}/documents/${stored.document_id}`)).status, 200);
      await assertNothingStored(`sanitised ${name.slice(0, 40)}`);
    }
    // Nothing was written anywhere in the data folder but storage and staging.
    const dataDir = path.dirname(stack.config.storage_dir);
    const written = (await readdir(dataDir, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => path.join(d.parentPath, d.name));
    assert.deepEqual(
      written.filter(
        (f) => !f.startsWith(stack.config.storage_dir + path.sep) && !f.startsWith(stack.config.staging_dir + path.sep),
      ),
      [],
    );
  });

  test('file contents: empty, over the limit, one too many, an executable named .pdf, a DOCX that is not a zip, random bytes named .pdf', async () => {
    const empty = await postMultipart(single(), [file('empty.txt', Buffer.alloc(0), 'file')]);
    assertError('zero-byte file', empty, 422, 'upload_rejected');
    assert.equal(empty.body.error.details.files[0].reason, 'empty_file');
    await assertNothingStored('zero-byte file');

    const big = await postMultipart(single(), [file('big.txt', Buffer.alloc(1024 * 1024 + 1, 'a'), 'file')]);
    assertError('file over the limit', big, 413, 'limit_exceeded');
    assert.equal(big.body.error.details.limit, 'max_file_size_mb');
    await assertNothingStored('file over the limit');

    const tooMany = await postMultipart(batch(), [
      ...[1, 2, 3, 4].map((i) => file(`n${i}.txt`, text(`many ${i}`))),
      noProcess,
    ]);
    assertError('one file too many', tooMany, 413, 'limit_exceeded');
    assert.equal(tooMany.body.error.details.limit, 'max_upload_batch_size');
    assert.equal(tooMany.body.error.details.allowed, 3);
    await assertNothingStored('one file too many');

    const twoOnSingle = await postMultipart(single(), [
      file('a.txt', text('a'), 'file'),
      file('b.txt', text('b'), 'file'),
    ]);
    assertError('two files on the single-file route', twoOnSingle, 413, 'limit_exceeded');
    await assertNothingStored('two files on the single-file route');

    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), randomBytes(4096)]);
    const mz = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), randomBytes(4096)]);
    const plainZip = Buffer.from('504b0304' + '14000000080000000000'.repeat(3), 'hex');
    const cases: [string, string, Buffer][] = [
      ['ELF executable renamed .pdf', 'report.pdf', elf],
      ['Windows executable renamed .pdf', 'invoice.pdf', mz],
      ['random bytes named .pdf', 'noise.pdf', randomBytes(2048)],
      ['DOCX that is not a zip', 'letter.docx', Buffer.from('this is plain text, not a zip archive at all')],
      ['DOCX that is a bare zip header', 'letter2.docx', plainZip],
      // A few stray NULs are text (they are removed before storage); a file full of them is not.
      [
        'shell script padded with NUL bytes named .txt',
        'run.txt',
        Buffer.concat([Buffer.from('#!/bin/sh\nrm -rf /'), Buffer.alloc(64)]),
      ],
      [
        'PNG named .html',
        'page.html',
        Buffer.from([
          0x89,
          0x50,
          0x4e,
          0x47,
          0x0d,
          0x0a,
          0x1a,
          0x0a,
          0,
          0,
          0,
          13,
          0x49,
          0x48,
          0x44,
          0x52,
          ...randomBytes(64),
        ]),
      ],
    ];
    for (const [what, name, bytes] of cases) {
      const res = await postMultipart(single(), [file(name, bytes, 'file')]);
      assertError(what, res, 422, 'upload_rejected');
      assert.match(
        res.body.error.details.files[0].reason,
        /^(type_mismatch|unsupported_extension|truncated_file)$/,
        what,
      );
      await assertNothingStored(what);
    }

    // atomic batch: one bad file refuses them all, each named with its reason.
    const mixed = await postMultipart(batch(), [
      file('fine.txt', text('fine')),
      file('bad.pdf', elf),
      file('empty.md', Buffer.alloc(0)),
      noProcess,
    ]);
    assertError('atomic batch with bad files', mixed, 422, 'upload_rejected');
    assert.deepEqual(
      mixed.body.error.details.files.map((f: { reason?: string }) => f.reason),
      ['batch_refused', 'type_mismatch', 'empty_file'],
    );
    await assertNothingStored('atomic batch with bad files');
    // atomic=false with only bad files: 200, every file refused per file, nothing stored.
    const perFile = await postMultipart(batch(), [
      file('bad.pdf', elf),
      file('empty.md', Buffer.alloc(0)),
      field('atomic', 'false'),
      noProcess,
    ]);
    assert.equal(perFile.status, 200, JSON.stringify(perFile.body));
    assert.deepEqual(perFile.body.data.counts, { total: 2, stored: 0, duplicate: 0, rejected: 2 });
    tried.push({ name: 'atomic=false, only bad files (per-file refusals)', status: perFile.status, code: '' });
    await assertNothingStored('atomic=false with only bad files');
  });

  test('accepted because the bytes say so, then refused by analysis: a corrupt PDF and deeply nested HTML', async () => {
    const corrupt = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(4096)]);
    const truncated = (await makePdf('a PDF cut short')).subarray(0, 300);
    const nested = Buffer.from(
      `<!doctype html><html><body>${'<div><span>'.repeat(30_000)}deep${'</span></div>'.repeat(30_000)}</body></html>`,
    );
    const cases: [string, string, Buffer, RegExp][] = [
      ['corrupt PDF', 'corrupt.pdf', corrupt, /corrupt_file/],
      ['truncated PDF', 'truncated.pdf', truncated, /corrupt_file/],
      ['HTML nested 60,000 elements deep', 'deep.html', nested, /./],
    ];
    for (const [what, name, bytes, reason] of cases) {
      const res = await postMultipart(single(), [file(name, bytes, 'file')]);
      tried.push({ name: what, status: res.status, code: '' });
      assert.equal(res.status, 201, `${what}: ${JSON.stringify(res.body)}`);
      const documentId = res.body.data.files[0].document_id;
      const handle = await stack.temporal.workflow.start(documentProcessing, {
        workflowId: `document:${documentId}:hostile`,
        taskQueue: stack.config.task_queue,
        args: [
          {
            documentId,
            collectionId: collection,
            options: { build_graph: true, extract_metadata: true, generate_embeddings: true },
          },
        ],
        workflowExecutionTimeout: '2 minutes',
      });
      const outcome = await handle.result().then(
        () => 'processed',
        (error: unknown) =>
          error instanceof WorkflowFailedError ? `failed: ${error.cause?.message}` : `error: ${String(error)}`,
      );
      const [row] = await stack.sql`SELECT status, error FROM documents WHERE id = ${documentId}`;
      if (outcome === 'processed') {
        assert.equal(row.status, 'processed', what);
      } else {
        assert.match(outcome, /^failed: /, what);
        assert.equal(row.status, 'failed', what);
        assert.match(row.error, reason, what);
      }
      console.log(`hostile input: ${what}: upload 201, analysis ${outcome.slice(0, 120)}`);
      assert.equal((await request('DELETE', `${url}/documents/${documentId}`)).status, 200);
      await assertNothingStored(what);
    }
  });

  test('broken requests: cut off mid-body, malformed multipart, wrong content type', async () => {
    const { port } = new URL(url);
    const pathname = new URL(batch()).pathname;

    // The client stops sending halfway through a file and goes away.
    for (const mode of ['destroy', 'half-close'] as const) {
      const boundary = 'cutoff' + randomBytes(6).toString('hex');
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="cut.txt"\r\nContent-Type: text/plain\r\n\r\n`;
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 500000\r\n\r\n${head}`,
          );
          socket.write('x'.repeat(200_000));
          setTimeout(() => (mode === 'destroy' ? socket.destroy() : socket.end()), 200);
        });
        let received = '';
        socket.on('data', (chunk) => (received += chunk));
        socket.on('error', () => {});
        socket.on('close', () => resolve(received));
        setTimeout(() => socket.destroy(), 5_000);
      });
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      tried.push({ name: `request cut off mid-body (${mode})`, status, code: '' });
      assert.ok(status === 0 || (status >= 400 && status < 500), `cut off (${mode}): ${answer.slice(0, 200)}`);
      await assertNothingStored(`request cut off mid-body (${mode})`);
    }

    const post = (contentType: string, body: Buffer | string) =>
      fetch(batch(), { method: 'POST', headers: { 'content-type': contentType }, body }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }));
    const good = multipartBody([file('a.txt', text('boundary')), noProcess]);
    const otherBoundary = good.body
      .toString('latin1')
      .replaceAll(good.contentType.split('boundary=')[1], 'somethingElse');
    const cases: [string, () => Promise<{ status: number; body: any }>, number, string | RegExp][] = [
      ['multipart without a boundary', () => post('multipart/form-data', good.body), 400, 'invalid_multipart'],
      [
        'multipart with an empty boundary',
        () => post('multipart/form-data; boundary=', good.body),
        400,
        'invalid_multipart',
      ],
      [
        'boundary that never appears in the body',
        () => post(good.contentType, Buffer.from(otherBoundary, 'latin1')),
        400,
        /^(invalid_multipart|no_files)$/,
      ],
      [
        'body ends without the closing boundary',
        () => post(good.contentType, good.body.subarray(0, good.body.length - 40)),
        400,
        /^(invalid_multipart|request_aborted|no_files)$/,
      ],
      ['garbage body', () => post(good.contentType, randomBytes(4096)), 400, /^(invalid_multipart|no_files)$/],
      [
        'part without headers',
        () => post('multipart/form-data; boundary=b', '--b\r\n\r\nhello\r\n--b--\r\n'),
        400,
        /^(invalid_multipart|no_files|unexpected_field)$/,
      ],
      [
        'JSON instead of multipart',
        () => post('application/json', '{"files": "a.txt"}'),
        415,
        'unsupported_media_type',
      ],
      [
        'no content type',
        () =>
          fetch(batch(), { method: 'POST', body: new Blob([good.body]) }).then(async (r) => ({
            status: r.status,
            body: await r.json(),
          })),
        415,
        'unsupported_media_type',
      ],
      ['file in a text field', () => postMultipart(batch(), [field('files', 'not a file')]), 400, 'invalid_multipart'],
      [
        'file in an unknown field',
        () => postMultipart(batch(), [file('a.txt', text('x'), 'attachment')]),
        400,
        'unexpected_field',
      ],
      [
        'form field too long',
        () => postMultipart(batch(), [file('a.txt', text('y')), field('atomic', 'true'.repeat(1000))]),
        400,
        'invalid_multipart',
      ],
      [
        'form field of the wrong type',
        () => postMultipart(batch(), [file('a.txt', text('z')), field('atomic', 'maybe')]),
        400,
        'validation_error',
      ],
      ['no file at all', () => postMultipart(batch(), [noProcess]), 400, 'no_files'],
    ];
    for (const [what, send, status, code] of cases) {
      assertError(what, await send(), status, code);
      await assertNothingStored(what);
    }
  });

  test('JSON bodies: invalid, over the limit, wrong types in every field', async () => {
    const raw = (method: string, route: string, body: string, contentType = 'application/json') =>
      fetch(`${url}${route}`, { method, headers: { 'content-type': contentType }, body }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }));
    const invalid: [string, string][] = [
      ['/collections', '{"name":'],
      ['/collections', "{'name': 'single quotes'}"],
      ['/collections', '{"name": "a",}'],
      ['/collections/batch-process', '[1, 2'],
      ['/tasks/batch/cancel', '\u0000\u0001'],
      [`/collections/${collection}/process`, 'NaN'],
    ];
    for (const [route, body] of invalid) {
      assertError(`invalid JSON to ${route}`, await raw('POST', route, body), 400, 'invalid_json');
    }
    const huge = JSON.stringify({ name: 'big', description: 'd'.repeat(JSON_LIMIT_KB * 1024 * 2) });
    assertError('JSON body over the limit', await raw('POST', '/collections', huge), 413, 'limit_exceeded');
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);
    assertError(
      'JSON nested 5,000 deep',
      await raw('POST', '/collections/batch-process', deep),
      400,
      /^(validation_error|invalid_json)$/,
    );
    await assertNothingStored('invalid JSON');

    const wrong: [string, string, unknown][] = [
      ['POST', '/collections', { name: 123 }],
      ['POST', '/collections', { name: ['a'] }],
      ['POST', '/collections', { name: null }],
      ['POST', '/collections', { name: '' }],
      ['POST', '/collections', { name: 'ok', description: { x: 1 } }],
      ['POST', '/collections', { name: 'bell\u0007' }],
      ['POST', '/collections', { name: 'n'.repeat(201) }],
      ['POST', '/collections', { name: 'ok', unknown_field: true }],
      ['POST', '/collections', 'just a string'],
      ['POST', '/collections', [1, 2, 3]],
      ['POST', '/collections/batch-process', { tasks: 'hostile' }],
      ['POST', '/collections/batch-process', { tasks: [] }],
      ['POST', '/collections/batch-process', { tasks: [{ collection_id: 7 }] }],
      ['POST', '/collections/batch-process', { tasks: [{ collection_id: 'hostile', build_graph: 'yes' }] }],
      ['POST', '/collections/batch-process', { tasks: [{ collection_id: 'hostile' }], workflow_type: 'chaos' }],
      ['POST', '/collections/batch-process', { tasks: [{ collection_id: 'hostile' }], max_parallel: 'three' }],
      ['POST', '/collections/batch-process', { tasks: [{ collection_id: 'hostile' }], max_parallel: -1 }],
      ['POST', '/collections/batch-process', { tasks: [{ collection_id: 'hostile' }], stop_on_failure: 'yes' }],
      ['POST', '/collections/batch-process', { tasks: [{ collection_id: 'hostile' }], callback_url: 42 }],
      ['POST', '/tasks/batch/cancel', { task_ids: {} }],
      ['POST', '/tasks/batch/cancel', { task_ids: [1, 2] }],
      ['POST', '/tasks/batch/cancel', { task_ids: ['a'], batch_id: 'b' }],
      ['POST', '/tasks/batch/cancel', { terminate: 'please' }],
      ['POST', '/tasks/x/cancel', { terminate: 1 }],
      ['POST', `/collections/${collection}/process`, { build_graph: 'yes' }],
      ['POST', `/collections/${collection}/process`, { force: 1 }],
      ['GET', '/collections?limit=abc', undefined],
      ['GET', '/collections?limit=-1', undefined],
      ['GET', '/collections?offset=1e999', undefined],
      ['GET', '/tasks?limit=0', undefined],
      ['GET', '/tasks?status=EXPLODED', undefined],
      ['GET', '/tasks?collection=%27%20OR%201%3D1', undefined],
      ['GET', '/tasks?page_token=%24%28id%29', undefined],
      ['GET', `/documents/00000000-0000-0000-0000-000000000000/chunks?limit=ten`, undefined],
    ];
    for (const [method, route, body] of wrong) {
      const res = await request(method, `${url}${route}`, body);
      // 404 is right where the route checks the id before the body (unknown task, document).
      assertError(
        `wrong types: ${method} ${route} ${JSON.stringify(body)?.slice(0, 60)}`,
        res,
        res.status === 404 ? 404 : 400,
        /^(validation_error|invalid_json|not_found|invalid_page_token)$/,
      );
    }
    await assertNothingStored('wrong types');
  });

  test('unknown ids, and ids with SQL or shell metacharacters: 404 (or 400), never a 5xx', async () => {
    const hostileIds = [
      'no-such-collection',
      '00000000-0000-0000-0000-000000000000',
      "'; DROP TABLE documents; --",
      "' OR '1'='1",
      '1; SELECT pg_sleep(10)',
      '$(rm -rf /)',
      '`id`',
      'a|b&c;d>e<f',
      '%00',
      '..%2F..%2Fetc%2Fpasswd',
      'ünïcödé-☃',
      'x'.repeat(5_000),
    ];
    for (const id of hostileIds) {
      const e = encodeURIComponent(id);
      const probes: [string, string, unknown?][] = [
        ['GET', `/collections/${e}`],
        ['DELETE', `/collections/${e}`],
        ['GET', `/tasks/${e}/status`],
        ['POST', `/tasks/${e}/cancel`, {}],
        ['GET', `/batches/${e}`],
        ['POST', `/batches/${e}/cancel`, {}],
        ['GET', `/documents/${e}`],
        ['GET', `/documents/${e}/chunks`],
        ['DELETE', `/documents/${e}`],
        ['POST', `/collections/${e}/process`, {}],
        ['GET', `/collections/${e}/processing-status`],
      ];
      for (const [method, route, body] of probes) {
        const started = Date.now();
        const res = await request(method, `${url}${route}`, body);
        assertError(
          `${method} ${route.slice(0, 80)}`,
          res,
          res.status === 400 ? 400 : 404,
          /^(not_found|validation_error|route_not_found)$/,
        );
        assert.ok(Date.now() - started < 5_000, `${method} ${route}: answered at once (no injected sleep)`);
      }
      const upload = await postMultipart(single(id), [file('a.txt', text(id), 'file')]);
      assertError(
        `upload to collection ${id.slice(0, 40)}`,
        upload,
        upload.status === 400 ? 400 : 404,
        /^(not_found|validation_error)$/,
      );
      const batchCancel = await request('POST', `${url}/tasks/batch/cancel`, { task_ids: [id.slice(0, 1000)] });
      tried.push({
        name: `batch cancel of ${id.slice(0, 40)}`,
        status: batchCancel.status,
        code: batchCancel.body?.error?.code ?? '',
      });
      assert.ok(batchCancel.status === 200 || batchCancel.status === 400, JSON.stringify(batchCancel.body));
      if (batchCancel.status === 200) assert.equal(batchCancel.body.data.results[0].outcome, 'not_found');
      const processBatch = await request('POST', `${url}/collections/batch-process`, {
        tasks: [{ collection_id: id.slice(0, 256) }],
      });
      tried.push({
        name: `batch-process of ${id.slice(0, 40)}`,
        status: processBatch.status,
        code: processBatch.body?.error?.code ?? '',
      });
      assert.ok(
        processBatch.status === 202 || processBatch.status === 400 || processBatch.status === 422,
        JSON.stringify(processBatch.body),
      );
      if (processBatch.status === 202) {
        assert.equal(processBatch.body.data.accepted.length, 0);
        assert.equal(processBatch.body.data.rejected[0].outcome, 'not_found');
      }
    }
    const [tables] =
      await stack.sql`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('documents', 'collections', 'chunks')`;
    assert.equal(tables.n, 3, 'the tables are all still there');
    await assertNothingStored('hostile ids');
  });
});
