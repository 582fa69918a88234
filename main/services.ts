// The services a process runs, started one way everywhere: the worker and API
// processes (main/worker.ts, main/api.ts), the test and benchmark stacks and
// their worker children. Set-up that must happen once per stack (migrations,
// search attributes, the Schedule) is main/stack-setup.ts, before this.
import { Client, type Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { startApiServer } from '../api/server.ts';
import { connectTemporalForApi } from '../api/temporal-connection.ts';
import { activeTracing } from '../common/tracing.ts';
import type { Config, WorkerQueue } from '../config/schema.ts';
import { createPool, type Sql } from '../db/pool.ts';
import { createStorage } from '../storage/index.ts';
import type { DocumentStorage, StagingArea } from '../storage/document-storage.ts';
import type { FileIntelWorker } from '../worker/worker.ts';

export interface ServicesOptions {
  config: Config;
  /** Where the storage secrets are read (FILEINTEL_S3_*); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** A pool the caller owns, or where to open one (closed by `stop`). */
  database: Sql | { url: string; singleConnection?: boolean; poolSize?: number };
  temporalAddress: string;
  /**
   * Run a worker on `queues` (default: config worker_queues); `activities` replaces the real ones
   * (workflow-logic tests only).
   */
  worker?: boolean | { activities?: object; queues?: readonly WorkerQueue[] };
  /**
   * Serve the API; `temporal` reuses a client instead of opening the API's own connection (which carries the
   * trace context into workflows when tracing is on); `metricsAddress` (host:port) serves its Prometheus endpoint.
   */
  api?: { host: string; port: number; apiKey?: string; temporal?: Client; metricsAddress?: string };
}

export interface Services {
  sql: Sql;
  storage: DocumentStorage;
  staging: StagingArea;
  worker?: { worker: FileIntelWorker; running: Promise<void> };
  api?: { url: string; metricsUrl?: string };
  /** Stops the API, then the worker (it drains), then closes what this opened. Once. */
  stop(): Promise<void>;
}

export async function startServices(options: ServicesOptions): Promise<Services> {
  const { config } = options;
  const stops: Array<() => Promise<unknown>> = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const step of stops.reverse()) await step();
    })());

  try {
    const sql = ownPoolOrGiven(options.database, config, stops);
    const { storage, staging } = await createStorage(config, options.env);
    await staging.ensure();
    const services: Services = { sql, storage, staging, stop };

    if (options.worker) {
      const { activities, queues } = options.worker === true ? {} : options.worker;
      const deps = { config, sql, storage, staging };
      const temporalAddress = options.temporalAddress;
      // Imported here, not at the top: the worker SDK (its native core bridge) and every activity's libraries
      // (extractors, DOM, PDF) cost an API-only process ~25 MB of RSS it never uses (BENCHMARKS.md, P2).
      const { createFileIntelWorker } = await import('../worker/worker.ts');
      const { worker, connection } = await createFileIntelWorker({ temporalAddress, deps, activities, queues });
      const running = worker.run();
      stops.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await connection.close();
      });
      services.worker = { worker, running };
    }

    if (options.api) {
      const { host, port, apiKey } = options.api;
      let temporal = options.api.temporal;
      if (!temporal) {
        const connection: Connection = await connectTemporalForApi(options.temporalAddress);
        stops.push(() => connection.close());
        temporal = new Client({
          connection,
          namespace: config.temporal_namespace,
          interceptors: await clientTracing(),
        });
      }
      let metrics: import('../api/observability/metrics.ts').ApiMetrics | undefined;
      let metricsUrl: string | undefined;
      if (options.api.metricsAddress) {
        const [{ ApiMetrics }, { startMetricsServer }] = await Promise.all([
          import('../api/observability/metrics.ts'),
          import('../api/observability/metrics-server.ts'),
        ]);
        metrics = new ApiMetrics(sql);
        const server = await startMetricsServer(metrics, options.api.metricsAddress);
        stops.push(() => server.close());
        metricsUrl = server.url;
      }
      const api = await startApiServer({ config, sql, temporal, storage, staging, apiKey, metrics }, host, port);
      stops.push(() => api.close());
      services.api = { url: api.url, metricsUrl };
    }
    return services;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** With tracing on (common/tracing.ts), the client puts the current span's context into every workflow it starts. */
async function clientTracing(): Promise<{ workflow: WorkflowClientInterceptor[] } | undefined> {
  if (!activeTracing()) return undefined;
  const { OpenTelemetryWorkflowClientInterceptor } = await import('@temporalio/interceptors-opentelemetry');
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

function ownPoolOrGiven(
  database: ServicesOptions['database'],
  config: Config,
  stops: Array<() => Promise<unknown>>,
): Sql {
  if (typeof database === 'function') return database;
  const poolConfig = database.poolSize === undefined ? config : { ...config, db_pool_size: database.poolSize };
  const sql = createPool(database.url, poolConfig, { singleConnection: database.singleConnection });
  stops.push(() => sql.end({ timeout: 5 }));
  return sql;
}
