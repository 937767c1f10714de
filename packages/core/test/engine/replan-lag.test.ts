import { describe, expect, it } from 'vitest';
import { connectionOf, MNQ, paperEngine } from './harness.js';

/**
 * A re-plan of a working copy that runs while the follower's queue still holds leader
 * signals that have already filled at the leader (a follower behind a slow or returning
 * broker). Found by `tradenova chaos` (seed 2250667160): both FIX followers flat against a
 * short leader, after a re-plan sent the copy of a leader buy as a marketable sell.
 */
describe('a re-plan behind queued leader signals', () => {
  it('plans against the leader as far as the follower has come, not the whole position', async () => {
    const { engine, clock, price, net, events } = await paperEngine([{ name: 'a', account: 'A' }], {
      latencyMs: 5,
    });
    price(MNQ, '21000.00');
    // The leader rests a buy well under the market; the follower's copy rests too.
    const resting = engine.submit({
      ...{ signalId: 's-w', action: 'new', leaderOrderId: 'L-w', instrument: 'MNQZ5' },
      ...{ side: 'buy', qty: 1, orderType: 'limit', limitPrice: '20900.00', time: clock.now() },
    });
    await clock.runUntilIdle();
    await resting;
    // Three leader market orders fill before the follower has copied any of them: each
    // signal waits in its queue, and each leader fill queues a re-plan of the resting copy.
    const market = (id: string, side: 'buy' | 'sell') => {
      const done = engine.submit({
        ...{ signalId: `s-${id}`, action: 'new', leaderOrderId: `L-${id}`, instrument: 'MNQZ5' },
        ...{ side, qty: 1, orderType: 'market', fillPrice: '21000.00', time: clock.now() },
      });
      engine.applyLeaderFill({ contract: MNQ, side, qty: 1, priceTicks: 84_000, orderId: `L-${id}` });
      return done;
    };
    const copies = [market('m1', 'buy'), market('m2', 'sell'), market('m3', 'sell')];
    await clock.runUntilIdle();
    await Promise.all(copies);
    await clock.runUntilIdle();

    // The leader is short 1 with its buy still resting: so is the follower.
    expect(net('a')).toBe(-1);
    const working = (await connectionOf(engine).getOpenOrders('A')).map((o) => [
      o.side,
      o.qty,
      o.orderType,
      o.limitTicks,
    ]);
    expect(working).toEqual([['buy', 1, 'limit', 83_600]]);
    // No re-plan sent the resting buy's copy as a sell.
    const sells = events.filter(
      (e) => e.type === 'intent-created' && e.intent.orderType === 'limit' && e.intent.side === 'sell',
    );
    expect(sells).toEqual([]);
  });
});
