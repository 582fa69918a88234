import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiMetrics } from './metrics.ts';

/** `host:port` as config writes it (`[::1]:9464` for IPv6). */
export function parseListenAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!match) throw new Error(`not a host:port address: ${JSON.stringify(address)}`);
  return { host: match[1]!, port: Number(match[2]) };
}

/**
 * The API's Prometheus endpoint, a listener of its own (api_metrics_address):
 * GET /metrics, nothing else. Apart from the API's port, so it needs no API
 * key, is not counted among the API's requests, and can stay off the public
 * interface. Port 0 picks a free one.
 */
export async function startMetricsServer(
  metrics: ApiMetrics,
  address: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const { host, port } = parseListenAddress(address);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, text }) => res.writeHead(200, { 'content-type': contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
