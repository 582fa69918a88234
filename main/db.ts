// The embedded PostgreSQL (PGlite over the wire protocol) as a process of its
// own: `npm start` runs it as its 'db' child when DATABASE_URL is unset.
// PGLITE_DATA_DIR holds the data; PGLITE_PORT is the port (0: any free one,
// reported to the launcher, which passes it again on a restart).
import { notifySupervisor, onShutdown, requireEnv } from './process.ts';
import { startEmbeddedPostgres } from '../db/embedded.ts';

const dataDir = requireEnv('PGLITE_DATA_DIR');
const embedded = await startEmbeddedPostgres({ dataDir, port: Number(process.env.PGLITE_PORT ?? 0) });
console.log(`[db] PGlite serving ${dataDir} at ${embedded.url}`);
onShutdown(() => embedded.stop());
notifySupervisor({ url: embedded.url });
