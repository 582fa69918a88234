import type { Sql } from '../pool.ts';

/** One round trip to the database: resolves when it answers, rejects when it cannot. */
export async function pingDatabase(sql: Sql): Promise<void> {
  await sql`SELECT 1`;
}
