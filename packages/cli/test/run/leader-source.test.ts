import {
  type BrokerFill,
  PaperBroker,
  type SignalResult,
  SimulatedExchange,
  systemClock,
} from '@tradenova/core';
import { describe, expect, it } from 'vitest';
import { BrokerLeaderSource } from '../../src/run/leader-source.js';

const mnq = { root: 'MNQ', month: 'Z' as const, year: 2030 };

async function setup() {
  const exchange = new SimulatedExchange({ clock: systemClock });
  const leader = new PaperBroker(exchange, ['L1']);
  await leader.connect();
  exchange.updateQuote(mnq, { bidTicks: 84_000, askTicks: 84_001 });
  const log: string[] = [];
  const signals: Record<string, unknown>[] = [];
  const fills: BrokerFill[] = [];
  const source = new BrokerLeaderSource({
    connection: leader,
    accountId: 'L1',
    onLeaderFill: (f) => {
      log.push('fill');
      fills.push(f);
    },
  });
  await source.start(async (s) => {
    log.push(`signal ${(s as { action: string }).action}`);
    signals.push(s as Record<string, unknown>);
    return { ok: true, signalId: 'x', outcomes: [] } satisfies SignalResult;
  });
  const settle = () => new Promise((r) => setImmediate(r));
  return { leader, source, log, signals, fills, settle };
}

describe('BrokerLeaderSource', () => {
  it('a filled market entry with a bracket becomes one new signal, and its fill is applied after it', async () => {
    const { leader, log, signals, fills, settle } = await setup();
    await leader.placeOrder({
      accountId: 'L1',
      clientOrderId: 'c1',
      contract: mnq,
      side: 'buy',
      qty: 2,
      orderType: 'market',
      bracket: { stopLossTicks: 83_960, takeProfitTicks: 84_080 },
    });
    await settle();
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({
      action: 'new',
      instrument: 'MNQZ30',
      side: 'buy',
      qty: 2,
      orderType: 'market',
      fillPrice: '21000.25',
      bracket: { stopLoss: { price: '20990' }, takeProfit: { price: '21020' } },
      leaderAccount: 'L1',
    });
    expect(fills.map((f) => f.qty)).toEqual([2]);
    // The engine must read the leader position before the fill moves it.
    expect(log).toEqual(['signal new', 'fill']);
  });

  it('a moved stop becomes modify of the stop-loss leg; a cancelled child becomes cancel of that leg', async () => {
    const { leader, signals, settle } = await setup();
    const ack = await leader.placeOrder({
      accountId: 'L1',
      clientOrderId: 'c2',
      contract: mnq,
      side: 'buy',
      qty: 1,
      orderType: 'market',
      bracket: { stopLossTicks: 83_960, takeProfitTicks: 84_080 },
    });
    await settle();
    await leader.modifyOrder({ accountId: 'L1', orderId: ack.childOrderIds!.stopLoss!, stopTicks: 83_990 });
    await leader.cancelOrder({ accountId: 'L1', orderId: ack.childOrderIds!.takeProfit! });
    await settle();
    expect(signals.slice(1)).toMatchObject([
      { action: 'modify', leaderOrderId: ack.orderId, leg: 'stop-loss', stopPrice: '20997.5' },
      { action: 'cancel', leaderOrderId: ack.orderId, leg: 'take-profit' },
    ]);
    // Distinct ids: the engine's duplicate guard must not swallow any of them.
    expect(new Set(signals.map((s) => s.signalId)).size).toBe(signals.length);
  });

  it('a resting limit that is cancelled becomes new then cancel', async () => {
    const { leader, signals, settle } = await setup();
    const ack = await leader.placeOrder({
      accountId: 'L1',
      clientOrderId: 'c3',
      contract: mnq,
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitTicks: 83_900,
    });
    await settle();
    await leader.cancelOrder({ accountId: 'L1', orderId: ack.orderId });
    await settle();
    expect(signals).toMatchObject([
      { action: 'new', orderType: 'limit', limitPrice: '20975' },
      { action: 'cancel', leaderOrderId: ack.orderId },
    ]);
  });
});
