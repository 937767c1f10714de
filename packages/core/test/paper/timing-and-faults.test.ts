import { describe, expect, it } from 'vitest';
import type { BrokerEvent } from '../../src/adapter/contract.js';
import { BrokerRateLimitedError, BrokerRejectedError, ErrorCode } from '../../src/errors.js';
import { ACCOUNT, fillsOf, MNQ, setup, ZN } from './helpers.js';

describe('SimulatedExchange latency', () => {
  it('takes effect and acks exactly latencyMs later on the virtual clock', async () => {
    const { clock, exchange, events, order } = setup({ latencyMs: 40 });
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    let ack: { time: number } | undefined;
    void exchange.placeOrder(order({ side: 'buy', orderType: 'market' })).then((a) => {
      ack = a;
    });
    await clock.advanceTo(1_039);
    expect(ack).toBeUndefined();
    expect(events).toEqual([]);
    await clock.advanceTo(1_040);
    expect(ack?.time).toBe(1_040);
    expect(fillsOf(events)).toEqual(['buy 1@101']);
  });

  it('adds fault latency and keeps requests in the order they were made', async () => {
    const { clock, exchange, order } = setup({ latencyMs: 10 });
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    exchange.faults.extraLatencyMs = 90;
    const slow = exchange.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 90 }));
    exchange.faults.extraLatencyMs = 0;
    const fast = exchange.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 91 }));
    await clock.runUntilIdle();
    const [a, b] = await Promise.all([slow, fast]);
    expect(a.time).toBe(1_100);
    // Queued behind the slow one rather than overtaking it.
    expect(b.time).toBe(1_100);
    expect(Number(a.orderId.replace('paper-', ''))).toBeLessThan(Number(b.orderId.replace('paper-', '')));
  });

  it('with zero latency takes effect inside the call, without a timer', () => {
    const { clock, exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    void exchange.placeOrder(order({ side: 'buy', orderType: 'market' }));
    expect(fillsOf(events)).toEqual(['buy 1@101']);
    expect(clock.pending).toBe(0);
  });
});

describe('SimulatedExchange determinism', () => {
  async function run(seed: number): Promise<BrokerEvent[]> {
    const { clock, exchange, events, order } = setup({
      seed,
      jitterMs: 25,
      latencyMs: 5,
      partialFills: true,
    });
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const placed = [
      exchange.placeOrder(
        order({
          side: 'buy',
          orderType: 'market',
          qty: 7,
          bracket: { stopLossTicks: 90, takeProfitTicks: 108 },
        }),
      ),
      exchange.placeOrder(order({ side: 'sell', orderType: 'limit', limitTicks: 104, qty: 9 })),
      exchange.placeOrder(order({ side: 'buy', orderType: 'stop', stopTicks: 103, qty: 4 })),
    ];
    await clock.runUntilIdle();
    await Promise.all(placed);
    for (let p = 101; p <= 110; p++) {
      exchange.updateQuote(MNQ, { bidTicks: p, askTicks: p + 1 });
      await clock.advanceBy(100);
    }
    return events;
  }

  it('gives identical event logs for the same seed', async () => {
    const first = await run(42);
    const second = await run(42);
    expect(first.length).toBeGreaterThan(10);
    expect(second).toEqual(first);
  });

  it('gives a different log for another seed (the seed is really used)', async () => {
    expect(await run(43)).not.toEqual(await run(42));
  });
});

