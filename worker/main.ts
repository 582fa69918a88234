// `npm run worker`: the worker alone, against TEMPORAL_ADDRESS and DATABASE_URL (production).
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config/load.ts';
import { migrate } from '../db/migrate.ts';
import { createPool } from '../db/pool.ts';
import { createStorage } from '../storage/index.ts';
import { onShutdown, requireEnv } from './process.ts';
import { ensureReconcileSchedule } from './schedules.ts';
import { ensureSearchAttributes } from './search-attributes-setup.ts';
import { createFileIntelWorker } from './worker.ts';

const config = loadConfig();
const address = requireEnv('TEMPORAL_ADDRESS');
const sql = createPool(requireEnv('DATABASE_URL'), config);
await migrate(sql);
const { storage, staging } = createStorage(config);
await staging.ensure();
const connection = await Connection.connect({ address });
const client = new Client({ connection, namespace: config.temporal_namespace });
await ensureSearchAttributes(client, config.temporal_namespace);
await ensureReconcileSchedule(client, config);
await connection.close();
const { worker, connection: workerConnection } = await createFileIntelWorker({ temporalAddress: address, deps: { config, sql, storage, staging } });
console.log(`[worker] polling task queue '${config.task_queue}' on ${address}`);
const running = worker.run();
onShutdown(async () => {
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await running;
  await workerConnection.close();
  await sql.end({ timeout: 5 });
});
await running;
