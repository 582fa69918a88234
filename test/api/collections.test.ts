import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { KEEP_ALIVE_TIMEOUT_MS, startApiServer } from '../../api/server.ts';
import { apiConnectionOptions } from '../../api/temporal-connection.ts';
import { request } from '../support/http.ts';
import { freePort } from '../support/ports.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

describe('collections API over HTTP (real Temporal, real database)', () => {
  let stack: TestStack;
  let url: string;
  before(async () => {
    stack = await startTestStack({ worker: false });
    url = stack.apiUrl;
  });
  after(() => stack?.teardown());

  const collectionRows = async () => (await stack.sql`SELECT count(*)::int AS n FROM collections`)[0].n as number;

  test('health is ok with the database and Temporal up', async () => {
    const res = await request('GET', `${url}/health`);
    assert.equal(res.status, 200);
    assert.equal(res.body.success, true);
    assert.deepEqual(res.body.data, { status: 'ok', checks: { database: { ok: true }, temporal: { ok: true } } });
    assert.match(res.body.timestamp, /^\d{4}-\d\d-\d\dT/);
  });

  test("an idle keep-alive connection outlives Node's 5 s default: a client reusing it after a busy spell is not reset", async () => {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    let closedByServer = false;
    socket.on('close', () => (closedByServer = true));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    /** Sends GET /health on the open connection; resolves with the head once the whole answer is in. */
    const health = async (): Promise<string> => {
      received = '';
      socket.write(`GET ${new URL(url).pathname}/health HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      for (;;) {
        const [head, body = ''] = received.split('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
        if (received.includes('\r\n\r\n') && body.length >= length) return head;
        assert.ok(!closedByServer, `the server closed the connection; received: ${received}`);
        await sleep(20);
      }
    };
    try {
      const first = await health();
      assert.match(first, /^HTTP\/1\.1 200/);
      assert.match(first, new RegExp(`keep-alive: timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`, 'i'));
      await sleep(6_000);
      assert.ok(!closedByServer, 'the idle connection is still open after 6 s');
      assert.match(await health(), /^HTTP\/1\.1 200/);
    } finally {
      socket.destroy();
    }
  });

  test('an API port already in use is refused with EADDRINUSE, not a crash', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      await assert.rejects(startApiServer(stack, '127.0.0.1', port), { code: 'EADDRINUSE' });
    } finally {
      taken.close();
    }
  });

  test('create, get by id and by name, list, delete', async () => {
    const created = await request('POST', `${url}/collections`, { name: 'papers', description: 'research papers' });
    assert.equal(created.status, 201);
    const id = created.body.data.id;
    assert.equal(created.body.data.status, 'created');
    assert.equal(created.body.data.document_count, 0);

    for (const ref of [id, 'papers']) {
      const got = await request('GET', `${url}/collections/${ref}`);
      assert.equal(got.status, 200);
      assert.equal(got.body.data.id, id);
      assert.deepEqual(got.body.data.documents, []);
      assert.equal(got.body.data.limit, 100);
    }

    const list = await request('GET', `${url}/collections`);
    assert.equal(list.status, 200);
    assert.ok(list.body.data.collections.some((c: { id: string }) => c.id === id));

    const deleted = await request('DELETE', `${url}/collections/papers`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body.data, { id, name: 'papers', deleted_documents: 0 });
    assert.equal((await request('GET', `${url}/collections/${id}`)).status, 404);
  });

  test('GET pages documents with limit and offset', async () => {
    const created = await request('POST', `${url}/collections`, { name: 'paged' });
    const id = created.body.data.id;
    for (let i = 0; i < 5; i++) {
      // Pages are ordered by created_at: PGlite's clock can give two quick inserts the same instant, so set it.
      await stack.sql`INSERT INTO documents (collection_id, original_filename, storage_key, mime_type, size_bytes, content_hash, created_at)
                      VALUES (${id}, ${`f${i}.txt`}, ${`${id}/doc${i}.txt`}, 'text/plain', 10, ${`hash${i}`},
                              now() + ${i} * interval '1 second')`;
    }
    const page = await request('GET', `${url}/collections/paged?limit=2&offset=1`);
    assert.equal(page.status, 200);
    assert.equal(page.body.data.document_count, 5);
    assert.deepEqual(
      page.body.data.documents.map((d: { original_filename: string }) => d.original_filename),
      ['f1.txt', 'f2.txt'],
    );
    const doc = page.body.data.documents[0];
    assert.deepEqual(Object.keys(doc).sort(), [
      'created_at',
      'error',
      'id',
      'mime_type',
      'original_filename',
      'size_bytes',
      'status',
    ]);
    assert.equal(doc.size_bytes, 10);
    assert.equal((await request('GET', `${url}/collections/paged?limit=0`)).status, 400);
  });

  test('a duplicate name is 409 and writes nothing', async () => {
    await request('POST', `${url}/collections`, { name: 'dup' });
    const before = await collectionRows();
    const res = await request('POST', `${url}/collections`, { name: 'dup' });
    assert.equal(res.status, 409);
    assert.equal(res.body.success, false);
    assert.equal(res.body.error.code, 'conflict');
    assert.equal(await collectionRows(), before);
  });

  const badBodies: [string, unknown, string][] = [
    ['no name', {}, 'body.name'],
    ['an empty name', { name: '   ' }, 'body.name'],
    ['a number for a name', { name: 42 }, 'body.name'],
    ['control characters', { name: 'bad\u0007name' }, 'body.name'],
    ['a name too long', { name: 'x'.repeat(201) }, 'body.name'],
    ['an unknown field', { name: 'ok', colour: 'red' }, 'body'],
    ['a description of the wrong type', { name: 'ok2', description: ['a'] }, 'body.description'],
  ];
  for (const [what, body, field] of badBodies) {
    test(`POST /collections with ${what} is 400 naming ${field}, and writes nothing`, async () => {
      const before = await collectionRows();
      const res = await request('POST', `${url}/collections`, body);
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'validation_error');
      assert.ok(
        res.body.error.details.fields.some((f: { field: string }) => f.field === field),
        JSON.stringify(res.body.error),
      );
      assert.equal(await collectionRows(), before);
    });
  }

  test('invalid JSON is 400 invalid_json; an oversized body is 413 naming the limit', async () => {
    const invalid = await request('POST', `${url}/collections`, '{"name": ');
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.code, 'invalid_json');
    const huge = await request('POST', `${url}/collections`, {
      name: 'x',
      description: 'y'.repeat(stack.config.max_json_body_kb * 1024 + 10),
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.details.limit, 'max_json_body_kb');
  });

  test('unknown collections and routes are 404 with the error envelope', async () => {
    for (const ref of ['nope', '00000000-0000-0000-0000-000000000000', "x' OR '1'='1", '$(rm -rf)']) {
      const res = await request('GET', `${url}/collections/${encodeURIComponent(ref)}`);
      assert.equal(res.status, 404, ref);
      assert.equal(res.body.error.code, 'not_found');
      assert.equal((await request('DELETE', `${url}/collections/${encodeURIComponent(ref)}`)).status, 404);
    }
    const route = await request('GET', `${url}/no-such-route`);
    assert.equal(route.status, 404);
    assert.equal(route.body.error.code, 'route_not_found');
  });

  test('the OpenAPI document lists every route of both versions', async () => {
    const res = await request('GET', `${url}/openapi.json`);
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    const paths = Object.keys(res.body.paths);
    for (const version of ['/api/v3', '/api/v2']) {
      for (const path of ['/health', '/collections', '/collections/{collection}', '/tasks/metrics'])
        assert.ok(paths.includes(version + path), version + path);
      assert.ok(res.body.paths[`${version}/collections`].post.responses['409']);
    }
    for (const path of ['/api/v2/tasks/{id}/result', '/api/v2/collections/{collection}/documents/add'])
      assert.ok(paths.includes(path), path);
  });
});

describe('health when a dependency is down', () => {
  test('503 naming the database when it cannot be reached', async () => {
    const stack = await startTestStack({ worker: false });
    try {
      await stack.sql.end({ timeout: 1 });
      const res = await request('GET', `${stack.apiUrl}/health`);
      assert.equal(res.status, 503);
      assert.equal(res.body.success, false);
      assert.match(res.body.error.message, /^database unavailable$/);
      assert.equal(res.body.error.details.checks.temporal.ok, true);
    } finally {
      await stack.teardown();
    }
  });
});

describe('API key', () => {
  test('with a key set, routes but health answer 401 without the right X-API-Key', async () => {
    const stack = await startTestStack({ worker: false, apiKey: 's3cret' });
    try {
      assert.equal((await request('GET', `${stack.apiUrl}/health`)).status, 200);
      assert.equal((await request('GET', `${stack.apiUrl}/collections`)).status, 401);
      assert.equal(
        (await request('GET', `${stack.apiUrl}/collections`, undefined, { 'x-api-key': 'wrong' })).status,
        401,
      );
      const ok = await request('GET', `${stack.apiUrl}/collections`, undefined, { 'x-api-key': 's3cret' });
      assert.equal(ok.status, 200);
    } finally {
      await stack.teardown();
    }
  });
});

describe('Temporal unreachable', () => {
  test('routes that need Temporal answer a prompt 503, health names it', async () => {
    const stack = await startTestStack({ worker: false, api: false });
    const deadTemporal = new Client({
      connection: Connection.lazy(apiConnectionOptions(`127.0.0.1:${await freePort()}`)),
    });
    const api = await startApiServer(
      { config: stack.config, sql: stack.sql, storage: stack.storage, staging: stack.staging, temporal: deadTemporal },
      '127.0.0.1',
      0,
    );
    try {
      const tasks = await request('GET', `${api.url}/tasks`);
      assert.equal(tasks.status, 503);
      assert.equal(tasks.body.error.code, 'temporal_unavailable');
      const health = await request('GET', `${api.url}/health`);
      assert.equal(health.status, 503);
      assert.equal(health.body.error.message, 'temporal unavailable');
      assert.equal(
        (await request('GET', `${api.url}/collections`)).status,
        200,
        'what needs only the database still answers',
      );
    } finally {
      await api.close();
      await stack.teardown();
    }
  });
});
