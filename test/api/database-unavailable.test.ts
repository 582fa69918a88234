// The API while its database cannot answer: a request waits on the database at
// most db_request_timeout at a time, then answers 503 database_unavailable (v3
// envelope, and v2's body with its top-level `detail`), and answers normally
// again once the database does. Three ways of not answering: a session held by
// another client (PGlite: a transaction open on its one session; PostgreSQL: a
// table locked), the embedded server stopped, and the embedded server
// restarted under requests. Plus the worker's side: a pool query that hangs
// fails after db_statement_timeout instead of waiting forever.
//
// Times are never asserted tightly: "answered with 503" and a bound of a few
// times the configured limit, so a loaded machine does not fail it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import type { Config } from '../../config/schema.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';
import { createPool, DatabaseUnavailableError, type Sql } from '../../db/pool.ts';
import { startServices, type Services } from '../../main/services.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { request, type JsonResponse } from '../support/http.ts';
import { freePort } from '../support/ports.ts';
import { cleanupsFor, tempDirConfig } from '../support/temp-config.ts';

const LIMIT = '2s';
const LIMIT_MS = 2_000;
/** Generous: an answer within this long is "within the limit" on a loaded machine; a hang is far longer. */
const ANSWERED_WITHIN_MS = LIMIT_MS * 5;

/** The request's answer and how long it took. */
async function timed(method: string, url: string, body?: unknown): Promise<JsonResponse & { ms: number }> {
  const started = Date.now();
  const res = await request(method, url, body);
  return { ...res, ms: Date.now() - started };
}

function assertDatabaseUnavailableV3(res: JsonResponse & { ms: number }, what: string) {
  assert.equal(res.status, 503, `${what}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.success, false);
  assert.equal(res.body.error.code, 'database_unavailable');
  assert.match(res.body.error.message, /database/);
  assert.match(res.body.timestamp, /^\d{4}-\d\d-\d\dT/);
  assert.ok(res.ms < ANSWERED_WITHIN_MS, `${what}: answered in ${res.ms} ms, limit ${LIMIT_MS} ms`);
}

function assertDatabaseUnavailableV2(res: JsonResponse & { ms: number }, what: string) {
  assert.equal(res.status, 503, `${what}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.success, false);
  assert.equal(res.body.code, 'database_unavailable');
  assert.equal(res.body.data, null);
  assert.equal(res.body.api_version, '2.0');
  assert.match(res.body.detail, /database/);
  assert.equal(res.body.error, res.body.detail);
  assert.ok(res.ms < ANSWERED_WITHIN_MS, `${what}: answered in ${res.ms} ms, limit ${LIMIT_MS} ms`);
}

/** The API alone on `sql` (no worker; the routes used here never reach Temporal, which is a lazy client to nowhere). */
async function startApi(config: Config, sql: Sql): Promise<{ services: Services; v3: string; v2: string }> {
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const services = await startServices({
    config,
    database: sql,
    temporalAddress: '127.0.0.1:1',
    api: { host: '127.0.0.1', port: 0, temporal },
  });
  const v3 = services.api!.url;
  return { services, v3, v2: v3.replace(/\/api\/v3$/, '/api/v2') };
}

describe('the API while its database does not answer (db_request_timeout)', () => {
  let database: TestDatabase;
  let config: Config;
  let sql: Sql;
  let api: Awaited<ReturnType<typeof startApi>>;
  let cleanups: ReturnType<typeof cleanupsFor>;

  before(async () => {
    const temp = await tempDirConfig('fileintel-db-wait-', { db_request_timeout: LIMIT });
    config = temp.config;
    cleanups = cleanupsFor(temp.dataDir);
    database = await createTestDatabase();
    cleanups.push(() => database.drop());
    sql = createPool(database.url, config, { singleConnection: database.kind === 'pglite' });
    cleanups.push(() => sql.end({ timeout: 5 }));
    await migrate(sql);
    api = await startApi(config, sql);
    cleanups.push(() => api.services.stop());
  });
  after(() => cleanups?.run());

  /**
   * Another client holds what the API's queries need: PGlite's one session (a
   * transaction open on it), or on PostgreSQL the collections table (locked).
   * Returns the release.
   */
  async function holdDatabase(): Promise<() => Promise<void>> {
    const holder = postgres(database.url, { max: 1, onnotice: () => {} });
    const held = await holder.reserve();
    await held`BEGIN`;
    if (database.kind === 'pglite') await held`SELECT 1`;
    else await held`LOCK TABLE collections IN ACCESS EXCLUSIVE MODE`;
    return async () => {
      await held`COMMIT`;
      held.release();
      await holder.end({ timeout: 5 });
    };
  }

  test(`a request answers 503 within its limit while the database is held, and normally once it is released (${LIMIT})`, async () => {
    const created = await request('POST', `${api.v3}/collections`, { name: 'before the hold' });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const release = await holdDatabase();
    try {
      assertDatabaseUnavailableV3(await timed('GET', `${api.v3}/collections`), 'v3 list');
      const res = await timed('GET', `${api.v3}/collections`);
      assertDatabaseUnavailableV3(res, 'v3 list again');
      assert.deepEqual(res.body.error.details, { limit: 'db_request_timeout', allowed: LIMIT_MS });
      assertDatabaseUnavailableV2(await timed('GET', `${api.v2}/collections`), 'v2 list');
      assertDatabaseUnavailableV3(await timed('POST', `${api.v3}/collections`, { name: 'during' }), 'v3 create');
    } finally {
      await release();
    }

    const list = await eventually(
      () => request('GET', `${api.v3}/collections`),
      (res) => res.status === 200,
      'the API answers again once the database is released',
      { timeoutMs: 60_000, everyMs: 200 },
    );
    const names = list.body.data.collections.map((c: { name: string }) => c.name);
    assert.ok(names.includes('before the hold'), JSON.stringify(names));
    const v2 = await request('GET', `${api.v2}/collections`);
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
    const created2 = await request('POST', `${api.v3}/collections`, { name: 'after the hold' });
    assert.equal(created2.status, 201, JSON.stringify(created2.body));
  });

  test('a query of the pool (the worker side) that hangs fails after db_statement_timeout, and the pool serves again', async () => {
    const pool = createPool(
      database.url,
      { db_pool_size: 1, db_statement_timeout: 1_000 },
      { singleConnection: database.kind === 'pglite' },
    );
    try {
      await pool`SELECT 1`;
      const release = await holdDatabase();
      try {
        const started = Date.now();
        const failure = await pool`SELECT count(*) FROM collections`.then(
          () => assert.fail('answered while the database was held'),
          (error: unknown) => error,
        );
        assert.ok(failure instanceof DatabaseUnavailableError, String(failure));
        // The client's bound, or first on PostgreSQL the server's statement_timeout, which the pool sets to it.
        assert.match(failure.message, /db_statement_timeout|statement timeout/);
        assert.ok(Date.now() - started < 10_000, `failed after ${Date.now() - started} ms`);
        const transaction = await pool
          .begin((tx) => tx`SELECT count(*) FROM collections`)
          .then(
            () => assert.fail('a transaction went through while the database was held'),
            (error: unknown) => error,
          );
        assert.ok(transaction instanceof DatabaseUnavailableError, String(transaction));
      } finally {
        await release();
      }
      await eventually(
        () => pool`SELECT count(*)::int AS n FROM collections`,
        (rows) => rows.length === 1,
        'the pool serves again once the database is released',
        { timeoutMs: 60_000, everyMs: 200 },
      );
    } finally {
      await pool.end({ timeout: 5 });
    }
  });
});

