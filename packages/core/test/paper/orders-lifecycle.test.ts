import { describe, expect, it } from 'vitest';
import { BrokerRejectedError, BrokerUnknownOrderError } from '../../src/errors.js';
import { ACCOUNT, fillsOf, MNQ, setup, statusesOf } from './helpers.js';

describe('SimulatedExchange brackets', () => {
  it('creates OCO children for the filled entry; the take-profit fill cancels the stop-loss', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const ack = await exchange.placeOrder(
      order({
        side: 'buy',
        orderType: 'market',
        qty: 2,
        bracket: { stopLossTicks: 90, takeProfitTicks: 110 },
      }),
    );
    const { stopLoss, takeProfit } = ack.childOrderIds ?? {};
    expect(stopLoss).toBeDefined();
    expect(takeProfit).toBeDefined();
    const sl = exchange.getOrder(stopLoss!)!;
    expect(sl).toMatchObject({ side: 'sell', orderType: 'stop', stopTicks: 90, qty: 2, status: 'working' });
    expect(sl.parentOrderId).toBe(ack.orderId);
    exchange.updateQuote(MNQ, { bidTicks: 110, askTicks: 111 });
    expect(fillsOf(events)).toEqual(['buy 2@101', 'sell 2@110']);
    expect(exchange.getOrder(stopLoss!)?.status).toBe('cancelled');
    expect(exchange.getOpenOrders(ACCOUNT)).toEqual([]);
    expect(exchange.getPositions(ACCOUNT)).toEqual([]);
    // The stop is gone: the market falling through it fills nothing.
    exchange.updateQuote(MNQ, { bidTicks: 80, askTicks: 81 });
    expect(fillsOf(events)).toHaveLength(2);
  });

  it('holds children until a resting entry fills, then sizes them to the filled quantity', async () => {
    const { exchange, order } = setup({ partialFills: true, seed: 7 });
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const ack = await exchange.placeOrder(
      order({
        side: 'buy',
        orderType: 'limit',
        limitTicks: 99,
        qty: 10,
        bracket: { stopLossTicks: 90, takeProfitTicks: 120 },
      }),
    );
    const sl = ack.childOrderIds!.stopLoss!;
    const tp = ack.childOrderIds!.takeProfit!;
    expect(exchange.getOrder(sl)?.status).toBe('pending');
    // A held stop does not trigger before its entry fills.
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    exchange.updateTrade(MNQ, 99);
    const entry = exchange.getOrder(ack.orderId)!;
    expect(entry.filledQty).toBeGreaterThan(0);
    expect(entry.filledQty).toBeLessThan(10);
    expect(exchange.getOrder(sl)).toMatchObject({ status: 'working', qty: entry.filledQty });
    expect(exchange.getOrder(tp)).toMatchObject({ status: 'working', qty: entry.filledQty });
  });

  it('shrinks the other side of the pair on a partial fill', async () => {
    const { exchange, order } = setup({ partialFills: true, seed: 3 });
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const ack = await exchange.placeOrder(
      order({
        side: 'buy',
        orderType: 'limit',
        limitTicks: 105,
        qty: 10,
        bracket: { stopLossTicks: 90, takeProfitTicks: 110 },
      }),
    );
    // Fill the whole entry first (one chunk per market update).
    for (let i = 0; i < 20 && exchange.getOrder(ack.orderId)!.status !== 'filled'; i++) {
      exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    }
    expect(exchange.getOrder(ack.orderId)?.status).toBe('filled');
    exchange.updateQuote(MNQ, { bidTicks: 110, askTicks: 111 });
    const tp = exchange.getOrder(ack.childOrderIds!.takeProfit!)!;
    const sl = exchange.getOrder(ack.childOrderIds!.stopLoss!)!;
    expect(tp.status).toBe('partially-filled');
    expect(sl.qty).toBe(10 - tp.filledQty);
    expect(exchange.getPositions(ACCOUNT)[0]?.netQty).toBe(10 - tp.filledQty);
  });

  it('cancelling an unfilled entry cancels its bracket', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const ack = await exchange.placeOrder(
      order({
        side: 'buy',
        orderType: 'limit',
        limitTicks: 95,
        bracket: { stopLossTicks: 90, takeProfitTicks: 110 },
      }),
    );
    await exchange.cancelOrder({ accountId: ACCOUNT, orderId: ack.orderId });
    expect(statusesOf(events, ack.orderId).at(-1)).toBe('cancelled');
    expect(statusesOf(events, ack.childOrderIds!.stopLoss!)).toEqual(['pending', 'cancelled']);
    expect(statusesOf(events, ack.childOrderIds!.takeProfit!)).toEqual(['pending', 'cancelled']);
    expect(exchange.getOpenOrders(ACCOUNT)).toEqual([]);
    exchange.updateQuote(MNQ, { bidTicks: 80, askTicks: 81 });
    expect(fillsOf(events)).toEqual([]);
  });
});

