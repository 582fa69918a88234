// The stack a benchmark runs against: a real Temporal dev server, a database of
// its own (a fresh schema in the real PostgreSQL named by DATABASE_URL, else an
// in-memory PGlite), storage in a temp dir, the API in this process and the
// worker in a child process (as in production: its own process, its own pool),
// so its memory can be read from /proc. Every pool carries an application_name
// so pg_stat_activity can tell them apart.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { Config } from '../../config/schema.ts';
import { migrate } from '../../db/migrate.ts';
import { createPool, type Sql } from '../../db/pool.ts';
import type { DocumentStorage, StagingArea } from '../../storage/document-storage.ts';
import { createTestDatabase } from '../../test/support/database.ts';
import { cleanupsFor, tempDirConfig } from '../../test/support/temp-config.ts';
import { startServices } from '../../main/services.ts';
import { startTemporalDevServer } from '../../main/temporal-dev-server.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface BenchStack {
  config: Config;
  /** The benchmark's own pool (setup, polling); not counted as the service's. */
  sql: Sql;
  temporal: Client;
  temporalAddress: string;
  storage: DocumentStorage;
  staging: StagingArea;
  apiUrl: string;
  databaseKind: 'postgresql' | 'pglite';
  /** The database URL of this stack's schema, with an application_name of `name`. */
  databaseUrl(name: string): string;
  /** application_name of each service pool: api, worker. */
  poolNames: { api: string; worker: string; bench: string };
  /** FILEINTEL_* variables a child process needs to load the same config. */
  configEnv: Record<string, string>;
  worker?: WorkerChild;
  startWorker(extraConfig?: Record<string, unknown>): Promise<WorkerChild>;
  teardown(): Promise<void>;
}

export interface WorkerStats {
  eventLoopDelayMs: { mean: number; p50: number; p99: number; max: number };
  cpuMs: number;
}

export interface WorkerChild {
  pid: number;
  process: ChildProcess;
  /** Starts a new window for stats(). */
  resetStats(): Promise<void>;
  /** Event loop delay of the worker's main thread and its CPU time (all threads) since resetStats(). */
  stats(): Promise<WorkerStats>;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  config?: Record<string, unknown>;
  api?: boolean;
  worker?: boolean;
}

export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  const { dataDir, config, configEnv } = await tempDirConfig('fileintel-bench-', options.config);
  const tag = randomBytes(3).toString('hex');
  const poolNames = { api: `fib-api-${tag}`, worker: `fib-worker-${tag}`, bench: `fib-bench-${tag}` };
  const cleanups = cleanupsFor(dataDir);
  const teardown = () => cleanups.run();

  try {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const databaseUrl = (name: string) => {
      const url = new URL(database.url);
      if (database.kind === 'postgresql') url.searchParams.set('application_name', name);
      return url.toString();
    };
    const sql = createPool(databaseUrl(poolNames.bench), { db_pool_size: 4 });
    cleanups.push(() => sql.end({ timeout: 5 }));
    await migrate(sql);

    const server = await startTemporalDevServer({});
    cleanups.push(() => server.stop());
    const temporal = server.env.client;

    const services = await startServices({
      config,
      database: { url: databaseUrl(poolNames.api) },
      temporalAddress: server.address,
      api: options.api === false ? undefined : { host: '127.0.0.1', port: 0, temporal },
    });
    cleanups.push(() => services.stop());
    const { storage, staging } = services;
    const apiUrl = services.api?.url ?? '';

    const stack: BenchStack = {
      config,
      sql,
      temporal,
      temporalAddress: server.address,
      storage,
      staging,
      apiUrl,
      databaseKind: database.kind,
      databaseUrl,
      poolNames,
      configEnv,
      teardown,
      async startWorker(extraConfig = {}) {
        const env: Record<string, string> = { ...configEnv };
        for (const [key, value] of Object.entries(extraConfig))
          env[`FILEINTEL_${key.toUpperCase()}`] = JSON.stringify(value);
        const worker = await startWorkerChild({
          DATABASE_URL: databaseUrl(poolNames.worker),
          TEMPORAL_ADDRESS: server.address,
          ...env,
        });
        cleanups.push(() => worker.stop());
        stack.worker = worker;
        return worker;
      },
    };
    if (options.worker !== false) await stack.startWorker();
    return stack;
  } catch (error) {
    await teardown();
    throw error;
  }
}

/** The FileIntel worker with its real activities, in a child process. */
export async function startWorkerChild(env: Record<string, string>): Promise<WorkerChild> {
  const child = fork(path.join(here, 'worker-child.ts'), {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the worker child exited (${code}) before it was ready`);
  });
  await Promise.race([once(child, 'message'), exited]);
  exited.catch(() => {});
  let stopped = false;
  const ask = async (message: string) => {
    const answer = once(child, 'message');
    child.send(message);
    return (await answer)[0];
  };
  return {
    pid: child.pid!,
    process: child,
    resetStats: async () => {
      await ask('stats-reset');
    },
    stats: async () => (await ask('stats')) as WorkerStats,
    async stop() {
      if (stopped || child.exitCode !== null) return;
      stopped = true;
      const exit = once(child, 'exit');
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

export interface ProcMemory {
  rssMb: number;
  hwmMb: number;
  /** RSS split: anonymous (JS heap, malloc) and file-backed (the node binary's and native modules' mapped pages). */
  anonMb: number;
  fileMb: number;
}

/** VmRSS, VmHWM (peak RSS) and RSS by kind of a process, from /proc/<pid>/status. */
export async function procMemory(pid: number): Promise<ProcMemory> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return {
    rssMb: kb('VmRSS') / 1024,
    hwmMb: kb('VmHWM') / 1024,
    anonMb: kb('RssAnon') / 1024,
    fileMb: kb('RssFile') / 1024,
  };
}

/** Samples a process's RSS every `everyMs` until stopped; returns the highest seen. */
export function rssSampler(pid: number, everyMs = 50) {
  let peak = 0;
  let last = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    procMemory(pid)
      .then((memory) => {
        last = memory.rssMb;
        peak = Math.max(peak, memory.rssMb);
      })
      .catch(() => {})
      .finally(() => (busy = false));
  }, everyMs);
  return {
    get peak() {
      return peak;
    },
    get last() {
      return last;
    },
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export const round = (value: number, digits = 3) => Number(value.toFixed(digits));
export const seconds = (ms: number) => round(ms / 1000, 2);

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
