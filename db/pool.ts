import postgres from 'postgres';
import type { Config } from '../config/schema.ts';

export type Sql = postgres.Sql;

/**
 * One pool per process, sized from config so concurrency cannot outgrow it.
 * `singleConnection` is for embedded PGlite: its socket server multiplexes
 * connections onto one session, and two transactions interleaving there lose
 * each other's portals ("portal does not exist"), so everything goes through
 * one connection and postgres.js queues the rest.
 */
export function createPool(databaseUrl: string, config: Pick<Config, 'db_pool_size'>, options: { singleConnection?: boolean } = {}): Sql {
  return postgres(databaseUrl, {
    max: options.singleConnection ? 1 : config.db_pool_size,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    transform: { undefined: null },
  });
}
