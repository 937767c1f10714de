import { describe, expect, it } from 'vitest';
import { BrokerRateLimitedError, type EngineEvent } from '../../src/index.js';
import { connectionOf, disconnectPaper, MNQ, paperEngine, reconnectPaper } from './harness.js';

const of = <T extends EngineEvent['type']>(events: EngineEvent[], type: T) =>
  events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);

describe('reconciliation', () => {
  it('settles a timed-out order as placed when the broker has it, never as a reject', async () => {
    const { leaderMarket, engine, clock, events } = await paperEngine([{ name: 'a', account: 'A' }], {
      latencyMs: 4000,
      deadlineMs: 1000,
    });
    await leaderMarket('s1', 'buy', 1, '21000.25');
    expect(of(events, 'order-timed-out')).toHaveLength(1);
    const run = engine.reconcile('a');
    await clock.runUntilIdle();
    await run;
    expect(of(events, 'order-reconciled').map((e) => e.outcome)).toEqual(['placed']);
    expect(of(events, 'order-rejected')).toHaveLength(0);
  });

  it('settles an order that never reached the broker as not placed', async () => {
    const { engine, clock, events, price } = await paperEngine([{ name: 'a', account: 'A' }]);
    price(MNQ, '21000.25');
    // Drop the broker connection: the send fails with a disconnect, an unknown outcome.
    await disconnectPaper(engine);
    const r = engine.submit({
      signalId: 's1',
      action: 'new',
      leaderOrderId: 'L1',
      instrument: 'MNQZ5',
      side: 'buy',
      qty: 1,
      orderType: 'market',
      time: clock.now(),
    });
    await clock.runUntilIdle();
    const result = await r;
    expect(result.ok && result.outcomes[0]?.outcome).toBe('timed-out');
    await reconnectPaper(engine);
    const run = engine.reconcile('a');
    await clock.runUntilIdle();
    await run;
    expect(of(events, 'order-reconciled').map((e) => e.outcome)).toEqual(['not-placed']);
  });

  it('brings a follower in line with the scaled leader, once', async () => {
    const { leaderMarket, engine, clock, exchange, net, events } = await paperEngine([
      { name: 'a', account: 'A', scaling: { mode: 'multiplier', factor: 2 } },
    ]);
    await leaderMarket('s1', 'buy', 1, '21000.25');
    expect(net('a')).toBe(2);
    // Someone trades the follower account by hand.
    await exchange.placeOrder({
      accountId: 'A',
      clientOrderId: 'manual-1',
      contract: MNQ,
      side: 'sell',
      qty: 3,
      orderType: 'market',
    });
    await clock.runUntilIdle();
    expect(net('a')).toBe(-1);
    const first = engine.reconcile('a', 'align');
    await clock.runUntilIdle();
    const lines = (await first).get('a')!;
    expect(lines.map((l) => ({ broker: l.broker, target: l.target, order: l.order }))).toEqual([
      { broker: -1, target: 2, order: 3 },
    ]);
    expect(net('a')).toBe(2);
    const second = engine.reconcile('a', 'align');
    await clock.runUntilIdle();
    expect((await second).get('a')).toEqual([]);
    expect(of(events, 'position-reconciled')).toHaveLength(1);
  });

  it('a follower whose broker refuses does not stop the others, and is aligned at a later recovery', async () => {
    const { leaderMarket, engine, clock, exchange, net } = await paperEngine([
      { name: 'a', account: 'A' },
      { name: 'b', account: 'B' },
    ]);
    await leaderMarket('s1', 'buy', 1, '21000.25');
    for (const account of ['A', 'B'])
      await exchange.placeOrder({
        accountId: account,
        clientOrderId: `manual-${account}`,
        contract: MNQ,
        side: 'sell',
        qty: 2,
        orderType: 'market',
      });
    await clock.runUntilIdle();
    expect([net('a'), net('b')]).toEqual([-1, -1]);
    // B's broker rate-limits position reads for a while.
    const connection = connectionOf(engine);
    const getPositions = connection.getPositions.bind(connection);
    let refuse = true;
    connection.getPositions = (account) =>
      refuse && account === 'B'
        ? Promise.reject(new BrokerRateLimitedError('paper', 2000))
        : getPositions(account);
    const run = engine.reconcile(undefined, 'align');
    await clock.runUntilIdle();
    const result = await run;
    expect(result.get('a')?.map((l) => l.order)).toEqual([2]);
    expect([...result.failed.keys()]).toEqual(['b']);
    expect(result.failed.get('b')).toMatch(/rate limited/);
    expect([net('a'), net('b')]).toEqual([1, -1]);
    // Still refused at the next interval: nothing happens, and it is tried again after that.
    await clock.advanceBy(5000);
    engine.tick();
    await clock.runUntilIdle();
    expect(net('b')).toBe(-1);
    refuse = false;
    await clock.advanceBy(5000);
    engine.tick();
    await clock.runUntilIdle();
    expect(net('b')).toBe(1);
  });

  it('only reports with the alert policy', async () => {
    const { leaderMarket, engine, clock, exchange, net, events } = await paperEngine([
      { name: 'a', account: 'A' },
    ]);
    await leaderMarket('s1', 'buy', 1, '21000.25');
    await exchange.placeOrder({
      accountId: 'A',
      clientOrderId: 'manual-1',
      contract: MNQ,
      side: 'buy',
      qty: 2,
      orderType: 'market',
    });
    await clock.runUntilIdle();
    const run = engine.reconcile('a', 'alert');
    await clock.runUntilIdle();
    await run;
    expect(net('a')).toBe(3);
    expect(of(events, 'position-reconciled').map((e) => [e.broker, e.target, e.ordered])).toEqual([
      [3, 1, 0],
    ]);
  });
});

