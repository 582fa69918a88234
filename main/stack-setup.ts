// What must happen once before a worker or an API serves: migrations, the
// search attributes and the Schedules (storage reconciler, sweeper of closed runs). `npm run worker` runs it at
// start-up; `npm start` runs it once in the launcher, before its worker and API
// processes exist, so the two never race to migrate (PGlite's one session would
// not keep two migrators apart with an advisory lock).
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/schema.ts';
import { migrate } from '../db/migrate.ts';
import { createPool } from '../db/pool.ts';
import { ensureReconcileSchedule, ensureSettleClosedRunsSchedule } from '../worker/schedules.ts';
import { ensureSearchAttributes } from '../worker/search-attributes-setup.ts';

/**
 * Set to '1' by `npm start` for its children: the launcher already ran
 * setUpStack. Not a FILEINTEL_* name: those are config keys, and the config
 * rejects unknown ones.
 */
export const STACK_SET_UP_VARIABLE = 'STACK_SET_UP_BY_LAUNCHER';

export function stackAlreadySetUp(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[STACK_SET_UP_VARIABLE] === '1';
}

/** Applies pending migrations (returns their names), registers search attributes, creates or updates the Schedule. */
export async function setUpStack(options: {
  config: Config;
  databaseUrl: string;
  temporalAddress: string;
  singleConnection: boolean;
}): Promise<string[]> {
  const { config } = options;
  const sql = createPool(options.databaseUrl, config, { singleConnection: options.singleConnection });
  let applied: string[];
  try {
    applied = await migrate(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const connection = await Connection.connect({ address: options.temporalAddress });
  try {
    const client = new Client({ connection, namespace: config.temporal_namespace });
    await ensureSearchAttributes(client, config.temporal_namespace);
    await ensureReconcileSchedule(client, config);
    await ensureSettleClosedRunsSchedule(client, config);
  } finally {
    await connection.close();
  }
  return applied;
}
