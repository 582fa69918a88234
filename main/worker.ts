// `npm run worker`: the worker alone, against TEMPORAL_ADDRESS and DATABASE_URL
// (production); also the worker process of `npm start`.
import { loadConfig } from '../config/load.ts';
import { createPool, isEmbeddedPglite } from '../db/pool.ts';
import { createStorage } from '../storage/index.ts';
import { notifySupervisor, onShutdown, requireEnv } from './process.ts';
import { setUpStack, stackAlreadySetUp } from './stack-setup.ts';
import { createFileIntelWorker } from '../worker/worker.ts';

const config = loadConfig();
const address = requireEnv('TEMPORAL_ADDRESS');
const databaseUrl = requireEnv('DATABASE_URL');
const singleConnection = isEmbeddedPglite();
if (!stackAlreadySetUp()) await setUpStack({ config, databaseUrl, temporalAddress: address, singleConnection });
const sql = createPool(databaseUrl, config, { singleConnection });
const { storage, staging } = createStorage(config);
await staging.ensure();
const { worker, connection: workerConnection } = await createFileIntelWorker({ temporalAddress: address, deps: { config, sql, storage, staging } });
console.log(`[worker] polling task queue '${config.task_queue}' on ${address}`);
const running = worker.run();
onShutdown(async () => {
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await running;
  await workerConnection.close();
  await sql.end({ timeout: 5 });
});
notifySupervisor({ taskQueue: config.task_queue });
await running;
