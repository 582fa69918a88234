// `npm run api`: the API alone, against TEMPORAL_ADDRESS and DATABASE_URL
// (production); also the API process of `npm start`.
import { startTracing } from '../common/tracing.ts';
import { loadConfig } from '../config/load.ts';
import { migrate } from '../db/migrate.ts';
import { createPool, isEmbeddedPglite } from '../db/pool.ts';
import { notifySupervisor, onShutdown, requireEnv } from './process.ts';
import { startServices } from './services.ts';
import { stackAlreadySetUp } from './stack-setup.ts';

const config = loadConfig();
const tracing = await startTracing({ serviceName: 'fileintel-api' });
const sql = createPool(requireEnv('DATABASE_URL'), config, { singleConnection: isEmbeddedPglite() });
if (!stackAlreadySetUp()) await migrate(sql);
const services = await startServices({
  config,
  database: sql,
  temporalAddress: requireEnv('TEMPORAL_ADDRESS'),
  api: {
    host: config.api_host,
    port: config.api_port,
    apiKey: process.env.FILEINTEL_API_KEY,
    metricsAddress: config.api_metrics_address,
  },
});
const { url, metricsUrl } = services.api!;
console.log(`[api] listening on ${url}`);
if (metricsUrl) console.log(`[api] metrics on ${metricsUrl}`);
if (tracing) console.log(`[api] traces to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}`);
onShutdown(async () => {
  await services.stop();
  await sql.end({ timeout: 5 });
  await tracing?.shutdown();
});
notifySupervisor({ url, metricsUrl });
