// Embedded PGlite (one Postgres session) served to several client processes at
// once, as `npm start` does for the API and the worker: every connection must
// see its own exchange and transaction whole (db/pglite-session.ts). Always
// PGlite, whatever DATABASE_URL says: this is about the embedded server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../db/embedded.ts';
import { runNode } from '../support/run-process.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const STRESS_CLIENT = path.join(import.meta.dirname, '..', 'support', 'pglite-stress-client.ts');

interface StressReport {
  ok: boolean;
  errors: string[];
  errorCount: number;
  wrong: string[];
}

async function runStressClient(url: string, name: string, rounds: number, connections: number): Promise<StressReport> {
  const run = await runNode(['--import', 'tsx', STRESS_CLIENT, url, name, String(rounds), String(connections)], {
    cwd: ROOT,
  });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as StressReport;
  } catch {
    throw new Error(`stress client ${name} exited ${run.code} without a report:\n${run.stdout}\n${run.stderr}`);
  }
}

describe('embedded PGlite shared by several client processes', () => {
  let server: EmbeddedPostgres;
  let sql: postgres.Sql;

  before(async () => {
    server = await startEmbeddedPostgres({});
    sql = postgres(server.url, { max: 1, onnotice: () => {} });
    await sql`CREATE TABLE stress_rows (client text NOT NULL, i int NOT NULL, payload text NOT NULL)`;
    await sql`CREATE TABLE stress_counters (client text PRIMARY KEY, n int NOT NULL)`;
  });
  after(async () => {
    await sql.end({ timeout: 5 });
    await server.stop();
  });

  test('two processes of four connections each: transactions, rollbacks and prepared statements all come out right', async (t) => {
    const rounds = 200;
    const reports = await Promise.all([
      runStressClient(server.url, 'a', rounds, 4),
      runStressClient(server.url, 'b', rounds, 4),
    ]);
    for (const [i, report] of reports.entries()) {
      t.diagnostic(`client ${i}: ${JSON.stringify(report)}`);
      assert.deepEqual(report.errors, [], `client ${i}: no query failed`);
      assert.deepEqual(report.wrong, [], `client ${i}: every result right`);
    }
    const counts = await sql<
      { client: string; n: number }[]
    >`SELECT client, count(*)::int AS n FROM stress_rows GROUP BY client ORDER BY client`;
    assert.deepEqual(
      counts.map((row) => [row.client, row.n]),
      [
        ['a', rounds],
        ['b', rounds],
      ],
      'every committed row kept, no rolled-back row left',
    );
  });

  test('a client killed inside its transaction loses that transaction and frees the session', async () => {
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import postgres from 'postgres';
         const sql = postgres(process.argv[1], { max: 1, onnotice: () => {} });
         await sql.begin(async (tx) => {
           await tx\`INSERT INTO stress_rows (client, i, payload) VALUES ('killed', 0, 'never committed')\`;
           console.log('holding');
           await new Promise(() => {});
         });`,
        server.url,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (chunk) => String(chunk).includes('holding') && resolve());
      holder.once('exit', (code) => reject(new Error(`holder exited ${code} before holding its transaction`)));
    });
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;

    const [left] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM stress_rows WHERE client = 'killed'`;
    assert.equal(left!.n, 0, 'the killed transaction was rolled back');
    const [state] = await sql<{ ok: boolean }[]>`SELECT true AS ok`;
    assert.equal(state!.ok, true, 'the session answers others again');
  });
});
