import postgres from 'postgres';
import type { Config } from '../config/schema.ts';

export type Sql = postgres.Sql;

/** One pool per process, sized from config so concurrency cannot outgrow it. */
export function createPool(databaseUrl: string, config: Pick<Config, 'db_pool_size'>): Sql {
  return postgres(databaseUrl, {
    max: config.db_pool_size,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    transform: { undefined: null },
  });
}