describe('SimulatedExchange realized P&L', () => {
  it('is exact for MNQ at 500 mils a tick, FIFO', async () => {
    const { exchange, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
    await exchange.placeOrder(order({ side: 'buy', orderType: 'market', qty: 2 })); // 2 @ 80001
    exchange.updateQuote(MNQ, { bidTicks: 80_010, askTicks: 80_011 });
    await exchange.placeOrder(order({ side: 'buy', orderType: 'market', qty: 1 })); // 1 @ 80011
    expect(exchange.getPositions(ACCOUNT)[0]).toMatchObject({
      netQty: 3,
      avgPriceTicks: (2 * 80_001 + 80_011) / 3,
    });
    exchange.updateQuote(MNQ, { bidTicks: 80_020, askTicks: 80_021 });
    // Reverses through flat: closes 3 (FIFO), opens 1 short.
    await exchange.placeOrder(order({ side: 'sell', orderType: 'market', qty: 4 }));
    // (80020−80001)×2 + (80020−80011)×1 = 47 ticks × 500
    expect(exchange.account(ACCOUNT)).toMatchObject({ realizedPnl: 23_500, balance: 50_023_500 });
    expect(exchange.getPositions(ACCOUNT)).toEqual([
      { accountId: ACCOUNT, contract: MNQ, netQty: -1, avgPriceTicks: 80_020 },
    ]);
  });

  it('is exact for ZN at 15 625 mils a tick, losses included', async () => {
    const { exchange, order } = setup();
    exchange.updateQuote(ZN, { bidTicks: 7_040, askTicks: 7_041 });
    await exchange.placeOrder(order({ contract: ZN, side: 'sell', orderType: 'market', qty: 3 })); // short 3 @ 7040
    exchange.updateQuote(ZN, { bidTicks: 7_042, askTicks: 7_043 });
    await exchange.placeOrder(order({ contract: ZN, side: 'buy', orderType: 'market', qty: 3 })); // cover @ 7043
    // −3 ticks × 3 × 15 625 = −140 625 mils (−140.625 USD)
    expect(exchange.account(ACCOUNT).realizedPnl).toBe(-140_625);
    expect(exchange.account(ACCOUNT).balance).toBe(50_000_000 - 140_625);
  });
});

describe('SimulatedExchange faults', () => {
  it('rejectNext rejects that many placements with the reason, as BrokerRejectedError', async () => {
    const { exchange, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    exchange.faults.rejectNext(2, 'insufficient margin');
    for (let i = 0; i < 2; i++) {
      const placing = exchange.placeOrder(order({ side: 'buy', orderType: 'market' }));
      await expect(placing).rejects.toBeInstanceOf(BrokerRejectedError);
      await expect(placing).rejects.toMatchObject({
        reason: 'insufficient margin',
        code: ErrorCode.BrokerRejected,
      });
    }
    await expect(exchange.placeOrder(order({ side: 'buy', orderType: 'market' }))).resolves.toMatchObject({
      status: 'filled',
    });
  });

  it('a retried rejected client order id is rejected again, not placed', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    exchange.faults.rejectNext(1, 'nope');
    const request = order({ side: 'buy', orderType: 'market' });
    await expect(exchange.placeOrder(request)).rejects.toMatchObject({ reason: 'nope' });
    await expect(exchange.placeOrder(request)).rejects.toMatchObject({ reason: 'nope' });
    expect(fillsOf(events)).toEqual([]);
  });

  it('rateLimitNext throws BrokerRateLimitedError with retry-after and places nothing', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    exchange.faults.rateLimitNext(1, 750);
    const placing = exchange.placeOrder(order({ side: 'buy', orderType: 'market' }));
    await expect(placing).rejects.toBeInstanceOf(BrokerRateLimitedError);
    await expect(placing).rejects.toMatchObject({ retryAfterMs: 750, disposition: 'retryable' });
    expect(events).toEqual([]);
    expect(exchange.getOrders(ACCOUNT)).toEqual([]);
  });

  it('rejectRate rejects a seeded share of orders', async () => {
    const { exchange, order } = setup({ rejectRate: 0.5, seed: 9 });
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, () => exchange.placeOrder(order({ side: 'buy', orderType: 'market' }))),
    );
    const rejected = outcomes.filter((o) => o.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(5);
    expect(rejected.length).toBeLessThan(35);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({
      reason: 'random reject (rejectRate)',
    });
  });

  it('tokenExpired is a flag for simulators and reset clears every fault', () => {
    const { exchange } = setup();
    exchange.faults.tokenExpired = true;
    exchange.faults.rejectNext(3);
    exchange.faults.reset();
    expect(exchange.faults.tokenExpired).toBe(false);
    expect(exchange.faults.takeReject()).toBeUndefined();
  });
});

describe('SimulatedExchange partial fills', () => {
  it('fills a market order in several chunks that add up, and a limit across updates', async () => {
    const { exchange, events, order } = setup({ partialFills: true, seed: 5 });
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const ack = await exchange.placeOrder(order({ side: 'buy', orderType: 'market', qty: 20 }));
    const chunks = events.flatMap((e) =>
      e.type === 'order-filled' && e.fill.orderId === ack.orderId ? [e.fill.qty] : [],
    );
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(20);
    expect(ack.status).toBe('filled');

    const limit = await exchange.placeOrder(
      order({ side: 'sell', orderType: 'limit', limitTicks: 100, qty: 20 }),
    );
    expect(exchange.getOrder(limit.orderId)?.status).toBe('partially-filled');
    let updates = 0;
    while (exchange.getOrder(limit.orderId)?.status !== 'filled' && updates < 50) {
      exchange.updateTrade(MNQ, 100);
      updates++;
    }
    expect(updates).toBeGreaterThan(0);
    expect(exchange.getOrder(limit.orderId)?.filledQty).toBe(20);
    expect(exchange.getPositions(ACCOUNT)).toEqual([]);
  });
});
