// The FileIntel worker alone in a child process, so a fault test can SIGKILL
// it for real. Reads DATABASE_URL, TEMPORAL_ADDRESS and FILEINTEL_* like the
// real worker; WORKER_DB_POOL caps its pool (1 on PGlite, which multiplexes
// connections onto one session). Tells the parent {ready, pid} over IPC.
import { loadConfig } from '../../config/load.ts';
import { startServices } from '../../main/services.ts';

const config = loadConfig();
const poolSize = Number(process.env.WORKER_DB_POOL ?? config.db_pool_size);
const services = await startServices({
  config,
  database: { url: process.env.DATABASE_URL!, poolSize },
  temporalAddress: process.env.TEMPORAL_ADDRESS!,
  worker: true,
});
process.send?.({ ready: true, pid: process.pid });
process.on('message', (message) => {
  if (message === 'stop') void services.stop();
});
await services.worker!.running;
await services.stop();
process.exit(0);
