// `npm run worker`: the worker alone, against TEMPORAL_ADDRESS and DATABASE_URL
// (production); also the worker process of `npm start`. Serves the task queues
// it is told: `-- --queues workflows,documents`, else FILEINTEL_WORKER_QUEUES,
// else config worker_queues (both).
import { ConfigError, loadConfig } from '../config/load.ts';
import { createPool, isEmbeddedPglite } from '../db/pool.ts';
import { createStorage } from '../storage/index.ts';
import { notifySupervisor, onShutdown, requireEnv } from './process.ts';
import { setUpStack, stackAlreadySetUp } from './stack-setup.ts';
import { queuesArgument, WorkerArgumentError } from './queues-argument.ts';
import { createFileIntelWorker, taskQueueOf } from './worker.ts';

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
const address = requireEnv('TEMPORAL_ADDRESS');
const databaseUrl = requireEnv('DATABASE_URL');
const singleConnection = isEmbeddedPglite();
if (!stackAlreadySetUp()) await setUpStack({ config, databaseUrl, temporalAddress: address, singleConnection });
const sql = createPool(databaseUrl, config, { singleConnection });
const { storage, staging } = createStorage(config);
await staging.ensure();
const { worker, connection: workerConnection } = await createFileIntelWorker({ temporalAddress: address, deps: { config, sql, storage, staging } });
const served = config.worker_queues
  .map((queue) => `task queue '${taskQueueOf(config, queue)}' (${queue})`)
  .join(' and ');
console.log(`[worker] polling ${served} on ${address}`);
const running = worker.run();
onShutdown(async () => {
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await running;
  await workerConnection.close();
  await sql.end({ timeout: 5 });
});
notifySupervisor({ taskQueue: config.task_queue });
await running;
