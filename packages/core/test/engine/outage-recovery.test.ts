import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import {
  BrokerRateLimitedError,
  BrokerUnavailableError,
  type Engine,
  type TradeSignal,
  type VirtualClock,
} from '../../src/index.js';
import { connectionOf, disconnectPaper, MNQ, paperEngine, reconnectPaper } from './harness.js';

/** The leader's signals of a chaos run, and from which one on the follower's broker was away. */
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/chaos-px-outage-round-trip.json', import.meta.url), 'utf8'),
) as { failFrom: number; signals: TradeSignal[] };

it('brings a follower to where its rules put it after its orders failed through a leader round trip (chaos, seed 500)', async () => {
  const { engine, clock, net, price } = await paperEngine(
    [{ name: 'a', account: 'A', scaling: { mode: 'fixed', qty: 1 } }],
    { latencyMs: 3 },
  );
  const connection = connectionOf(engine);
  const place = connection.placeOrder.bind(connection);
  const cancel = connection.cancelOrder.bind(connection);
  let away = false;
  const refuse = () =>
    Promise.reject(new BrokerUnavailableError('paper', 'circuit open after repeated failures'));
  connection.placeOrder = (r) => (away ? refuse() : place(r));
  connection.cancelOrder = (r) => (away ? refuse() : cancel(r));
  price(MNQ, '21000.00');
  let leader = 0;
  for (const [i, signal] of fixture.signals.entries()) {
    away = i >= fixture.failFrom;
    const done = engine.submit(signal);
    if (signal.action === 'new' && signal.orderType === 'market') {
      engine.applyLeaderFill({
        contract: MNQ,
        side: signal.side,
        qty: signal.qty,
        priceTicks: 84_000,
        orderId: signal.leaderOrderId,
      });
      leader += signal.side === 'buy' ? signal.qty : -signal.qty;
    }
    await clock.runUntilIdle();
    await done;
    await clock.advanceBy(50);
  }
  // The leader sold, bought back and bought again while every order of the follower failed.
  expect(leader).toBe(1);
  expect(net('a')).toBe(0);
  away = false;
  await disconnectPaper(engine);
  await reconnectPaper(engine);
  await clock.advanceBy(6_000);
  await clock.runUntilIdle();
  // Fixed 1 of a long leader: long 1, placed by the recovery's alignment.
  expect(net('a')).toBe(1);
});

it('aligns a follower whose order failed after a reconnect recovery had started with the alert policy (chaos, demo seed 1953900319)', async () => {
  const { engine, clock, net, leaderMarket } = await paperEngine(
    [{ name: 'a', account: 'A', scaling: { mode: 'fixed', qty: 1 } }],
    { latencyMs: 3 },
  );
  await leaderMarket('s1', 'buy', 1, '21000.00');
  expect(net('a')).toBe(1);
  const limit = rateLimit(engine, 5_000, { positions: true });
  // The socket drops and comes back: the reconnect's recovery (nothing failed yet, so it only
  // alerts) cannot read positions and waits for the next interval.
  await disconnectPaper(engine);
  await reconnectPaper(engine);
  await clock.runUntilIdle();
  // Then the leader exits, and the follower's exit is refused by the rate limit.
  await leaderMarket('s2', 'sell', 1, '21000.00');
  expect(net('a')).toBe(1);
  limit.lift();
  await recoveryIntervals(engine, clock, 2);
  expect(net('a')).toBe(0);
});

it('keeps aligning a start-up alignment a rate limit refused, through later refused orders (chaos seed 31367982)', async () => {
  const { engine, clock, net, exchange, price } = await paperEngine([{ name: 'a', account: 'A' }], {
    latencyMs: 3,
  });
  price(MNQ, '21000.00');
  // The follower is short 1 from before a restart; the leader has since bought back and is flat.
  const before = exchange.placeOrder({
    ...{ accountId: 'A', clientOrderId: 'before-restart', contract: MNQ },
    ...{ side: 'sell', qty: 1, orderType: 'market' },
  });
  await clock.runUntilIdle();
  await before;
  const limit = rateLimit(engine, 1_000);
  // Start-up recovery aligns (`reconcile.onStart: align`): the buy back is refused for now.
  const aligned = engine.reconcile(undefined, 'align');
  await clock.runUntilIdle();
  await aligned;
  // The leader's resting orders arrive; their copies are refused by the same rate limit.
  const resting = engine.submit({
    ...{ signalId: 's-r', action: 'new', leaderOrderId: 'L-r', instrument: 'MNQZ5' },
    ...{ side: 'buy', qty: 1, orderType: 'limit', limitPrice: '20900.00', time: clock.now() },
  });
  await clock.runUntilIdle();
  await resting;
  expect(net('a')).toBe(-1);
  limit.lift();
  await recoveryIntervals(engine, clock, 2);
  // The recovery aligned, as start-up asked, not merely alerted (the configured policy).
  expect(net('a')).toBe(0);
});

it('aligns the same move again when it is needed again (chaos seed 95407865)', async () => {
  const { engine, clock, net, exchange, leaderMarket } = await paperEngine([{ name: 'a', account: 'A' }], {
    latencyMs: 3,
  });
  await leaderMarket('s1', 'sell', 1, '21000.00');
  expect(net('a')).toBe(-1);
  const knock = async () => {
    // Something outside the copier buys the follower flat.
    const done = exchange.placeOrder({
      ...{ accountId: 'A', clientOrderId: `outside-${clock.now()}`, contract: MNQ },
      ...{ side: 'buy', qty: 1, orderType: 'market' },
    });
    await clock.runUntilIdle();
    await done;
    expect(net('a')).toBe(0);
  };
  const align = async () => {
    const done = engine.reconcile('a', 'align');
    await clock.runUntilIdle();
    await done;
  };
  await knock();
  await align();
  expect(net('a')).toBe(-1);
  // The same move (0 -> -1) once more: a new order, not the first one's ended id again.
  await clock.advanceBy(1_000);
  await knock();
  await align();
  expect(net('a')).toBe(-1);
});

/**
 * The paper broker refuses placements (and position reads, when asked) with a rate limit of
 * `retryAfterMs` until `lift()`.
 */
function rateLimit(engine: Engine, retryAfterMs: number, also: { positions?: boolean } = {}) {
  const connection = connectionOf(engine);
  const place = connection.placeOrder.bind(connection);
  const positions = connection.getPositions.bind(connection);
  let limited = true;
  const refuse = () =>
    Promise.reject(new BrokerRateLimitedError('paper', retryAfterMs, 'order placement: rate limit'));
  connection.placeOrder = (r) => (limited ? refuse() : place(r));
  if (also.positions) connection.getPositions = (id) => (limited ? refuse() : positions(id));
  return {
    lift() {
      limited = false;
    },
  };
}

/** Lets `n` of the engine's recovery intervals pass (each past the longest retry-after above). */
async function recoveryIntervals(engine: Engine, clock: VirtualClock, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await clock.advanceBy(5_500);
    engine.tick();
    await clock.runUntilIdle();
  }
}
