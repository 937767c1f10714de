import { describe, expect, it } from 'vitest';
import { ACCOUNT, setup } from './helpers.js';

describe('SimulatedExchange: what a broker keeps beside it', () => {
  it('backEnd makes the state once per name and returns it to every later caller', () => {
    const { exchange } = setup();
    let made = 0;
    const first = exchange.backEnd('tv', () => ({ n: ++made }));
    const again = exchange.backEnd('tv', () => ({ n: ++made }));
    const other = exchange.backEnd('px', () => ({ n: ++made }));
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(made).toBe(2);
  });

  it('a non-idempotent placement makes a second order under a client id used before, and keeps the id', async () => {
    const { exchange, order } = setup();
    const request = order({ side: 'buy', orderType: 'limit', limitTicks: 80_000 });
    const first = await exchange.placeOrder(request, { idempotent: false });
    const second = await exchange.placeOrder(request, { idempotent: false });
    expect(second.orderId).not.toBe(first.orderId);
    const open = exchange.getOpenOrders(ACCOUNT);
    expect(open.map((o) => o.clientOrderId)).toEqual([request.clientOrderId, request.clientOrderId]);
    expect(exchange.findOrderByClientId(ACCOUNT, request.clientOrderId)?.orderId).toBe(first.orderId);
  });

  it('an idempotent placement (the default) still returns the first order', async () => {
    const { exchange, order } = setup();
    const request = order({ side: 'buy', orderType: 'limit', limitTicks: 80_000 });
    const first = await exchange.placeOrder(request, { idempotent: false });
    const again = await exchange.placeOrder(request);
    expect(again.orderId).toBe(first.orderId);
    expect(exchange.getOpenOrders(ACCOUNT)).toHaveLength(1);
  });
});
