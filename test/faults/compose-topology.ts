// docker-compose.yml's topology as processes on this machine (the container
// engine does not run here), read from the compose file itself: the Temporal
// dev server with the dynamic config file compose mounts (fairness on) and no
// search attributes of its own (the workers register them, as on a fresh
// cluster), PostgreSQL, an S3 store served by rclone, two API processes
// (behind the required API key) and one worker per task queue (each service's
// `--queues`), all four FileIntel processes started at once, as compose starts
// them. Used by the topology fault test and by the P6 benchmark on it
// (bench/fair-shares-topology.ts).
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { parse } from 'yaml';
import { findTemporalCli } from '../../main/temporal-dev-server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { startHostProcess, stopHost, type HostProcess } from './host-process.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TOPOLOGY_API_KEY = 'topology-test-key';

interface ComposeService {
  command?: string[];
  stop_grace_period?: string;
  environment?: Record<string, string>;
}
export const compose = parse(readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
/** The compose services that run FileIntel's worker, with the task queues each serves (its `--queues`). */
export const workerServices = Object.entries(compose.services)
  .filter(([, service]) => service.command?.includes('dist/main/worker.js'))
  .map(([name, service]) => ({ name, queues: service.command![service.command!.indexOf('--queues') + 1] }));
/** The dynamic config compose mounts into its Temporal server, as dev-server flags. */
const dynamicConfig = Object.entries(
  parse(readFileSync(path.join(repo, 'docker/temporal-dynamic-config.yaml'), 'utf8')) as Record<
    string,
    { value: unknown }[]
  >,
).flatMap(([key, [{ value }]]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
/** A compose service's stop_grace_period, in ms. */
export const graceMs = (service: string) =>
  Number(/^(\d+)s$/.exec(compose.services[service].stop_grace_period ?? '')![1]) * 1000;

export interface ComposeTopology {
  temporal: TestWorkflowEnvironment;
  database: TestDatabase;
  s3: S3TestServer;
  /** The environment every FileIntel process got (compose's app environment on this machine's services). */
  appEnv: Record<string, string>;
  /** api-1, api-2, then the workers in the compose file's order. */
  hosts: HostProcess[];
  /** The two APIs' base URLs. */
  apis: [string, string];
  documentsWorker: HostProcess;
  /** Stops the FileIntel processes (SIGTERM) and everything under them. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the topology. `env` is laid over the app environment of every
 * FileIntel process (e.g. a benchmark's settings); the infrastructure first,
 * then the four processes at once.
 */
export async function startComposeTopology(env: Record<string, string> = {}): Promise<ComposeTopology> {
  const cli = findTemporalCli();
  const started = await Promise.allSettled([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
        ip: '127.0.0.1',
        log: { format: 'pretty', level: 'error' },
        extraArgs: dynamicConfig,
      },
    }),
    createTestDatabase(),
    startS3Server(),
  ]);
  const value = <T>(result: PromiseSettledResult<T>) => (result.status === 'fulfilled' ? result.value : undefined);
  const [temporal, database, s3] = [value(started[0]), value(started[1]), value(started[2])];
  const hosts: HostProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const host of hosts) await stopHost(host);
    for (const host of hosts) await rm(host.dir, { recursive: true, force: true });
    await temporal?.teardown();
    await database?.drop();
    await s3?.close();
  };
  try {
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const pglite = database!.kind === 'pglite';
    const appEnv = {
      TEMPORAL_ADDRESS: temporal!.address,
      DATABASE_URL: database!.url,
      ...Object.fromEntries(
        Object.entries(s3!.config).map(([key, value]) => [`FILEINTEL_${key.toUpperCase()}`, JSON.stringify(value)]),
      ),
      ...s3!.env,
      FILEINTEL_TEXT_WORKER_THREADS: '1',
      FILEINTEL_MAX_CONCURRENT_ACTIVITIES: pglite ? '1' : '4',
      FILEINTEL_DB_POOL_SIZE: pglite ? '1' : '5',
      ...env,
    };
    const apiPorts = [await freePort(), await freePort()];
    const results = await Promise.allSettled([
      ...apiPorts.map((port, n) =>
        startHostProcess(
          `api-${n + 1}`,
          'main/api.ts',
          { ...appEnv, FILEINTEL_API_PORT: String(port), FILEINTEL_API_KEY: TOPOLOGY_API_KEY },
          /\[api\] listening on /,
        ),
      ),
      ...workerServices.map((service) =>
        startHostProcess(
          service.name,
          'main/worker.ts',
          { ...appEnv, FILEINTEL_WORKER_QUEUES: service.queues },
          /\[worker\] polling/,
        ),
      ),
    ]);
    for (const result of results) if (result.status === 'fulfilled') hosts.push(result.value);
    const notReady = results.find((result) => result.status === 'rejected');
    if (notReady) throw notReady.reason;
    const [apiA, apiB] = hosts.slice(0, 2).map((host) => /listening on (\S+)/.exec(host.readyLine)![1]);
    return {
      temporal: temporal!,
      database: database!,
      s3: s3!,
      appEnv,
      hosts,
      apis: [apiA, apiB],
      documentsWorker: hosts[2 + workerServices.findIndex((service) => service.queues === 'documents')],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