describe('SimulatedExchange modify and cancel', () => {
  it('moves a limit price, and fills at once when the new price is marketable', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const ack = await exchange.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 95, qty: 3 }));
    await exchange.modifyOrder({ accountId: ACCOUNT, orderId: ack.orderId, limitTicks: 97, qty: 2 });
    expect(exchange.getOrder(ack.orderId)).toMatchObject({ limitTicks: 97, qty: 2, status: 'working' });
    expect(fillsOf(events)).toEqual([]);
    await exchange.modifyOrder({ accountId: ACCOUNT, orderId: ack.orderId, limitTicks: 101 });
    expect(fillsOf(events)).toEqual(['buy 2@101']);
  });

  it('refuses to modify or cancel an order that is done or unknown, with typed errors', async () => {
    const { exchange, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const ack = await exchange.placeOrder(order({ side: 'buy', orderType: 'market' }));
    await expect(exchange.cancelOrder({ accountId: ACCOUNT, orderId: ack.orderId })).rejects.toBeInstanceOf(
      BrokerRejectedError,
    );
    await expect(
      exchange.modifyOrder({ accountId: ACCOUNT, orderId: 'nope', qty: 3 }),
    ).rejects.toBeInstanceOf(BrokerUnknownOrderError);
    const resting = await exchange.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 90 }));
    await expect(
      exchange.modifyOrder({ accountId: ACCOUNT, orderId: resting.orderId, stopTicks: 3 }),
    ).rejects.toMatchObject({ reason: 'a limit order has no stop price' });
    await expect(
      exchange.cancelOrder({ accountId: 'other', orderId: resting.orderId }),
    ).rejects.toBeInstanceOf(BrokerUnknownOrderError);
  });
});

describe('SimulatedExchange flatten', () => {
  it('cancels working orders of the contract and closes the position at market', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    await exchange.placeOrder(order({ side: 'buy', orderType: 'market', qty: 3 }));
    const resting = await exchange.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 90 }));
    exchange.updateQuote(MNQ, { bidTicks: 104, askTicks: 105 });
    await exchange.flatten({ accountId: ACCOUNT, contract: MNQ });
    expect(exchange.getOrder(resting.orderId)?.status).toBe('cancelled');
    expect(fillsOf(events)).toEqual(['buy 3@101', 'sell 3@104']);
    expect(exchange.getPositions(ACCOUNT)).toEqual([]);
    expect(exchange.getOpenOrders(ACCOUNT)).toEqual([]);
    // (104 − 101) ticks × 3 × 500 mils
    expect(exchange.account(ACCOUNT).realizedPnl).toBe(4_500);
  });

  it('leaves other contracts alone when flattening one', async () => {
    const { exchange, order } = setup();
    const other = { ...MNQ, month: 'H' as const, year: 2026 };
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    exchange.updateQuote(other, { bidTicks: 200, askTicks: 201 });
    await exchange.placeOrder(order({ side: 'sell', orderType: 'market' }));
    await exchange.placeOrder(order({ side: 'sell', orderType: 'market', contract: other }));
    await exchange.flatten({ accountId: ACCOUNT, contract: MNQ });
    expect(exchange.getPositions(ACCOUNT)).toEqual([
      { accountId: ACCOUNT, contract: other, netQty: -1, avgPriceTicks: 200 },
    ]);
    await exchange.flatten({ accountId: ACCOUNT });
    expect(exchange.getPositions(ACCOUNT)).toEqual([]);
  });
});

describe('SimulatedExchange client order ids', () => {
  it('returns the existing order for a repeated client order id on the same account', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const request = order({ side: 'buy', orderType: 'market' });
    const first = await exchange.placeOrder(request);
    const again = await exchange.placeOrder(request);
    expect(again.orderId).toBe(first.orderId);
    expect(again.status).toBe('filled');
    expect(fillsOf(events)).toHaveLength(1);
    expect(exchange.findOrderByClientId(ACCOUNT, request.clientOrderId)?.orderId).toBe(first.orderId);
    expect(exchange.findOrderByClientId(ACCOUNT, 'unknown')).toBeUndefined();
  });

  it('dedupes even when the retry is sent before the first request took effect', async () => {
    const { clock, exchange, events, order } = setup({ latencyMs: 50 });
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const request = order({ side: 'buy', orderType: 'market' });
    const first = exchange.placeOrder(request);
    const retry = exchange.placeOrder(request);
    await clock.runUntilIdle();
    expect((await retry).orderId).toBe((await first).orderId);
    expect(fillsOf(events)).toHaveLength(1);
  });
});
