import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './pool.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Any fixed number: serialises migrators started at once (API and worker). */
const MIGRATION_LOCK_KEY = 4_711_001;

/**
 * Applies every `NNN_name.sql` not yet recorded in schema_migrations, in name
 * order, each in its own transaction. Safe to call at every start-up.
 */
export async function migrate(sql: Sql): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((name) => /^\d+_.*\.sql$/.test(name)).sort();
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`;
    const done = new Set((await tx<{ name: string }[]>`SELECT name FROM schema_migrations`).map((row) => row.name));
    const applied: string[] = [];
    for (const name of files) {
      if (done.has(name)) continue;
      const text = await readFile(path.join(MIGRATIONS_DIR, name), 'utf8');
      await tx.savepoint(async (step) => {
        await step.unsafe(text);
        await step`INSERT INTO schema_migrations (name) VALUES (${name})`;
      });
      applied.push(name);
    }
    return applied;
  });
}