describe('modifications', () => {
  it('folds a burst of moves of one stop into the latest', async () => {
    const { leaderMarket, engine, clock, exchange, price } = await paperEngine(
      [{ name: 'a', account: 'A' }],
      { latencyMs: 20 },
    );
    await leaderMarket('s1', 'buy', 1, '21000.25', { bracket: { stopLoss: { ticks: 40 } } });
    price(MNQ, '21010.00');
    const runs = ['21001.00', '21002.00', '21003.00'].map((p, i) =>
      engine.submit({
        signalId: `m${i}`,
        action: 'modify',
        leaderOrderId: 'L-s1',
        leg: 'stop-loss',
        stopPrice: p,
        time: clock.now(),
      }),
    );
    await clock.runUntilIdle();
    const results = await Promise.all(runs);
    const outcomes = results.map((r) => (r.ok ? r.outcomes[0]?.outcome : 'error'));
    expect(outcomes).toEqual(['placed', 'skipped', 'skipped']);
    expect(exchange.getOpenOrders('A').map((o) => o.stopTicks)).toEqual([84012]);
  });
});

describe('a leader cancel while the copy has no answer yet', () => {
  it('cancels the copy once recovery finds it working at the broker', async () => {
    const { engine, clock, exchange, price } = await paperEngine([{ name: 'a', account: 'A' }], {
      latencyMs: 4000,
      deadlineMs: 1000,
    });
    price(MNQ, '21000.25');
    const placed = engine.submit({
      signalId: 'n1',
      action: 'new',
      leaderOrderId: 'L1',
      instrument: 'MNQZ5',
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitPrice: '20990',
      time: clock.now(),
    });
    await clock.advanceBy(1500);
    const first = await placed;
    expect(first.ok && first.outcomes[0]?.outcome).toBe('timed-out');
    // The leader cancels before the broker has answered for the copy.
    const cancelled = engine.submit({
      signalId: 'c1',
      action: 'cancel',
      leaderOrderId: 'L1',
      time: clock.now(),
    });
    await clock.advanceBy(100);
    const second = await cancelled;
    expect(second.ok && second.outcomes.map((o) => [o.outcome, o.reason])).toEqual([
      ['skipped', expect.stringMatching(/no broker id yet/)],
    ]);
    // The placement lands at the broker after all.
    await clock.advanceBy(3000);
    expect(exchange.getOpenOrders('A')).toHaveLength(1);
    // The next recovery finds it working by its client order id and cancels it.
    await clock.advanceBy(6000);
    engine.tick();
    await clock.runUntilIdle();
    expect(exchange.getOpenOrders('A')).toEqual([]);
  });
});

describe('reconciliation across zero', () => {
  it('reverses every account of a firm to the leader, each closing before it opens (chaos, seed 3753187035)', async () => {
    const { engine, clock, exchange, net, events, price } = await paperEngine(
      [
        { name: 'a', account: 'A', firm: 'topstep', scaling: { mode: 'multiplier', factor: 2 } },
        { name: 'b', account: 'B', firm: 'topstep' },
      ],
      { latencyMs: 3 },
    );
    price(MNQ, '21000.00');
    // After a restart: both followers still long from before, the leader now short 1.
    const held = (
      [
        ['A', 2],
        ['B', 1],
      ] as const
    ).map(([account, qty]) =>
      exchange.placeOrder({
        accountId: account,
        clientOrderId: `before-${account}`,
        contract: MNQ,
        side: 'buy',
        qty,
        orderType: 'market',
      }),
    );
    await clock.runUntilIdle();
    await Promise.all(held);
    expect([net('a'), net('b')]).toEqual([2, 1]);
    engine.seedLeaderPosition(MNQ, -1);
    const run = engine.reconcile(undefined, 'align');
    await clock.runUntilIdle();
    await run;
    await clock.advanceBy(100);
    expect(of(events, 'order-blocked')).toEqual([]);
    expect([net('a'), net('b')]).toEqual([-2, -1]);
  });
});
