import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  parseContract,
  parseEngineConfig,
  parseReplay,
  type ReplayInputError,
  runReplay,
  SignalError,
  SimulatedExchange,
  streamReplay,
  VirtualClock,
} from '../../src/index.js';

const session = readFileSync(
  fileURLToPath(new URL('../../../../examples/signals/session.jsonl', import.meta.url)),
  'utf8',
);
const config = parseEngineConfig(
  parseYaml(readFileSync(fileURLToPath(new URL('../../../../examples/paper.yaml', import.meta.url)), 'utf8')),
);
// The example session with a bad line and a comment in the middle.
const text = [
  ...session.trim().split('\n').slice(0, 20),
  '{"time": "x", "type": "quote"}',
  '# note',
  ...session.trim().split('\n').slice(20),
].join('\n');

async function* linesOf(t: string) {
  for (const line of t.split('\n')) yield line;
}

describe('streamed replay', () => {
  it('reads the same records and errors as parsing the whole text, line numbers included', async () => {
    const whole = parseReplay(text, 'jsonl');
    const errors: ReplayInputError[] = [];
    const records = [];
    for await (const r of streamReplay(linesOf(text), { onError: (e) => errors.push(e) })) records.push(r);
    expect(records).toEqual(whole.records);
    expect(errors).toEqual(whole.errors);
    expect(errors[0]?.line).toBe(21);
  });

  it('stops at the first bad line with strict', async () => {
    const read = async () => {
      for await (const _ of streamReplay(linesOf(text), { strict: true, onError: () => {} })) {
      }
    };
    await expect(read()).rejects.toThrow(SignalError);
  });

  it('gives the same report from a stream as from an array', async () => {
    const whole = parseReplay(text, 'jsonl');
    const fromArray = await runReplay({ config, records: whole.records, inputErrors: whole.errors });
    const errors: ReplayInputError[] = [];
    const fromStream = await runReplay({
      config,
      records: streamReplay(linesOf(text), { onError: (e) => errors.push(e) }),
      inputErrors: errors,
    });
    expect(JSON.stringify(fromStream)).toBe(JSON.stringify(fromArray));
  });

  it('a summary report keeps every count and leaves the per-order lists out', async () => {
    const { records, errors } = parseReplay(text, 'jsonl');
    const full = await runReplay({ config, records, inputErrors: errors });
    const summary = await runReplay({ config, records, inputErrors: errors, detail: 'summary' });
    expect(full.events.length).toBeGreaterThan(0);
    expect(summary.events).toEqual([]);
    expect(summary.latency).toEqual(full.latency);
    expect(summary.signals).toEqual(full.signals);
    for (const [i, a] of summary.accounts.entries()) {
      const f = full.accounts[i]!;
      expect(a.orders).toEqual(f.orders);
      expect(a.positions).toEqual(f.positions);
      expect(a.drift).toEqual(f.drift);
      expect([a.fills, a.blocked, a.skipped, a.rejected, a.timedOut, a.failed]).toEqual([
        [],
        [],
        [],
        [],
        [],
        [],
      ]);
    }
    expect(full.accounts.some((a) => a.fills.length > 0)).toBe(true);
  });
});

describe('SimulatedExchange finishedOrdersKept', () => {
  it('forgets the oldest finished orders and keeps working ones', async () => {
    const clock = new VirtualClock(Date.parse('2025-11-24T14:30:00Z'));
    const exchange = new SimulatedExchange({ clock, finishedOrdersKept: 2 });
    exchange.openAccount('A', 100_000_000);
    const c = parseContract('MNQZ5', { at: clock.now() });
    exchange.updateQuote(c, { bidTicks: 84000, askTicks: 84001 });
    const resting = await exchange.placeOrder({
      accountId: 'A',
      clientOrderId: 'rest',
      contract: c,
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitTicks: 80000,
    });
    const filled = [];
    for (let i = 0; i < 4; i++) {
      filled.push(
        await exchange.placeOrder({
          accountId: 'A',
          clientOrderId: `m${i}`,
          contract: c,
          side: i % 2 ? 'sell' : 'buy',
          qty: 1,
          orderType: 'market',
        }),
      );
      // Matching walks the live orders and retires the finished ones.
      exchange.updateTrade(c, 84001);
    }
    expect(exchange.getOrder(filled[0]!.orderId)).toBeUndefined();
    expect(exchange.findOrderByClientId('A', 'm0')).toBeUndefined();
    expect(exchange.getOrder(filled[3]!.orderId)?.status).toBe('filled');
    expect(exchange.getOrder(resting.orderId)?.status).toBe('working');
  });
});