describe('the API while the embedded database is stopped and restarted', () => {
  let dataDir: string;
  let port: number;
  let server: EmbeddedPostgres | undefined;
  let sql: Sql;
  let api: Awaited<ReturnType<typeof startApi>>;
  let cleanups: ReturnType<typeof cleanupsFor>;

  before(async () => {
    const temp = await tempDirConfig('fileintel-db-restart-', { db_request_timeout: LIMIT });
    cleanups = cleanupsFor(temp.dataDir);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'fileintel-db-restart-pglite-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    port = await freePort();
    server = await startEmbeddedPostgres({ dataDir, port });
    cleanups.push(async () => server?.stop());
    // As `npm start`'s API process has it: one connection to the embedded server.
    sql = createPool(server.url, temp.config, { singleConnection: true });
    cleanups.push(() => sql.end({ timeout: 5 }));
    await migrate(sql);
    api = await startApi(temp.config, sql);
    cleanups.push(() => api.services.stop());
  });
  after(() => cleanups?.run());

  test('stopped: requests answer 503 within the limit; started again: the API answers normally', async () => {
    const created = await request('POST', `${api.v3}/collections`, { name: 'before the stop' });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    await server!.stop();
    server = undefined;
    assertDatabaseUnavailableV3(await timed('GET', `${api.v3}/collections`), 'v3 list, server stopped');
    assertDatabaseUnavailableV2(await timed('GET', `${api.v2}/collections`), 'v2 list, server stopped');
    assertDatabaseUnavailableV3(await timed('POST', `${api.v3}/collections`, { name: 'x' }), 'v3 create, stopped');

    server = await startEmbeddedPostgres({ dataDir, port });
    const list = await eventually(
      () => request('GET', `${api.v3}/collections`),
      (res) => res.status === 200,
      'the API answers again once the embedded server is back',
      { timeoutMs: 60_000, everyMs: 200 },
    );
    const names = list.body.data.collections.map((c: { name: string }) => c.name);
    assert.ok(names.includes('before the stop'), JSON.stringify(names));
  });

  test('restarted under a stream of requests: every request is answered (200 or 503) within the limit', async () => {
    const answers: { status: number; ms: number; code?: string }[] = [];
    let stopped = false;
    const clients = Array.from({ length: 3 }, async (_, k) => {
      for (let i = 0; !stopped; i++) {
        const res =
          i % 2 === 0
            ? await timed('GET', `${api.v3}/collections`)
            : await timed('POST', `${api.v3}/collections`, { name: `during restart ${k}-${i}` });
        answers.push({ status: res.status, ms: res.ms, code: res.body?.error?.code });
      }
    });
    try {
      for (let restart = 0; restart < 3; restart++) {
        await sleep(300);
        await server!.stop();
        server = undefined;
        await sleep(300);
        server = await startEmbeddedPostgres({ dataDir, port });
      }
      await eventually(
        () => request('GET', `${api.v3}/collections`),
        (res) => res.status === 200,
        'the API answers again after the restarts',
        { timeoutMs: 60_000, everyMs: 200 },
      );
    } finally {
      stopped = true;
      await Promise.all(clients);
    }

    const unexpected = answers.filter(
      (a) => !(a.status === 200 || a.status === 201 || (a.status === 503 && a.code === 'database_unavailable')),
    );
    assert.deepEqual(unexpected, [], 'every answer is a success or 503 database_unavailable');
    const slowest = Math.max(...answers.map((a) => a.ms));
    assert.ok(slowest < ANSWERED_WITHIN_MS, `slowest answer ${slowest} ms, limit ${LIMIT_MS} ms`);
    assert.ok(answers.length > 0);
  });
});
