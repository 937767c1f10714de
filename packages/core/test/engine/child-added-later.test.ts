import { describe, expect, it } from 'vitest';
import type { SignalOutcome, SignalResult } from '../../src/index.js';
import { MNQ, paperEngine } from './harness.js';

/** A leader modify of one bracket leg, as the leader source sends when a child appears after the entry. */
function addLeg(leg: 'stop-loss' | 'take-profit', price: string, id: string, leaderOrderId = 'L-s1') {
  return {
    signalId: id,
    action: 'modify' as const,
    leaderOrderId,
    leg,
    ...(leg === 'stop-loss' ? { stopPrice: price } : { limitPrice: price }),
  };
}

/** The per-follower outcomes of a signal that was accepted. */
function outcomes(r: SignalResult): SignalOutcome[] {
  if (!r.ok) throw new Error(`signal refused: ${r.error.message}`);
  return r.outcomes;
}

describe('a protective order the leader adds after its entry', () => {
  it('gives each follower its own, sized to its position, and pairs a later take-profit with it', async () => {
    const { leaderMarket, engine, exchange, clock, price, net } = await paperEngine([
      { name: 'one', account: 'A', scaling: { mode: 'fixed', qty: 1 } },
      { name: 'triple', account: 'B', scaling: { mode: 'multiplier', factor: 3 } },
    ]);
    await leaderMarket('s1', 'buy', 2, '21000.25');
    const open = (account: string) =>
      exchange
        .getOpenOrders(account)
        .map((o) => `${o.orderType}:${o.side}${o.qty}@${o.stopTicks ?? o.limitTicks}`)
        .sort();
    expect(open('A')).toEqual([]);

    const r1 = engine.submit({ ...addLeg('stop-loss', '20990.00', 's2'), time: clock.now() });
    await clock.runUntilIdle();
    expect(outcomes(await r1).map((o) => o.outcome)).toEqual(['placed', 'placed']);
    expect(open('A')).toEqual(['stop:sell1@83960']);
    expect(open('B')).toEqual(['stop:sell6@83960']);

    // Moving it later works like any other leg.
    const r2 = engine.submit({ ...addLeg('stop-loss', '20995.00', 's3'), time: clock.now() });
    await clock.runUntilIdle();
    expect((await r2).ok).toBe(true);
    expect(open('B')).toEqual(['stop:sell6@83980']);

    // A take-profit added next is one-cancels-other with the stop: its fill removes the stop.
    const r3 = engine.submit({ ...addLeg('take-profit', '21010.00', 's4'), time: clock.now() });
    await clock.runUntilIdle();
    expect((await r3).ok).toBe(true);
    expect(open('B')).toEqual(['limit:sell6@84040', 'stop:sell6@83980']);
    price(MNQ, '21010.25');
    await clock.runUntilIdle();
    expect([net('one'), net('triple')]).toEqual([0, 0]);
    expect([...open('A'), ...open('B')]).toEqual([]);
  });

  it('an inverse follower gets the mirror: the leader stop becomes its take-profit', async () => {
    const { leaderMarket, engine, exchange, clock } = await paperEngine([
      { name: 'inv', account: 'A', inverse: true },
    ]);
    await leaderMarket('s1', 'buy', 1, '21000.25');
    await engine.submit({ ...addLeg('stop-loss', '20990.00', 's2'), time: clock.now() });
    await clock.runUntilIdle();
    expect(
      exchange.getOpenOrders('A').map((o) => `${o.orderType}:${o.side}${o.qty}@${o.limitTicks}`),
    ).toEqual(['limit:buy1@83960']);
  });

  it('on a working entry waits for its fill, then protects what filled', async () => {
    const { engine, exchange, clock, price, net } = await paperEngine([{ name: 'a', account: 'A' }]);
    price(MNQ, '21000.25');
    await engine.submit({
      signalId: 's1',
      action: 'new',
      leaderOrderId: 'L-s1',
      instrument: 'MNQZ5',
      side: 'buy',
      qty: 2,
      orderType: 'limit',
      limitPrice: '20995.00',
      time: clock.now(),
    });
    await clock.runUntilIdle();
    const r = await engine.submit({ ...addLeg('stop-loss', '20990.00', 's2'), time: clock.now() });
    await clock.runUntilIdle();
    expect(outcomes(r)[0]).toMatchObject({
      outcome: 'skipped',
      reason: 'stop-loss waits for the entry to fill',
    });
    expect(exchange.getOpenOrders('A').map((o) => o.orderType)).toEqual(['limit']);
    price(MNQ, '20994.75');
    await clock.runUntilIdle();
    expect(net('a')).toBe(2);
    expect(exchange.getOpenOrders('A').map((o) => `${o.orderType}:${o.side}${o.qty}@${o.stopTicks}`)).toEqual(
      ['stop:sell2@83960'],
    );
  });

  it('is skipped with a reason when the follower has closed what the entry opened', async () => {
    const { leaderMarket, engine, exchange, clock, net } = await paperEngine([{ name: 'a', account: 'A' }]);
    await leaderMarket('s1', 'buy', 1, '21000.25');
    // The follower's own position was closed at its broker, outside the copy.
    await exchange.placeOrder({
      accountId: 'A',
      clientOrderId: 'by-hand',
      contract: MNQ,
      side: 'sell',
      qty: 1,
      orderType: 'market',
    });
    await clock.runUntilIdle();
    expect(net('a')).toBe(0);
    const r = await engine.submit({ ...addLeg('stop-loss', '20990.00', 's2'), time: clock.now() });
    await clock.runUntilIdle();
    expect(outcomes(r)[0]).toMatchObject({ outcome: 'skipped', reason: 'no long position to protect' });
    expect(exchange.getOpenOrders('A')).toEqual([]);
  });
});
