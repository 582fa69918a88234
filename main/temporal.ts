// The Temporal dev server as a process of its own: `npm start` runs it as its
// 'temporal' child when TEMPORAL_ADDRESS is unset. The server binary is this
// process's child, so it shares the process group the launcher gave this
// process: a terminal's Ctrl-C does not kill it before the worker has drained.
// TEMPORAL_DEV_DB_FILE keeps the history, TEMPORAL_DEV_PORT / TEMPORAL_UI_PORT
// are its ports.
import net from 'node:net';
import { notifySupervisor, onShutdown, requireEnv } from './process.ts';
import { startTemporalDevServer } from './temporal-dev-server.ts';

/** How often to check that the server still listens, and after how many refusals in a row this process exits. */
const LIVENESS_INTERVAL_MS = 5_000;
const REFUSALS_BEFORE_EXIT = 2;

const server = await startTemporalDevServer({
  dbFilename: requireEnv('TEMPORAL_DEV_DB_FILE'),
  port: Number(process.env.TEMPORAL_DEV_PORT ?? 7233),
  uiPort: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
});
console.log(`[temporal] dev server at ${server.address}${server.uiUrl ? ', Web UI ' + server.uiUrl : ''}`);

// The SDK runs the server binary and says nothing if it dies; a refused
// connection (not a slow one, which load can cause) means it is gone, and
// exiting lets the launcher restart it.
let refusals = 0;
const liveness = setInterval(() => {
  const [host, port] = [
    server.address.slice(0, server.address.lastIndexOf(':')),
    Number(server.address.split(':').pop()),
  ];
  const socket = net.connect({ host, port });
  socket.once('connect', () => {
    refusals = 0;
    socket.destroy();
  });
  socket.once('error', (error: NodeJS.ErrnoException) => {
    socket.destroy();
    if (error.code !== 'ECONNREFUSED') return;
    refusals += 1;
    if (refusals < REFUSALS_BEFORE_EXIT) return;
    console.error(`[temporal] the dev server no longer listens on ${server.address}`);
    process.exit(1);
  });
}, LIVENESS_INTERVAL_MS);

onShutdown(async () => {
  clearInterval(liveness);
  await server.stop();
});
notifySupervisor({ address: server.address, uiUrl: server.uiUrl });
