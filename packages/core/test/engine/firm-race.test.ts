import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/index.js';
import { BrokerUnavailableError } from '../../src/index.js';
import { connectionOf, MNQ, paperEngine } from './harness.js';

const blocked = (events: EngineEvent[]) =>
  events.filter((e) => e.type === 'order-blocked').map((e) => (e.type === 'order-blocked' ? e.reason : ''));

describe('the firm rule during a reversal', () => {
  it('lets every account of a firm reverse when the close legs are acknowledged before they fill', async () => {
    const { leaderMarket, net, events, exchange, clock } = await paperEngine(
      [
        { name: 'a', account: 'A', firm: 'apex' },
        { name: 'b', account: 'B', firm: 'apex' },
        { name: 'c', account: 'C', firm: 'apex' },
      ],
      { latencyMs: 5 },
    );
    // Fill reports lag the acks, as on a wire: each account is between "close acked" and "close filled".
    exchange.faults.reportDelayMs = 30;
    await leaderMarket('s1', 'buy', 2, '21000.25');
    expect([net('a'), net('b'), net('c')]).toEqual([2, 2, 2]);
    await leaderMarket('s2', 'sell', 4, '21000.00');
    await clock.advanceBy(100);
    expect(blocked(events)).toEqual([]);
    expect([net('a'), net('b'), net('c')]).toEqual([-2, -2, -2]);
  });

  it('still blocks an opposite position when no account of the firm is leaving its own', async () => {
    const { leaderMarket, net, events, exchange } = await paperEngine(
      [
        { name: 'a', account: 'A', firm: 'apex' },
        { name: 'inv', account: 'B', firm: 'apex', inverse: true },
      ],
      { latencyMs: 5 },
    );
    exchange.faults.reportDelayMs = 30;
    await leaderMarket('s1', 'buy', 2, '21000.25');
    // Whichever account fills first, the other would be opposite it: exactly one is blocked.
    expect(blocked(events)).toEqual(['OPPOSITE_POSITION']);
    expect(Math.abs(net('a')) + Math.abs(net('inv'))).toBe(2);
  });

  it('lets an exit through when it follows its entry before the entry fill is back', async () => {
    const { engine, net, events, exchange, clock, price } = await paperEngine(
      [
        { name: 'a', account: 'A', firm: 'apex' },
        { name: 'b', account: 'B', firm: 'apex' },
      ],
      { latencyMs: 5 },
    );
    exchange.faults.reportDelayMs = 30;
    price(MNQ, '21000.25');
    const market = (id: string, side: 'buy' | 'sell') => {
      const r = engine.submit({
        signalId: id,
        action: 'new',
        leaderOrderId: `L-${id}`,
        instrument: 'MNQZ5',
        side,
        qty: 1,
        orderType: 'market',
        fillPrice: '21000.25',
        time: clock.now(),
      });
      engine.applyLeaderFill({ contract: MNQ, side, qty: 1, priceTicks: 84_001 });
      return r;
    };
    // The leader buys and sells again 10 ms later: the copies' buy fills are not back yet.
    const buy = market('s1', 'buy');
    await clock.advanceBy(10);
    const sell = market('s2', 'sell');
    await clock.runUntilIdle();
    await Promise.all([buy, sell]);
    expect(blocked(events)).toEqual([]);
    expect([net('a'), net('b')]).toEqual([0, 0]);
  });
});

describe('the firm rule and resting orders', () => {
  it('does not count a resting limit of one account as exposure against the other side of another', async () => {
    const { engine, events, clock, price, exchange } = await paperEngine(
      [
        { name: 'a', account: 'A', firm: 'apex' },
        { name: 'b', account: 'B', firm: 'apex' },
      ],
      { latencyMs: 5 },
    );
    price(MNQ, '21000.25');
    const limit = (id: string, side: 'buy' | 'sell', limitPrice: string) =>
      engine.submit({
        signalId: id,
        action: 'new',
        leaderOrderId: `L-${id}`,
        instrument: 'MNQZ5',
        side,
        qty: 1,
        orderType: 'limit',
        limitPrice,
        time: clock.now(),
      });
    // The leader rests a buy below the market and a sell above it, as a fade does: neither fills.
    const buy = limit('s1', 'buy', '20950.00');
    await clock.runUntilIdle();
    const sell = limit('s2', 'sell', '21050.00');
    await clock.runUntilIdle();
    await Promise.all([buy, sell]);
    expect(blocked(events)).toEqual([]);
    for (const account of ['A', 'B'])
      expect(
        exchange
          .getOpenOrders(account)
          .map((o) => o.side)
          .sort(),
      ).toEqual(['buy', 'sell']);
  });
});

