import { mkdirSync } from 'node:fs';
import { PGlite, type Extensions } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { serveOneExchangeAtATime } from './pglite-session.ts';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * PGlite served over the Postgres wire protocol, so the `postgres` client is
 * the same in development, tests and production. `dataDir` undefined keeps
 * the database in memory (tests). Any number of connections, from any number
 * of processes: each holds PGlite's one session for a whole exchange or
 * transaction (db/pglite-session.ts).
 */
export async function startEmbeddedPostgres(options: {
  dataDir?: string;
  host?: string;
  port?: number;
  maxConnections?: number;
  /** Load pgvector (default true); false stands for a PostgreSQL without it. */
  vector?: boolean;
}): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // pgvector ships with PGlite: migration 006 moves chunk vectors onto it (HNSW search).
  const extensions: Extensions = options.vector === false ? {} : { vector };
  const db = await PGlite.create(options.dataDir ?? 'memory://', { extensions });
  const host = options.host ?? '127.0.0.1';
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 100,
  });
  serveOneExchangeAtATime(server, db);
  await server.start();
  const address = server.getServerConn();
  const port = Number(address.split(':').pop());
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
