import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { serveMetrics } from '../../src/metrics/server.js';

/** Whether a TCP connection to host:port is accepted. */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const outward = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('--metrics listens on loopback unless told otherwise', () => {
  it(':P binds 127.0.0.1 and says so', async () => {
    const server = await serveMetrics(new Registry(), ':0');
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
      expect(await reachable('127.0.0.1', server.port)).toBe(true);
      // The machine's outward address (when it has one) does not reach it.
      if (outward) expect(await reachable(outward, server.port)).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('an explicit wide host is honoured and printed as it is', async () => {
    const server = await serveMetrics(new Registry(), '0.0.0.0:0');
    try {
      expect(server.url).toBe(`http://0.0.0.0:${server.port}/metrics`);
      if (outward) expect(await reachable(outward, server.port)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
