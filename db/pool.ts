import postgres from 'postgres';
import type { Config } from '../config/schema.ts';

export type Sql = postgres.Sql;

/** Set by `npm start` (main/launcher.ts) for its worker and API when the database is its embedded PGlite. */
export const EMBEDDED_DATABASE_VARIABLE = 'DATABASE_EMBEDDED';

export function isEmbeddedPglite(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[EMBEDDED_DATABASE_VARIABLE] === 'pglite';
}

/**
 * One pool per process, sized from config so concurrency cannot outgrow it.
 * `singleConnection` is for embedded PGlite: it is one session, which serves
 * one connection's exchange or transaction at a time (db/pglite-session.ts),
 * so more connections add no parallelism. With one connection per process,
 * postgres.js queues the process's queries, and the API waits behind at most
 * one exchange of the worker instead of one per worker connection.
 */
export function createPool(
  databaseUrl: string,
  config: Pick<Config, 'db_pool_size'>,
  options: { singleConnection?: boolean } = {},
): Sql {
  return postgres(databaseUrl, {
    max: options.singleConnection ? 1 : config.db_pool_size,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    transform: { undefined: null },
  });
}
