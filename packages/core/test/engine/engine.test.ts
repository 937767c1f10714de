import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/index.js';
import { MNQ, NQ, paperEngine } from './harness.js';

const of = <T extends EngineEvent['type']>(events: EngineEvent[], type: T) =>
  events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);

describe('copying to followers', () => {
  it('scales an entry for each follower and fills it', async () => {
    const { leaderMarket, net } = await paperEngine([
      { name: 'one', account: 'A', scaling: { mode: 'fixed', qty: 1 } },
      { name: 'double', account: 'B', scaling: { mode: 'multiplier', factor: 2 } },
    ]);
    const result = await leaderMarket('s1', 'buy', 3, '21000.25');
    expect(result.ok).toBe(true);
    expect(net('one')).toBe(1);
    expect(net('double')).toBe(6);
  });

  it('follows the position on exits: the leader flat means every follower flat', async () => {
    const { leaderMarket, net } = await paperEngine([
      { name: 'fixed3', account: 'A', scaling: { mode: 'fixed', qty: 3 } },
      {
        name: 'half',
        account: 'B',
        scaling: { mode: 'multiplier', factor: 0.5 },
        rounding: 'floor',
        whenZero: 'min1',
      },
    ]);
    await leaderMarket('s1', 'buy', 4, '21000.25');
    expect([net('fixed3'), net('half')]).toEqual([3, 2]);
    await leaderMarket('s2', 'sell', 2, '21001.00');
    // Halving the leader halves each follower's own position.
    expect([net('fixed3'), net('half')]).toEqual([2, 1]);
    await leaderMarket('s3', 'sell', 2, '21002.00');
    expect([net('fixed3'), net('half')]).toEqual([0, 0]);
  });

  it('copies a reversal as close then open, so nobody is left flat or the wrong way', async () => {
    const { leaderMarket, net, events } = await paperEngine([
      { name: 'split', account: 'A' },
      { name: 'net', account: 'B', reversal: 'net' },
    ]);
    await leaderMarket('s1', 'buy', 2, '21000.25');
    await leaderMarket('s2', 'sell', 3, '21000.00');
    expect([net('split'), net('net')]).toEqual([-1, -1]);
    const legs = of(events, 'intent-created')
      .filter((e) => e.intent.signalId === 's2')
      .map((e) => `${e.intent.follower}:${e.intent.leg}:${e.intent.side}${e.intent.qty}`);
    expect(legs).toEqual(
      expect.arrayContaining(['split:close:sell2', 'split:open:sell1', 'net:entry:sell3']),
    );
  });

  it('copies inverse and maps NQ to MNQ with its ratio', async () => {
    const { leaderMarket, net, price } = await paperEngine([
      { name: 'inv', account: 'A', inverse: true },
      { name: 'micro', account: 'B', symbolMap: { NQ: { to: 'MNQ', ratio: 10 } } },
    ]);
    price(MNQ, '21000.25');
    await leaderMarket('s1', 'buy', 2, '21000.25', {}, NQ);
    expect(net('inv', NQ)).toBe(-2);
    expect(net('micro', MNQ)).toBe(20);
  });

  it('attaches the bracket and moves it on a modify', async () => {
    const { leaderMarket, engine, exchange, clock, price } = await paperEngine([{ name: 'a', account: 'A' }]);
    await leaderMarket('s1', 'buy', 1, '21000.25', {
      bracket: { stopLoss: { ticks: 40 }, takeProfit: { price: '21020.25' } },
    });
    const children = () =>
      exchange
        .getOpenOrders('A')
        .map((o) => `${o.orderType}:${o.side}:${o.stopTicks ?? o.limitTicks}`)
        .sort();
    expect(children()).toEqual(['limit:sell:84081', 'stop:sell:83961']);
    price(MNQ, '21010.00'); // above breakeven, so moving the stop there does not trigger it
    const r = engine.submit({
      signalId: 's2',
      action: 'modify',
      leaderOrderId: 'L-s1',
      leg: 'stop-loss',
      stopPrice: '21000.25',
      time: clock.now(),
    });
    await clock.runUntilIdle();
    expect((await r).ok).toBe(true);
    expect(children()).toEqual(['limit:sell:84081', 'stop:sell:84001']);
  });

  it('blocks an entry over a risk limit with a reason, but never an exit', async () => {
    const { leaderMarket, net, events } = await paperEngine([
      { name: 'capped', account: 'A', scaling: { mode: 'multiplier', factor: 3 }, risk: { maxOrderQty: 4 } },
    ]);
    await leaderMarket('s1', 'buy', 1, '21000.25');
    await leaderMarket('s2', 'buy', 2, '21000.25');
    const blocked = of(events, 'order-blocked');
    expect(blocked.map((b) => b.reason)).toEqual(['MAX_ORDER_QTY']);
    expect(net('capped')).toBe(3);
    await leaderMarket('s3', 'sell', 3, '21001.00');
    expect(net('capped')).toBe(0);
  });

  it('refuses a duplicate signal id and a bad field, as events', async () => {
    const { leaderMarket, engine, events } = await paperEngine([{ name: 'a', account: 'A' }]);
    await leaderMarket('s1', 'buy', 1, '21000.25');
    const dup = await leaderMarket('s1', 'buy', 1, '21000.25');
    expect(dup).toMatchObject({ ok: false, error: { field: 'signalId' } });
    const bad = await engine.submit({
      signalId: 's9',
      action: 'new',
      leaderOrderId: 'x',
      instrument: 'MNQZ5',
      side: 'up',
      qty: 1,
      orderType: 'market',
    });
    expect(bad).toMatchObject({ ok: false, error: { field: 'side' } });
    expect(of(events, 'signal-rejected').map((e) => e.field)).toEqual(['signalId', 'side']);
  });

  it('reports a late broker as timed out (outcome unknown), never as a reject', async () => {
    const { leaderMarket, events } = await paperEngine([{ name: 'a', account: 'A' }], {
      latencyMs: 4000,
      deadlineMs: 2500,
    });
    const result = await leaderMarket('s1', 'buy', 1, '21000.25');
    expect(result.ok && result.outcomes.map((o) => o.outcome)).toEqual(['timed-out']);
    expect(of(events, 'order-rejected')).toHaveLength(0);
    // The late acknowledgement is still recorded when it comes.
    expect(of(events, 'order-placed')).toHaveLength(1);
    expect(of(events, 'order-filled')).toHaveLength(1);
  });

  it("keeps one account's orders in order while followers run in parallel", async () => {
    const { engine, clock, price, events } = await paperEngine(
      [
        { name: 'a', account: 'A' },
        { name: 'b', account: 'B' },
      ],
      { latencyMs: 50 },
    );
    price(MNQ, '21000.25');
    const results = ['s1', 's2', 's3'].map((id) =>
      engine.submit({
        signalId: id,
        action: 'new',
        leaderOrderId: id,
        instrument: 'MNQZ5',
        side: 'buy',
        qty: 1,
        orderType: 'market',
        time: clock.now(),
      }),
    );
    await clock.runUntilIdle();
    await Promise.all(results);
    const placedA = of(events, 'order-placed').filter((e) => e.intent.follower === 'a');
    expect(placedA.map((e) => e.intent.signalId)).toEqual(['s1', 's2', 's3']);
    // Both followers' first orders land at the same virtual instant: neither waited for the other.
    const first = of(events, 'order-placed').filter((e) => e.intent.signalId === 's1');
    expect(new Set(first.map((e) => e.time)).size).toBe(1);
  });

  it('auto-flattens and locks out an account that hits its daily loss limit', async () => {
    const { leaderMarket, price, net, events, engine } = await paperEngine([
      { name: 'ts', account: 'A', scaling: { mode: 'fixed', qty: 5 }, risk: { dailyLossLimit: 1000 } },
    ]);
    await leaderMarket('s1', 'buy', 1, '21000.25');
    expect(net('ts')).toBe(5);
    price(MNQ, '20890.00'); // 110 points × 5 × 2 USD = 1102.50 loss
    await engine.idle();
    expect(net('ts')).toBe(0);
    expect(of(events, 'account-status').map((e) => e.status)).toContain('locked-out');
    await leaderMarket('s2', 'buy', 1, '20890.25');
    expect(of(events, 'order-blocked').map((e) => e.reason)).toContain('LOCKED_OUT');
  });
});
