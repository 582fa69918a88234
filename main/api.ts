// `npm run api`: the API alone, against TEMPORAL_ADDRESS and DATABASE_URL
// (production); also the API process of `npm start`.
import { Client } from '@temporalio/client';
import { loadConfig } from '../config/load.ts';
import { migrate } from '../db/migrate.ts';
import { createPool, isEmbeddedPglite } from '../db/pool.ts';
import { createStorage } from '../storage/index.ts';
import { notifySupervisor, onShutdown, requireEnv } from './process.ts';
import { stackAlreadySetUp } from './stack-setup.ts';
import { startApiServer } from '../api/server.ts';
import { connectTemporalForApi } from '../api/temporal-connection.ts';

const config = loadConfig();
const sql = createPool(requireEnv('DATABASE_URL'), config, { singleConnection: isEmbeddedPglite() });
if (!stackAlreadySetUp()) await migrate(sql);
const connection = await connectTemporalForApi(requireEnv('TEMPORAL_ADDRESS'));
const temporal = new Client({ connection, namespace: config.temporal_namespace });
const { storage, staging } = createStorage(config);
await staging.ensure();
const api = await startApiServer({ config, sql, temporal, storage, staging, apiKey: process.env.FILEINTEL_API_KEY }, config.api_host, config.api_port);
console.log(`[api] listening on ${api.url}`);
onShutdown(async () => {
  await api.close();
  await connection.close();
  await sql.end({ timeout: 5 });
});
notifySupervisor({ url: api.url });
