// `npm run api`: the API alone, against TEMPORAL_ADDRESS and DATABASE_URL
// (production); also the API process of `npm start`.
import { loadConfig } from '../config/load.ts';
import { migrate } from '../db/migrate.ts';
import { createPool, isEmbeddedPglite } from '../db/pool.ts';
import { notifySupervisor, onShutdown, requireEnv } from './process.ts';
import { startServices } from './services.ts';
import { stackAlreadySetUp } from './stack-setup.ts';

const config = loadConfig();
const sql = createPool(requireEnv('DATABASE_URL'), config, { singleConnection: isEmbeddedPglite() });
if (!stackAlreadySetUp()) await migrate(sql);
const services = await startServices({
  config,
  database: sql,
  temporalAddress: requireEnv('TEMPORAL_ADDRESS'),
  api: { host: config.api_host, port: config.api_port, apiKey: process.env.FILEINTEL_API_KEY },
});
console.log(`[api] listening on ${services.api!.url}`);
onShutdown(async () => {
  await services.stop();
  await sql.end({ timeout: 5 });
});
notifySupervisor({ url: services.api!.url });
