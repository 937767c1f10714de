import { describe, expect, it } from 'vitest';
import { ENDED_LEADER_ORDERS_KEPT } from '../../src/engine/leader-book.js';
import { MNQ, paperEngine } from './harness.js';

describe('a long session: ended leader orders are forgotten past a bound, recent ones still served', () => {
  it('refuses a cancel of a long-ended order and still protects the latest entry', async () => {
    const { engine, clock, price, exchange, net } = await paperEngine([
      { name: 'one', account: 'A', scaling: { mode: 'fixed', qty: 1 } },
    ]);
    const market = async (i: number, side: 'buy' | 'sell') => {
      price(MNQ, '21000.25');
      const r = engine.submit({
        signalId: `s${i}`,
        action: 'new',
        leaderOrderId: `L${i}`,
        instrument: 'MNQZ5',
        side,
        qty: 1,
        orderType: 'market',
        fillPrice: '21000.25',
        time: clock.now(),
      });
      // With its order id, as a leader broker reports it: the order ends with this fill.
      engine.applyLeaderFill({ contract: MNQ, side, qty: 1, priceTicks: 84001, orderId: `L${i}` });
      await clock.runUntilIdle();
      expect((await r).ok).toBe(true);
    };
    const n = ENDED_LEADER_ORDERS_KEPT + 1_200;
    for (let i = 0; i < n; i++) await market(i, i % 2 === 0 ? 'buy' : 'sell');
    await market(n, 'buy');
    expect(net('one')).toBe(1);

    const submit = async (signal: object) => {
      const r = engine.submit({ ...signal, time: clock.now() });
      await clock.runUntilIdle();
      return r;
    };
    const oldest = await submit({ signalId: 'c0', action: 'cancel', leaderOrderId: 'L0' });
    expect(oldest.ok).toBe(false);
    if (!oldest.ok) expect(oldest.error.message).toContain('unknown leader order L0');
    // A recent ended order is still known.
    expect((await submit({ signalId: 'c1', action: 'cancel', leaderOrderId: `L${n - 1}` })).ok).toBe(true);
    // The latest entry's reference (and its fill) are kept: a stop added to it protects the position.
    const stop = await submit({
      signalId: 'sl',
      action: 'modify',
      leaderOrderId: `L${n}`,
      leg: 'stop-loss',
      stopPrice: '20990.00',
    });
    expect(stop.ok && stop.outcomes.map((o) => o.outcome)).toEqual(['placed']);
    expect(exchange.getOpenOrders('A').map((o) => `${o.orderType}:${o.side}${o.qty}`)).toEqual([
      'stop:sell1',
    ]);
  });
});
