// `npm run worker`: the worker alone, against TEMPORAL_ADDRESS and DATABASE_URL
// (production); also the worker process of `npm start`. Serves the task queues
// it is told: `-- --queues workflows,documents`, else FILEINTEL_WORKER_QUEUES,
// else config worker_queues (both).
import { startTracing } from '../common/tracing.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import { isEmbeddedPglite } from '../db/pool.ts';
import { installWorkerTelemetry } from '../worker/telemetry.ts';
import { taskQueueOf } from '../worker/worker.ts';
import { notifySupervisor, onShutdown, requireEnv } from './process.ts';
import { queuesArgument, WorkerArgumentError } from './queues-argument.ts';
import { startServices } from './services.ts';
import { setUpStack, stackAlreadySetUp } from './stack-setup.ts';

const config = (() => {
  try {
    const queues = queuesArgument(process.argv.slice(2));
    return loadConfig(queues === undefined ? process.env : { ...process.env, FILEINTEL_WORKER_QUEUES: queues });
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof WorkerArgumentError)) throw error;
    console.error(`[worker] ${error.message}`);
    process.exit(2);
  }
})();
const temporalAddress = requireEnv('TEMPORAL_ADDRESS');
const databaseUrl = requireEnv('DATABASE_URL');
// Before any connection: the Runtime carrying the Prometheus exporter is made once per process.
const { metricsUrl } = installWorkerTelemetry(config.worker_metrics_address);
const tracing = await startTracing({ serviceName: 'fileintel-worker' });
const singleConnection = isEmbeddedPglite();
if (!stackAlreadySetUp()) await setUpStack({ config, databaseUrl, temporalAddress, singleConnection });
const services = await startServices({
  config,
  database: { url: databaseUrl, singleConnection },
  temporalAddress,
  worker: true,
});
const served = config.worker_queues
  .map((queue) => `task queue '${taskQueueOf(config, queue)}' (${queue})`)
  .join(' and ');
console.log(`[worker] polling ${served} on ${temporalAddress}`);
console.log(
  `[worker] build ${services.worker!.worker.buildId} of deployment '${config.deployment_name}' (worker_versioning ${config.worker_versioning}; see docs/DEPLOYS.md)`,
);
if (metricsUrl) console.log(`[worker] metrics on ${metricsUrl}`);
if (tracing) console.log(`[worker] traces to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}`);
onShutdown(async () => {
  await services.stop();
  await tracing?.shutdown();
});
notifySupervisor({ taskQueue: config.task_queue, metricsUrl });
await services.worker!.running;
