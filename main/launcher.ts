// `npm start`: the whole stack on one machine, one process per part, so the
// API never waits on the worker's event loop. Starts what is not given (the
// Temporal dev server unless TEMPORAL_ADDRESS is set, embedded PostgreSQL
// (PGlite) unless DATABASE_URL is set), sets the stack up once (migrations,
// search attributes, Schedule), then the worker and the API. Each part is a
// supervised child (main/supervisor.ts): its output prefixed with its name,
// restarted with backoff when it dies, and when it keeps dying the whole
// stack stops with exit code 1. SIGINT/SIGTERM stop the API, the worker, then
// the services, in that order.
import path from 'node:path';
import { loadConfig } from '../config/load.ts';
import { WORKER_QUEUES } from '../config/schema.ts';
import { EMBEDDED_DATABASE_VARIABLE } from '../db/pool.ts';
import { onShutdown } from './process.ts';
import { setUpStack, STACK_SET_UP_VARIABLE } from './stack-setup.ts';
import { GaveUpError, log, SupervisedChild, type ChildSpec } from './supervisor.ts';

/** The code's root: the repository, or dist/ when compiled. */
const CODE_ROOT = path.resolve(import.meta.dirname, '..');
/** Children run as the launcher does: compiled .js under dist/, or .ts sources through tsx. */
const entryPoint = (name: string): string => path.join(CODE_ROOT, `${name}${path.extname(import.meta.filename)}`);
const config = loadConfig();

/** Started children, in start order; stopped in reverse. */
const children: SupervisedChild[] = [];
let stopping: Promise<void> | undefined;
const stopAll = (): Promise<void> =>
  (stopping ??= (async () => {
    for (const child of [...children].reverse()) {
      await child.stop().catch((error) => console.error(`[fileintel] stopping ${child.name} failed:`, error));
    }
  })());
onShutdown(stopAll);

function giveUp(error: GaveUpError): void {
  console.error(`[fileintel] ${error.message}: stopping everything`);
  void stopAll().finally(() => process.exit(1));
}

function supervise(spec: Omit<ChildSpec, 'cwd'>): SupervisedChild {
  // The launcher's own working directory, so relative paths in config (data_dir) mean the same to every child.
  const child = new SupervisedChild({ cwd: process.cwd(), ...spec }, giveUp);
  children.push(child);
  return child;
}

/** The Temporal dev server as the 'temporal' child; its frontend address and Web UI. */
async function startDevServer(): Promise<{ address: string; uiUrl?: string }> {
  log('starting the Temporal dev server…');
  const temporal = supervise({
    name: 'temporal',
    entry: entryPoint('main/temporal'),
    env: { ...process.env, TEMPORAL_DEV_DB_FILE: path.resolve(config.data_dir, 'temporal.sqlite') },
    stopTimeoutMs: 15_000,
  });
  const ready = await temporal.start();
  return { address: String(ready.address), uiUrl: ready.uiUrl === undefined ? undefined : String(ready.uiUrl) };
}

/** Embedded PostgreSQL (PGlite) as the 'db' child; its URL. */
async function startEmbeddedDatabase(): Promise<string> {
  log('starting embedded PostgreSQL (PGlite)…');
  const db = supervise({
    name: 'db',
    entry: entryPoint('main/db'),
    env: { ...process.env, PGLITE_DATA_DIR: path.resolve(config.data_dir, 'pglite'), PGLITE_PORT: '0' },
    stopTimeoutMs: 10_000,
  });
  const url = String((await db.start()).url);
  // A restarted db must come back where the worker and the API look for it.
  db.spec.env.PGLITE_PORT = new URL(url).port;
  return url;
}

try {
  const devServer = !process.env.TEMPORAL_ADDRESS;
  const { address: temporalAddress, uiUrl } = devServer
    ? await startDevServer()
    : { address: process.env.TEMPORAL_ADDRESS!, uiUrl: undefined };
  const embeddedDatabase = !process.env.DATABASE_URL;
  const databaseUrl = embeddedDatabase ? await startEmbeddedDatabase() : process.env.DATABASE_URL!;

  const applied = await setUpStack({ config, databaseUrl, temporalAddress, singleConnection: embeddedDatabase });
  if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    DATABASE_URL: databaseUrl,
    [STACK_SET_UP_VARIABLE]: '1',
    ...(embeddedDatabase ? { [EMBEDDED_DATABASE_VARIABLE]: 'pglite' } : {}),
  };
  // One machine: its worker serves every queue, whatever FILEINTEL_WORKER_QUEUES says.
  const workerEnv = { ...env, FILEINTEL_WORKER_QUEUES: WORKER_QUEUES.join(',') };
  const worker = await supervise({
    name: 'worker',
    entry: entryPoint('main/worker'),
    env: workerEnv,
    stopTimeoutMs: 30_000,
  }).start();
  // As `npm run api` (keep the two alike): a small young generation frees upload buffers sooner, and two malloc arenas keep
  // libuv's threads from each holding freed memory (P2 peak RSS, BENCHMARKS.md).
  const api = await supervise({
    name: 'api',
    entry: entryPoint('main/api'),
    nodeFlags: ['--max-semi-space-size=1'],
    env: { ...env, MALLOC_ARENA_MAX: '2' },
    stopTimeoutMs: 10_000,
  }).start();

  console.log('');
  console.log(`  API          ${api.url}   (try ${api.url}/health)`);
  console.log(`  OpenAPI      ${api.url}/openapi.json`);
  console.log(
    `  Temporal     ${temporalAddress}${devServer ? ' (dev server, data in ' + config.data_dir + '/temporal.sqlite)' : ''}`,
  );
  if (uiUrl) console.log(`  Web UI       ${uiUrl}`);
  console.log(
    `  PostgreSQL   ${embeddedDatabase ? 'embedded PGlite at ' + databaseUrl + ' (data in ' + config.data_dir + '/pglite)' : 'DATABASE_URL'}`,
  );
  const queues = `'${config.task_queue}' (workflows), '${config.document_task_queue}' (documents)`;
  console.log(`  Worker       task queues ${queues}`);
  const metrics = [
    api.metricsUrl === undefined ? undefined : `API ${String(api.metricsUrl)}`,
    worker.metricsUrl === undefined ? undefined : `worker ${String(worker.metricsUrl)}`,
  ].filter(Boolean);
  console.log(
    `  Metrics      ${metrics.length > 0 ? metrics.join(', ') : 'off (api_metrics_address, worker_metrics_address)'}`,
  );
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT)
    console.log(`  Traces       OTLP to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}`);
  console.log(`  Processes    ${children.map((child) => `${child.name} ${child.pid}`).join(', ')}`);
  console.log('\n  Ctrl-C stops everything.\n');
} catch (error) {
  // A signal or a child given up on is already stopping everything, and exits with its own code.
  if (!stopping && !(error instanceof GaveUpError)) {
    console.error('[fileintel] start-up failed:', error instanceof Error ? error.message : error);
    await stopAll();
    process.exit(1);
  }
}
