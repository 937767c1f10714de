import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { CliError } from '../errors.js';

/** A running `/metrics` endpoint. */
export interface MetricsServer {
  /** Where it listens, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Where `--metrics :P` and `--metrics P` listen: loopback, as everything in TradeNova that listens. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

/**
 * Parses `--metrics`: `:9464` and `9464` (loopback), `127.0.0.1:9464`, `[::1]:9464`, or an
 * explicit wider host such as `0.0.0.0:9464` or `[::]:9464`. Port 0 picks a free one.
 */
export function parseMetricsAddress(text: string): { host: string; port: number } {
  const t = text.trim();
  const colon = t.lastIndexOf(':');
  const portText = colon < 0 ? t : t.slice(colon + 1);
  let host: string | undefined = colon < 0 ? undefined : t.slice(0, colon);
  if (host?.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65_535 || /[[\]\s]/.test(host ?? '')) {
    throw new CliError(`--metrics ${text}: expected [host]:port, e.g. :9464 or 127.0.0.1:9464`);
  }
  return { host: host === undefined || host === '' ? DEFAULT_METRICS_HOST : host, port };
}

/** Serves the registry at `GET /metrics` (node:http); anything else is 404 or 405. */
export async function serveMetrics(
  registry: Registry,
  address: string,
  /** Takes values from secret or environment references out of the body (a label may quote one). */
  redact: (text: string) => string = (text) => text,
): Promise<MetricsServer> {
  const { host, port } = parseMetricsAddress(address);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : redact(text));
      },
      (error: unknown) => {
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`metrics failed: ${(error as Error).message}\n`);
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new CliError(`--metrics ${address}: cannot listen: ${error.code ?? error.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const info = server.address() as AddressInfo;
  // The address the socket really has, so a wide listener never reads as a loopback one.
  const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return {
    url: `http://${shown}:${info.port}/metrics`,
    port: info.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
