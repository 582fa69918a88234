// `npm start`: the whole stack on one machine. Starts what is not given:
// the Temporal dev server unless TEMPORAL_ADDRESS is set, embedded PostgreSQL
// (PGlite) unless DATABASE_URL is set; then the worker and the API.
import path from 'node:path';
import { Client } from '@temporalio/client';
import { startApiServer } from '../api/server.ts';
import { connectTemporalForApi } from '../api/temporal-connection.ts';
import { loadConfig } from '../config/load.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded.ts';
import { migrate } from '../db/migrate.ts';
import { createPool } from '../db/pool.ts';
import { createStorage } from '../storage/index.ts';
import { onShutdown } from './process.ts';
import { ensureReconcileSchedule } from './schedules.ts';
import { ensureSearchAttributes } from './search-attributes-setup.ts';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-dev-server.ts';
import { createFileIntelWorker } from './worker.ts';

const config = loadConfig();
const stops: (() => Promise<void>)[] = [];
const stopAll = async () => {
  for (const stop of stops.reverse()) await stop().catch((error) => console.error('[fileintel] stop failed:', error));
};
onShutdown(stopAll);

try {
  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  let devServer: TemporalDevServer | undefined;
  if (!temporalAddress) {
    console.log('[fileintel] starting the Temporal dev server…');
    devServer = await startTemporalDevServer({
      dbFilename: path.resolve(config.data_dir, 'temporal.sqlite'),
      port: Number(process.env.TEMPORAL_DEV_PORT ?? 7233),
      uiPort: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
    });
    stops.push(() => devServer!.stop());
    temporalAddress = devServer.address;
  }

  let databaseUrl = process.env.DATABASE_URL;
  let embedded: EmbeddedPostgres | undefined;
  if (!databaseUrl) {
    console.log('[fileintel] starting embedded PostgreSQL (PGlite)…');
    embedded = await startEmbeddedPostgres({ dataDir: path.resolve(config.data_dir, 'pglite') });
    stops.push(() => embedded!.stop());
    databaseUrl = embedded.url;
  }

  const sql = createPool(databaseUrl, config, { singleConnection: embedded !== undefined });
  stops.push(() => sql.end({ timeout: 5 }));
  const applied = await migrate(sql);
  if (applied.length > 0) console.log(`[fileintel] applied migrations: ${applied.join(', ')}`);
  const { storage, staging } = createStorage(config);
  await staging.ensure();

  const connection = await connectTemporalForApi(temporalAddress);
  stops.push(() => connection.close());
  const temporal = new Client({ connection, namespace: config.temporal_namespace });
  await ensureSearchAttributes(temporal, config.temporal_namespace);
  await ensureReconcileSchedule(temporal, config);

  const { worker, connection: workerConnection } = await createFileIntelWorker({ temporalAddress, deps: { config, sql, storage, staging } });
  const running = worker.run();
  stops.push(async () => {
    // The SDK already shuts the worker down on SIGINT/SIGTERM; only ask when it has not.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await workerConnection.close();
  });

  const api = await startApiServer({ config, sql, temporal, storage, staging, apiKey: process.env.FILEINTEL_API_KEY }, config.api_host, config.api_port);
  stops.push(() => api.close());

  console.log('');
  console.log(`  API          ${api.url}   (try ${api.url}/health)`);
  console.log(`  OpenAPI      ${api.url}/openapi.json`);
  console.log(`  Temporal     ${temporalAddress}${devServer ? ' (dev server, data in ' + config.data_dir + '/temporal.sqlite)' : ''}`);
  if (devServer?.uiUrl) console.log(`  Web UI       ${devServer.uiUrl}`);
  console.log(`  PostgreSQL   ${embedded ? 'embedded PGlite at ' + embedded.url + ' (data in ' + config.data_dir + '/pglite)' : 'DATABASE_URL'}`);
  console.log(`  Worker       task queue '${config.task_queue}'`);
  console.log('\n  Ctrl-C stops everything.\n');
  await running;
} catch (error) {
  console.error('[fileintel] start-up failed:', error instanceof Error ? error.message : error);
  await stopAll();
  process.exit(1);
}
