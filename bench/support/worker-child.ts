// The FileIntel worker alone in a child process (as `npm run worker` runs it,
// minus migrations and the Schedule), so a benchmark can read its memory from
// /proc. Parent talks over IPC: it sends 'stop'; this sends {ready} once polling.
import { loadConfig } from '../../config/load.ts';
import { createPool } from '../../db/pool.ts';
import { createStorage } from '../../storage/index.ts';
import { createFileIntelWorker } from '../../worker/worker.ts';

const config = loadConfig();
const sql = createPool(process.env.DATABASE_URL!, config);
const { storage, staging } = createStorage(config);
await staging.ensure();
const { worker, connection } = await createFileIntelWorker({ temporalAddress: process.env.TEMPORAL_ADDRESS!, deps: { config, sql, storage, staging } });
const running = worker.run();
process.on('message', (message) => {
  if (message !== 'stop') return;
  if (worker.getState() === 'RUNNING') worker.shutdown();
});
process.send!({ ready: true });
try {
  await running;
} finally {
  await connection.close();
  await sql.end({ timeout: 5 });
  process.exit(0);
}
