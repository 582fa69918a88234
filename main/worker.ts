// `npm run worker`: the worker alone, against TEMPORAL_ADDRESS and DATABASE_URL
// (production); also the worker process of `npm start`.
import { loadConfig } from '../config/load.ts';
import { isEmbeddedPglite } from '../db/pool.ts';
import { notifySupervisor, onShutdown, requireEnv } from './process.ts';
import { startServices } from './services.ts';
import { setUpStack, stackAlreadySetUp } from './stack-setup.ts';

const config = loadConfig();
const temporalAddress = requireEnv('TEMPORAL_ADDRESS');
const databaseUrl = requireEnv('DATABASE_URL');
const singleConnection = isEmbeddedPglite();
if (!stackAlreadySetUp()) await setUpStack({ config, databaseUrl, temporalAddress, singleConnection });
const services = await startServices({ config, database: { url: databaseUrl, singleConnection }, temporalAddress, worker: true });
console.log(`[worker] polling task queue '${config.task_queue}' on ${temporalAddress}`);
onShutdown(services.stop);
notifySupervisor({ taskQueue: config.task_queue });
await services.worker!.running;
