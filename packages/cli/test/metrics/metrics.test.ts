import {
  createEngine,
  PaperBroker,
  parseEngineConfig,
  SimulatedExchange,
  systemClock,
} from '@tradenova/core';
import { planConnections } from '@tradenova/core/engine';
import { waitFor } from '@tradenova/core/testing';
import { describe, expect, it } from 'vitest';
import { demoCommand } from '../../src/commands/demo.js';
import { startRunMetrics } from '../../src/metrics/index.js';
import type { RunMetrics } from '../../src/metrics/metrics.js';
import { parseMetricsAddress } from '../../src/metrics/server.js';
import { captureIo } from '../capture-io.js';

/** The value of one series in Prometheus text, or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').at(-1));
  }
  return undefined;
}

async function scrape(url: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('--metrics', () => {
  it('parses the listen address', () => {
    expect(parseMetricsAddress(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseMetricsAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(() => parseMetricsAddress('localhost')).toThrow(/expected \[host\]:port/);
    expect(() => parseMetricsAddress(':70000')).toThrow(/expected/);
  });

  it('serves copy latency, orders, breaker and connection state while the demo copies, and the lag hooks', async () => {
    let stop = () => {};
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    let endpoint: { url: string; metrics: RunMetrics } | undefined;
    const { io, stderr } = captureIo();
    const running = demoCommand({ json: true, metrics: '127.0.0.1:0', noJournal: true }, io, {
      stop: stopped,
      onMetrics: (e) => {
        endpoint = e;
      },
    });
    try {
      // Scrape the real endpoint until the first copies show up in it.
      let text = '';
      await waitFor(
        async () => {
          if (!endpoint) return false;
          const res = await scrape(endpoint.url);
          expect(res.status).toBe(200);
          expect(res.type).toContain('text/plain');
          text = res.text;
          return ['paper', 'tradovate'].every(
            (b) => (sample(text, 'tradenova_orders_total', { broker: b, outcome: 'filled' }) ?? 0) > 0,
          );
        },
        {
          message: 'copied fills in the metrics',
          timeout: 8000,
          interval: 100,
          context: () => `${stderr()}\n${text.slice(0, 2000)}`,
        },
      );
      expect(stderr()).toContain(`metrics at ${endpoint!.url}`);
      expect(sample(text, 'tradenova_copy_latency_seconds_count', { broker: 'tradovate' })).toBeGreaterThan(
        0,
      );
      expect(
        sample(text, 'tradenova_copy_latency_seconds_bucket', { broker: 'paper', le: '+Inf' }),
      ).toBeGreaterThan(0);
      expect(
        sample(text, 'tradenova_orders_total', { broker: 'tradovate', outcome: 'placed' }),
      ).toBeGreaterThan(0);
      expect(sample(text, 'tradenova_signals_total', { outcome: 'received' })).toBeGreaterThan(0);
      expect(sample(text, 'tradenova_breaker_state', { connection: 'tradovate-f02', state: 'closed' })).toBe(
        1,
      );
      expect(sample(text, 'tradenova_breaker_state', { connection: 'tradovate-f02', state: 'open' })).toBe(0);
      expect(sample(text, 'tradenova_connection_state', { broker: 'projectx', state: 'connected' })).toBe(1);
      expect(sample(text, 'tradenova_connection_state', { broker: 'projectx', state: 'disconnected' })).toBe(
        0,
      );
      expect(sample(text, 'tradenova_process_cpu_seconds_total')).toBeGreaterThan(0);
      // Labels stay low-cardinality: no account or order ids.
      expect(text).not.toMatch(/DEMO-F\d\d|intent|signalId/);

      endpoint!.metrics.setJournalLag(7);
      endpoint!.metrics.setKafkaLag('tradenova-router', 'trade.signals', 2, 41);
      const after = (await scrape(endpoint!.url)).text;
      expect(sample(after, 'tradenova_journal_lag_events')).toBe(7);
      expect(
        sample(after, 'tradenova_kafka_consumer_lag_messages', { topic: 'trade.signals', partition: '2' }),
      ).toBe(41);
      expect((await fetch(endpoint!.url.replace('/metrics', '/'))).status).toBe(404);
    } finally {
      stop();
    }
    expect(await running).toBe(0);
    // The endpoint closes with the run.
    await expect(fetch(endpoint!.url)).rejects.toThrow();
  });

  it('shows the state of the connections this process holds only (an executor leaves the other logins alone)', async () => {
    const config = parseEngineConfig({
      leader: { account: 'LEAD', connection: 'x' },
      connections: { x: { broker: 'paper' }, y: { broker: 'paper' } },
      followers: [
        { name: 'fx', account: 'X1', connection: 'x' },
        { name: 'fy', account: 'Y1', connection: 'y' },
      ],
    });
    const exchange = new SimulatedExchange({ clock: systemClock });
    const connections = {
      x: new PaperBroker(exchange, ['LEAD', 'X1']),
      y: new PaperBroker(exchange, ['Y1']),
    };
    const engine = createEngine(config, { connections, connectOnStart: false });
    const { server } = await startRunMetrics(
      { config, engine, plans: planConnections(config), connections },
      '127.0.0.1:0',
    );
    try {
      await engine.start();
      await engine.openConnection('x');
      const text = (await scrape(server.url)).text;
      expect(sample(text, 'tradenova_connection_state', { connection: 'x', state: 'connected' })).toBe(1);
      expect(sample(text, 'tradenova_connection_state', { connection: 'y' })).toBeUndefined();
    } finally {
      await engine.stop();
      await server.close();
    }
  });
});
