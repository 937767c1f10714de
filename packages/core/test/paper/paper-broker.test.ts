import { describe, expect, it } from 'vitest';
import type { BrokerEvent } from '../../src/adapter/contract.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { BrokerDisconnectedError, BrokerRejectedError } from '../../src/errors.js';
import { defaultInstruments } from '../../src/instruments/registry.js';
import { PAPER_CAPABILITIES, PaperBroker } from '../../src/paper/paper-broker.js';
import { paperPlugin } from '../../src/paper/paper-plugin.js';
import { createRng } from '../../src/paper/prng.js';
import { SimulatedExchange } from '../../src/paper/simulated-exchange.js';
import { silentLogger } from '../../src/util/logger.js';
import { MNQ } from './helpers.js';

function shared() {
  const clock = new VirtualClock(0);
  const exchange = new SimulatedExchange({ clock });
  exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
  return { clock, exchange };
}

describe('PaperBroker', () => {
  it('reports connection changes and refuses requests while disconnected', async () => {
    const { exchange } = shared();
    const broker = new PaperBroker(exchange, ['a1']);
    const events: BrokerEvent[] = [];
    broker.onEvent((e) => events.push(e));
    await expect(broker.getPositions('a1')).rejects.toBeInstanceOf(BrokerDisconnectedError);
    await broker.connect();
    expect(broker.health().state).toBe('connected');
    await broker.disconnect();
    expect(events).toEqual([
      { type: 'connection-changed', state: 'connecting' },
      { type: 'connection-changed', state: 'connected' },
      { type: 'connection-changed', state: 'disconnected' },
    ]);
  });

  it('opens its accounts with the starting balance when absent and keeps existing ones', async () => {
    const { exchange } = shared();
    exchange.openAccount('existing', 1_000);
    const broker = new PaperBroker(exchange, ['existing', 'new', 'custom'], {
      startingBalance: 7_000,
      balances: { custom: 9_000 },
    });
    await broker.connect();
    expect((await broker.listAccounts()).map((a) => [a.accountId, a.balance])).toEqual([
      ['existing', 1_000],
      ['new', 7_000],
      ['custom', 9_000],
    ]);
    expect(broker.capabilities).toEqual(PAPER_CAPABILITIES);
  });

  it('sees only its own accounts on a shared exchange', async () => {
    const { exchange } = shared();
    const one = new PaperBroker(exchange, ['a1']);
    const two = new PaperBroker(exchange, ['a2']);
    const seenByOne: BrokerEvent[] = [];
    one.onEvent((e) => seenByOne.push(e));
    await one.connect();
    await two.connect();
    const request = { clientOrderId: 'x', contract: MNQ, side: 'buy', qty: 1, orderType: 'market' } as const;
    await two.placeOrder({ ...request, accountId: 'a2' });
    expect(seenByOne.filter((e) => e.type !== 'connection-changed')).toEqual([]);
    await expect(one.placeOrder({ ...request, accountId: 'a2' })).rejects.toBeInstanceOf(BrokerRejectedError);
    const ack = await one.placeOrder({ ...request, accountId: 'a1' });
    expect(seenByOne.map((e) => e.type)).toContain('order-filled');
    expect(await one.getPositions('a1')).toEqual([
      { accountId: 'a1', contract: MNQ, netQty: 1, avgPriceTicks: 101 },
    ]);
    expect((await one.findOrderByClientId('a1', 'x'))?.orderId).toBe(ack.orderId);
  });

  it('misses events while disconnected', async () => {
    const { exchange } = shared();
    const broker = new PaperBroker(exchange, ['a1']);
    const events: BrokerEvent[] = [];
    broker.onEvent((e) => events.push(e));
    await broker.connect();
    await broker.placeOrder({
      accountId: 'a1',
      clientOrderId: 'r',
      contract: MNQ,
      side: 'sell',
      qty: 1,
      orderType: 'limit',
      limitTicks: 110,
    });
    await broker.disconnect();
    exchange.updateQuote(MNQ, { bidTicks: 110, askTicks: 111 });
    expect(events.filter((e) => e.type === 'order-filled')).toEqual([]);
    await broker.connect();
    expect(await broker.getOpenOrders('a1')).toEqual([]);
  });
});

describe('paperPlugin', () => {
  it('validates its config and creates a working connection', async () => {
    expect(paperPlugin.specificationVersion).toBe('v1');
    expect(paperPlugin.name).toBe('paper');
    expect(paperPlugin.configSchema.safeParse({ rejectRate: 2 }).success).toBe(false);
    expect(paperPlugin.configSchema.safeParse({ latencyMs: 'fast' }).success).toBe(false);
    const config = paperPlugin.configSchema.parse({ latencyMs: 5, seed: 3, accounts: ['p1'] });
    const clock = new VirtualClock(0);
    const connection = paperPlugin.create(config, {
      clock,
      logger: silentLogger,
      instruments: defaultInstruments,
    });
    await connection.connect();
    expect((await connection.listAccounts()).map((a) => a.accountId)).toEqual(['p1']);
    expect(connection.broker).toBe('paper');
  });
});

describe('createRng', () => {
  it('repeats for a seed, differs across seeds, and stays in [0, 1)', () => {
    const a = createRng(1);
    const b = createRng(1);
    const c = createRng(2);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });
});