describe('the firm rule and a leader that fades both sides', () => {
  it('copies every order to every account of the firm through a short and back to flat', async () => {
    const { engine, events, clock, price, leaderMarket, net, exchange } = await paperEngine(
      [
        { name: 'a', account: 'A', firm: 'topstep', scaling: { mode: 'fixed', qty: 1 } },
        { name: 'b', account: 'B', firm: 'topstep', scaling: { mode: 'multiplier', factor: 2 } },
      ],
      { latencyMs: 3 },
    );
    exchange.faults.reportDelayMs = 5;
    price(MNQ, '21000.00');
    const settle = async (p: Promise<unknown>) => {
      await clock.runUntilIdle();
      await p;
    };
    const limit = (id: string, side: 'buy' | 'sell', qty: number, limitPrice: string) =>
      engine.submit({
        signalId: `${id}:new`,
        action: 'new',
        leaderOrderId: id,
        instrument: 'MNQZ5',
        side,
        qty,
        orderType: 'limit',
        limitPrice,
        time: clock.now(),
      });
    // The shape chaos found on ProjectX: buys resting below, a sell above, then the leader goes
    // short at market (the resting buys now close the short first) and back to flat.
    await settle(limit('L1', 'buy', 2, '20950.00'));
    await settle(limit('L2', 'buy', 1, '20914.25'));
    await settle(limit('L3', 'sell', 1, '21091.50'));
    await leaderMarket('L4', 'sell', 1, '21000.00');
    await clock.advanceBy(100);
    expect(blocked(events)).toEqual([]);
    expect([net('a'), net('b')]).toEqual([-1, -2]);
    await leaderMarket('L5', 'buy', 1, '21000.00');
    await clock.advanceBy(100);
    expect(blocked(events)).toEqual([]);
    expect([net('a'), net('b')]).toEqual([0, 0]);
    // Every account still rests a copy of each leader order that works.
    for (const account of ['A', 'B'])
      expect(new Set(exchange.getOpenOrders(account).map((o) => o.limitTicks))).toEqual(
        new Set([83_800, 83_657, 84_366]),
      );
  });
});

describe('the firm rule while another account of the firm lags', () => {
  it('aligns an account whose copy the rule blocked once the lagging account has caught up (chaos seed 754773374)', async () => {
    const { engine, leaderMarket, net, events, clock } = await paperEngine(
      [
        { name: 'a', account: 'A', firm: 'topstep', scaling: { mode: 'fixed', qty: 1 } },
        { name: 'b', account: 'B', firm: 'topstep', scaling: { mode: 'fixed', qty: 1 } },
      ],
      { latencyMs: 3 },
    );
    await leaderMarket('s1', 'buy', 1, '21000.00');
    expect([net('a'), net('b')]).toEqual([1, 1]);
    // B's broker refuses for a while: its exit and its new short fail, and it stays long.
    const connection = connectionOf(engine);
    const place = connection.placeOrder.bind(connection);
    let away = true;
    connection.placeOrder = (r) =>
      away && r.accountId === 'B'
        ? Promise.reject(new BrokerUnavailableError('paper', 'circuit open after repeated failures'))
        : place(r);
    await leaderMarket('s2', 'sell', 2, '21000.00');
    // A's short is blocked while B still holds the long it could not close.
    expect(events.some((e) => e.type === 'order-blocked' && e.reason === 'OPPOSITE_POSITION')).toBe(true);
    expect([net('a'), net('b')]).toEqual([0, 1]);
    away = false;
    // The next recoveries (every 5 s, at the engine's tick): B closes and goes short, then A
    // opens its short.
    for (let i = 0; i < 3; i++) {
      await clock.advanceBy(5_500);
      engine.tick();
      await clock.runUntilIdle();
    }
    expect([net('a'), net('b')]).toEqual([-1, -1]);
  });
});
