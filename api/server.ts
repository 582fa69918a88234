import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import type { ApiDeps } from './deps.ts';
import { API_V3_PREFIX } from './prefixes.ts';

/**
 * How long an idle keep-alive connection stays open. Node's default (5 s) is
 * short enough that a client reusing a connection right as the server closes
 * it gets ECONNRESET, and a POST is not retried: seen as "fetch failed" on an
 * upload after a client spent ~5 s busy. Clients (undici reads the
 * Keep-Alive hint) close their side a second before this, so the server never
 * closes a connection a client is about to reuse.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Starts the HTTP server; resolves once it listens. Port 0 picks a free one. */
export async function startApiServer(
  deps: ApiDeps,
  host: string,
  port: number,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const app = createApp(deps);
  const server = await new Promise<Server>((resolve, reject) => {
    // Express 5 calls this back with the error when listening fails (e.g. EADDRINUSE), not only on success.
    const listening = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Node's rule: headersTimeout above keepAliveTimeout, or a reused connection can be cut mid-headers.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${address.port}${API_V3_PREFIX}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
