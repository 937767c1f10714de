import { describe, expect, it } from 'vitest';
import { BrokerRejectedError } from '../../src/errors.js';
import { fillsOf, MNQ, setup, statusesOf } from './helpers.js';

describe('SimulatedExchange order types', () => {
  it('fills a market buy at the ask and a market sell at the bid, with slippage against the trader', async () => {
    const { exchange, events, order } = setup({ slippageTicks: 2 });
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const buy = await exchange.placeOrder(order({ side: 'buy', orderType: 'market' }));
    await exchange.placeOrder(order({ side: 'sell', orderType: 'market' }));
    expect(buy.status).toBe('filled');
    expect(fillsOf(events)).toEqual(['buy 1@103', 'sell 1@98']);
    expect(statusesOf(events, buy.orderId)).toEqual(['pending', 'working', 'filled']);
  });

  it('fills a market order at the last trade when there is no quote', async () => {
    const { exchange, events, order } = setup();
    exchange.updateTrade(MNQ, 200);
    await exchange.placeOrder(order({ side: 'buy', orderType: 'market' }));
    expect(fillsOf(events)).toEqual(['buy 1@200']);
  });

  it('rejects a market order when no price is known', async () => {
    const { exchange, events, order } = setup();
    const placing = exchange.placeOrder(order({ side: 'buy', orderType: 'market' }));
    await expect(placing).rejects.toBeInstanceOf(BrokerRejectedError);
    await expect(placing).rejects.toMatchObject({ reason: 'no market price for MNQZ25' });
    const last = events.at(-1);
    expect(last?.type === 'order-updated' && last.order.status).toBe('rejected');
  });

  it('rests a buy limit until the ask reaches it, then fills at the limit', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const ack = await exchange.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 99 }));
    expect(ack.status).toBe('working');
    exchange.updateQuote(MNQ, { bidTicks: 99, askTicks: 100 });
    expect(fillsOf(events)).toEqual([]);
    exchange.updateQuote(MNQ, { bidTicks: 98, askTicks: 99 });
    expect(fillsOf(events)).toEqual(['buy 1@99']);
  });

  it('fills a buy limit on a trade at the limit, and better when the market gaps through it', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    await exchange.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 99 }));
    await exchange.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 95 }));
    exchange.updateTrade(MNQ, 100);
    expect(fillsOf(events)).toEqual([]);
    exchange.updateTrade(MNQ, 99);
    expect(fillsOf(events)).toEqual(['buy 1@99']);
    exchange.updateQuote(MNQ, { bidTicks: 92, askTicks: 93 });
    expect(fillsOf(events)).toEqual(['buy 1@99', 'buy 1@93']);
  });

  it('rests a sell limit until the bid reaches it', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    await exchange.placeOrder(order({ side: 'sell', orderType: 'limit', limitTicks: 103 }));
    exchange.updateQuote(MNQ, { bidTicks: 102, askTicks: 103 });
    expect(fillsOf(events)).toEqual([]);
    exchange.updateTrade(MNQ, 103);
    expect(fillsOf(events)).toEqual(['sell 1@103']);
  });

  it('fills a marketable limit on arrival at the better price', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const ack = await exchange.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 105 }));
    expect(ack.status).toBe('filled');
    expect(fillsOf(events)).toEqual(['buy 1@101']);
  });

  it('triggers a buy stop when the ask reaches it and fills like a market order', async () => {
    const { exchange, events, order } = setup({ slippageTicks: 1 });
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    await exchange.placeOrder(order({ side: 'buy', orderType: 'stop', stopTicks: 104 }));
    exchange.updateQuote(MNQ, { bidTicks: 102, askTicks: 103 });
    expect(fillsOf(events)).toEqual([]);
    exchange.updateQuote(MNQ, { bidTicks: 104, askTicks: 105 });
    expect(fillsOf(events)).toEqual(['buy 1@106']);
  });

  it('triggers a sell stop on a trade at or below it', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    await exchange.placeOrder(order({ side: 'sell', orderType: 'stop', stopTicks: 97 }));
    exchange.updateTrade(MNQ, 98);
    expect(fillsOf(events)).toEqual([]);
    exchange.updateQuote(MNQ, { bidTicks: 96, askTicks: 97 });
    expect(fillsOf(events)).toEqual(['sell 1@96']);
  });

  it('turns a stop-limit into a limit once triggered, and fills only within the limit', async () => {
    const { exchange, events, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    const ack = await exchange.placeOrder(
      order({ side: 'buy', orderType: 'stop-limit', stopTicks: 104, limitTicks: 105 }),
    );
    // Gaps over the limit: triggered, but not fillable.
    exchange.updateQuote(MNQ, { bidTicks: 106, askTicks: 107 });
    expect(fillsOf(events)).toEqual([]);
    expect(exchange.getOrder(ack.orderId)?.status).toBe('working');
    // Back inside the limit (below the stop): a triggered stop-limit still fills.
    exchange.updateQuote(MNQ, { bidTicks: 102, askTicks: 103 });
    expect(fillsOf(events)).toEqual(['buy 1@103']);
  });

  it('rejects malformed orders with a reason', async () => {
    const { exchange, order } = setup();
    exchange.updateQuote(MNQ, { bidTicks: 100, askTicks: 101 });
    await expect(exchange.placeOrder(order({ side: 'buy', orderType: 'limit' }))).rejects.toMatchObject({
      reason: 'limit order needs a limit price',
    });
    await expect(
      exchange.placeOrder(order({ side: 'buy', orderType: 'market', qty: 0 })),
    ).rejects.toMatchObject({
      reason: 'qty 0 is not a positive whole number',
    });
    await expect(
      exchange.placeOrder(order({ side: 'buy', orderType: 'market', accountId: 'nobody' })),
    ).rejects.toMatchObject({ reason: 'unknown account nobody' });
  });
});
