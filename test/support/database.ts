import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../../db/embedded.ts';

export interface TestDatabase {
  url: string;
  /** Which kind answered: the real server named by DATABASE_URL, or PGlite. */
  kind: 'postgresql' | 'pglite';
  drop(): Promise<void>;
}

/**
 * A database of this test file's own: a fresh schema inside the database named
 * by DATABASE_URL (the connection's search_path points at it; dropped
 * afterwards), or an in-memory PGlite when DATABASE_URL is unset.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const embedded = await startEmbeddedPostgres({});
    return { url: embedded.url, kind: 'pglite', drop: () => embedded.stop() };
  }
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = () => postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const creator = admin();
  await creator.unsafe(`CREATE SCHEMA ${schema}`);
  await creator.end();
  const url = new URL(databaseUrl);
  url.searchParams.set('search_path', schema);
  return {
    url: url.toString(),
    kind: 'postgresql',
    async drop() {
      const dropper = admin();
      await dropper.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await dropper.end();
    },
  };
}
