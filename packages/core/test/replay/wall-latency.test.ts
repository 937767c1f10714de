import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvent } from '../../src/index.js';
import {
  PaperBroker,
  parseEngineConfig,
  parseReplay,
  runReplay,
  SimulatedExchange,
} from '../../src/index.js';

const signals = Array.from({ length: 12 }, (_, i) => ({
  time: new Date(Date.UTC(2025, 10, 24, 14, 30, i + 1)).toISOString(),
  signalId: `s${i}`,
  action: 'new',
  leaderOrderId: `L${i}`,
  instrument: 'MNQZ5',
  side: i % 2 === 0 ? 'buy' : 'sell',
  qty: 1,
  orderType: 'market',
  fillPrice: '21000.25',
}));
const lines = [
  { time: '2025-11-24T14:30:00.000Z', type: 'quote', instrument: 'MNQZ5', bid: '21000.00', ask: '21000.25' },
  ...signals,
];

afterEach(() => {
  vi.restoreAllMocks();
});

describe('wall-clock copy latency of followers on a connection of their own', () => {
  it('is the same figure in the report and for every listener, however the clock moves between reads', async () => {
    // A wall clock that moves 1 ms on every read: two reads for one event round to
    // different milliseconds, as a busy machine does now and then.
    let now = 1_000;
    vi.spyOn(performance, 'now').mockImplementation(() => {
      now += 1;
      return now;
    });
    const config = parseEngineConfig({
      leader: { account: 'L' },
      services: { journal: { enabled: false } },
      followers: [{ name: 'wired', account: 'W', broker: 'tradovate' }],
    });
    const { records } = parseReplay(lines.map((l) => JSON.stringify(l)).join('\n'), 'jsonl');
    const seen: number[] = [];
    const report = await runReplay({
      config,
      records,
      connect: async (plan, session) => {
        const exchange = new SimulatedExchange({ clock: session.stampClock, idPrefix: 'W' });
        return { connection: new PaperBroker(exchange, plan.accounts), exchange };
      },
      onEvent: (event: EngineEvent) => {
        if (event.type === 'order-placed') seen.push(event.latencyMs);
      },
    });
    expect(seen).toHaveLength(signals.length);
    expect(seen.every((ms) => ms > 0)).toBe(true);
    const sorted = [...seen].sort((a, b) => a - b);
    expect(report.latency.count).toBe(seen.length);
    expect(report.latency.max).toBe(sorted.at(-1));
    expect(report.latency.p50).toBe(sorted[Math.ceil(0.5 * sorted.length) - 1]);
  });
});
