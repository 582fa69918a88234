// One client process of the PGlite sessions stress test (test/e2e/pglite-sessions.test.ts):
// a pool of several connections running, all at once, multi-statement
// transactions (some rolled back), prepared statements outside transactions
// and one-statement writes, each checked against what it must return.
// Prints one JSON line: { ok, errors, wrong }.
import postgres from 'postgres';

const [url, name, roundsText, poolText] = process.argv.slice(2);
const rounds = Number(roundsText);
const sql = postgres(url!, { max: Number(poolText), onnotice: () => {} });

const errors: string[] = [];
const wrong: string[] = [];
const expect = (what: string, actual: unknown, expected: unknown) => {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    wrong.push(`${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
};

class Rollback extends Error {}
// postgres.js can reject a query nobody awaits any more (its transaction already failed): count it too.
process.on('unhandledRejection', (error) => errors.push(`unhandled: ${(error as Error)?.message ?? error}`));

async function round(i: number): Promise<void> {
  const work = [
    // A transaction of several statements whose reads must see its own writes.
    sql.begin(async (tx) => {
      await tx`INSERT INTO stress_rows (client, i, payload) VALUES (${name}, ${i}, ${'row ' + i})`;
      const [seen] = await tx`SELECT payload FROM stress_rows WHERE client = ${name} AND i = ${i}`;
      expect(`round ${i}: own insert inside the transaction`, seen?.payload, `row ${i}`);
      const [counter] = await tx`UPDATE stress_counters SET n = n + 1 WHERE client = ${name} RETURNING n`;
      const [rows] = await tx`SELECT count(*)::int AS n FROM stress_rows WHERE client = ${name}`;
      expect(`round ${i}: counter equals own row count`, counter?.n, rows?.n);
    }),
    // A transaction rolled back: nothing of it may remain.
    sql
      .begin(async (tx) => {
        await tx`INSERT INTO stress_rows (client, i, payload) VALUES (${name}, ${-1 - i}, 'rolled back')`;
        await tx`SELECT pg_sleep(0)`;
        throw new Rollback();
      })
      .catch((error) => {
        if (!(error instanceof Rollback)) throw error;
      }),
    // Prepared statements outside any transaction (named statement, unnamed portal).
    (async () => {
      const [sum] = await sql`SELECT ${i}::int + ${1000}::int AS sum, ${name}::text AS client`;
      expect(`round ${i}: prepared sum`, [sum?.sum, sum?.client], [i + 1000, name]);
      const series = await sql`SELECT g FROM generate_series(1, ${(i % 7) + 1}) AS g`;
      expect(`round ${i}: series length`, series.length, (i % 7) + 1);
    })(),
    // The same without a prepared statement (unnamed statement).
    (async () => {
      const [row] = await sql.unsafe('SELECT $1::text AS echo', [`${name}-${i}`], { prepare: false });
      expect(`round ${i}: unnamed statement`, row?.echo, `${name}-${i}`);
    })(),
  ];
  const outcomes = await Promise.allSettled(work);
  for (const outcome of outcomes)
    if (outcome.status === 'rejected') errors.push(String(outcome.reason?.message ?? outcome.reason));
}

try {
  await sql`INSERT INTO stress_counters (client, n) VALUES (${name}, 0) ON CONFLICT (client) DO NOTHING`;
  await Promise.all(Array.from({ length: rounds }, (_, i) => round(i)));
  const [rows] = await sql`SELECT count(*)::int AS n FROM stress_rows WHERE client = ${name}`;
  const [counter] = await sql`SELECT n FROM stress_counters WHERE client = ${name}`;
  // A failed round may have lost its row; the counter must still match what is there.
  if (errors.length === 0) expect('rows kept, rolled back ones gone', rows?.n, rounds);
  expect('counter equals rows', counter?.n, rows?.n);
} catch (error) {
  errors.push(String((error as Error).message));
} finally {
  await sql.end({ timeout: 5 });
}
console.log(
  JSON.stringify({
    ok: errors.length === 0 && wrong.length === 0,
    errors: errors.slice(0, 10),
    errorCount: errors.length,
    wrong: wrong.slice(0, 10),
  }),
);
