import { describe, expect, it } from 'vitest';
import type { BrokerConnection, BrokerEvent } from '../../src/index.js';
import { connectionOf, MNQ, paperEngine } from './harness.js';

/**
 * A broker that reports fills and order changes without the client order id (ProjectX's
 * polled trades before the order's tag was known; a plugin whose broker never echoes it).
 * The placement's answer named the broker order id: that is enough to find the copy.
 */
function withoutClientIds(paper: BrokerConnection): BrokerConnection {
  const strip = (event: BrokerEvent): BrokerEvent => {
    if (event.type === 'order-filled') {
      const { clientOrderId: _, ...fill } = event.fill;
      return { ...event, fill };
    }
    if (event.type === 'order-updated') {
      const { clientOrderId: _, ...order } = event.order;
      return { ...event, order };
    }
    return event;
  };
  return new Proxy(paper, {
    get(target, key, receiver) {
      if (key === 'onEvent')
        return (listener: (e: BrokerEvent) => void) => target.onEvent((e) => listener(strip(e)));
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('a follower fill reported without its client order id', () => {
  it('books to the copy placed under that broker order, as a fill with the id would', async () => {
    const { engine, clock, price, net, events } = await paperEngine([{ name: 'a', account: 'A' }], {
      wrap: withoutClientIds,
    });
    price(MNQ, '21000.00');
    const resting = engine.submit({
      ...{ signalId: 's-1', action: 'new', leaderOrderId: 'L-1', instrument: 'MNQZ5' },
      ...{ side: 'buy', qty: 1, orderType: 'limit', limitPrice: '20900.00', time: clock.now() },
    });
    await clock.runUntilIdle();
    await resting;
    const placed = events.find((e) => e.type === 'order-placed');
    expect(placed?.type).toBe('order-placed');
    const intentId = placed?.type === 'order-placed' ? placed.intent.intentId : '';

    // The market reaches the follower's copy before the leader's order fills.
    price(MNQ, '20900.00');
    await clock.runUntilIdle();
    expect(net('a')).toBe(1);
    const fill = events.find((e) => e.type === 'order-filled');
    expect(fill?.type === 'order-filled' ? fill.execution.intentId : undefined).toBe(intentId);

    // The leader moves its still-working order: the follower's copy has filled, so nothing
    // is moved or placed again, and the follower stays at the leader's eventual position.
    const moved = engine.submit({
      ...{ signalId: 's-2', action: 'modify', leaderOrderId: 'L-1', instrument: 'MNQZ5' },
      ...{ limitPrice: '20850.00', time: clock.now() },
    });
    await clock.runUntilIdle();
    await moved;
    engine.applyLeaderFill({ contract: MNQ, side: 'buy', qty: 1, priceTicks: 83_400, orderId: 'L-1' });
    await clock.runUntilIdle();
    expect(net('a')).toBe(1);
    expect(await connectionOf(engine).getOpenOrders('A')).toEqual([]);
    const intents = events.filter((e) => e.type === 'intent-created');
    expect(intents).toHaveLength(1);
  });
});
