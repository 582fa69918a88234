// A database this test owns and may restart: PGlite with a data folder,
// served on a fixed port (the embedded default), or, when DATABASE_URL is set
// (the real-PostgreSQL run), a PostgreSQL server of our own (initdb into a
// temp folder, run as the `postgres` user on a free port). The machine's
// shared server is never restarted.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../db/embedded.ts';
import { freePort } from '../support/ports.ts';
import { sleep } from '../support/faults.ts';

export interface OwnDatabase {
  kind: 'pglite' | 'postgresql';
  url: string;
  /** Stops the server, waits `downMs`, starts it again on the same port and data. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnDatabase(): Promise<OwnDatabase> {
  return process.env.DATABASE_URL ? ownPostgres() : ownPglite();
}

async function ownPglite(): Promise<OwnDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fileintel-pglite-'));
  const port = await freePort();
  let server: EmbeddedPostgres | undefined = await startEmbeddedPostgres({ dataDir, port });
  return {
    kind: 'pglite',
    url: server.url,
    async restart(downMs) {
      await server?.stop();
      server = undefined;
      await sleep(downMs);
      server = await startEmbeddedPostgres({ dataDir, port });
    },
    async stop() {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function binDir(): string {
  const pgConfig = execFileSync('sh', ['-c', 'command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1'], {
    encoding: 'utf8',
  }).trim();
  return path.dirname(pgConfig);
}

async function ownPostgres(): Promise<OwnDatabase> {
  const bin = binDir();
  const root = mkdtempSync(path.join(os.tmpdir(), 'fileintel-pg-'));
  const dataDir = path.join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot)
    chownSync(
      root,
      Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
    );
  const run = (tool: string, args: string[]) =>
    execFileSync(
      asRoot ? 'runuser' : path.join(bin, tool),
      asRoot ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args,
      { stdio: 'pipe', encoding: 'utf8' },
    );
  run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root} -c fsync=off -c max_connections=100`;
  const start = () =>
    run('pg_ctl', ['-D', dataDir, '-o', options, '-l', path.join(root, 'log'), '-w', '-t', '60', 'start']);
  start();
  return {
    kind: 'postgresql',
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart(downMs) {
      // `immediate`: every backend is killed, as when the server crashes; recovery runs at start.
      run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      await sleep(downMs);
      start();
    },
    async stop() {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
