// The FileIntel worker alone in a child process, so a fault test can SIGKILL
// it for real. Reads DATABASE_URL, TEMPORAL_ADDRESS and FILEINTEL_* like the
// real worker; WORKER_DB_POOL caps its pool (1 on PGlite, which multiplexes
// connections onto one session). Tells the parent {ready, pid} over IPC.
import { loadConfig } from '../../config/load.ts';
import { createPool } from '../../db/pool.ts';
import { createStorage } from '../../storage/index.ts';
import { createFileIntelWorker } from '../../worker/worker.ts';

const config = loadConfig();
const sql = createPool(process.env.DATABASE_URL!, { db_pool_size: Number(process.env.WORKER_DB_POOL ?? config.db_pool_size) });
const { storage, staging } = createStorage(config);
await staging.ensure();
const { worker, connection } = await createFileIntelWorker({ temporalAddress: process.env.TEMPORAL_ADDRESS!, deps: { config, sql, storage, staging } });
const running = worker.run();
process.send?.({ ready: true, pid: process.pid });
process.on('message', (message) => {
  if (message === 'stop') worker.shutdown();
});
await running;
await connection.close();
await sql.end({ timeout: 2 });
process.exit(0);
