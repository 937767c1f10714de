import { waitFor } from '@tradenova/core/testing';
import { describe, expect, it } from 'vitest';
import { PlacementGuard } from '../../src/adapter/index.js';
import {
  type BrokerOrder,
  BrokerRejectedError,
  BrokerTimeoutError,
  type OrderAck,
  type PlaceOrderRequest,
} from '../../src/index.js';

const request: PlaceOrderRequest = {
  accountId: 'A',
  clientOrderId: 'tn1',
  contract: { root: 'MNQ', month: 'Z', year: 2025 },
  side: 'buy',
  qty: 1,
  orderType: 'market',
};
const ack = (orderId: string): OrderAck => ({ orderId, clientOrderId: 'tn1', status: 'working', time: 1 });

describe('PlacementGuard: one order per intent', () => {
  it('joins a placement in flight and repeats an acknowledged one without sending again', async () => {
    let sends = 0;
    let release = (): void => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const guard = new PlacementGuard({ find: async () => undefined, now: () => 1 });
    const send = async () => {
      sends++;
      await held;
      return ack('O1');
    };
    // Both placements start while the first send is held open at the broker.
    const both = Promise.all([guard.place(request, send), guard.place(request, send)]);
    await waitFor(() => sends === 1, { message: 'the first send' });
    release();
    const [a, b] = await both;
    const c = await guard.place(request, send);
    expect([a.orderId, b.orderId, c.orderId]).toEqual(['O1', 'O1', 'O1']);
    expect(sends).toBe(1);
    // Another account with the same client order id is another intent.
    await guard.place({ ...request, accountId: 'B' }, send);
    expect(sends).toBe(2);
  });

  it('after an unknown outcome asks the broker first; a reject is not remembered as unknown', async () => {
    let held: BrokerOrder | undefined;
    let sends = 0;
    const guard = new PlacementGuard({ find: async () => held, now: () => 7 });
    await expect(
      guard.place(request, async () => {
        sends++;
        throw new BrokerTimeoutError('test', 2500);
      }),
    ).rejects.toThrow(/outcome unknown/);
    // The first attempt did reach the broker: the retry finds it and sends nothing.
    held = {
      ...ack('O9'),
      accountId: 'A',
      contract: request.contract,
      side: 'buy',
      qty: 1,
      filledQty: 0,
      orderType: 'market',
      updatedAt: 7,
    };
    const again = await guard.place(request, async () => {
      sends++;
      return ack('O2');
    });
    expect(again).toMatchObject({ orderId: 'O9', clientOrderId: 'tn1', time: 7 });
    expect(sends).toBe(1);

    const other = { ...request, clientOrderId: 'tn2' };
    await expect(
      guard.place(other, async () => {
        throw new BrokerRejectedError('test', 'no margin');
      }),
    ).rejects.toThrow(/no margin/);
    // A reject is final for that call, and a retry sends again (the broker holds nothing).
    const retried = await guard.place(other, async () => ack('O3'));
    expect(retried.orderId).toBe('O3');
  });
});
