import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import type { Contract } from '../../src/instruments/contract.js';
import { defaultInstruments } from '../../src/instruments/registry.js';
import { markPositionsFrom } from '../../src/market-data/mark.js';
import { RandomWalkMarketData } from '../../src/market-data/random-walk.js';
import type { FeedFreshness, MarketTrade } from '../../src/market-data/source.js';
import { PositionTracker } from '../../src/positions/tracker.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: 2025 };

describe('RandomWalkMarketData', () => {
  it('is deterministic per seed and steps on the injected clock', async () => {
    const run = async (seed: number) => {
      const clock = new VirtualClock(0);
      const source = new RandomWalkMarketData({
        clock,
        seed,
        intervalMs: 100,
        startTicks: { MNQZ25: 84_000 },
      });
      const trades: MarketTrade[] = [];
      source.onTrade((t) => trades.push(t));
      source.subscribe([MNQ]);
      await source.start();
      await clock.advanceBy(1_000);
      await source.stop();
      return trades.map((t) => t.priceTicks);
    };
    const a = await run(5);
    expect(a).toHaveLength(11);
    expect(a[0]).toBe(84_000);
    expect(await run(5)).toEqual(a);
    expect(await run(6)).not.toEqual(a);
    for (let i = 1; i < a.length; i++) expect(Math.abs(a[i]! - a[i - 1]!)).toBeLessThanOrEqual(2);
  });

  it('marks a tracker and reports staleness when prices stop', async () => {
    const clock = new VirtualClock(0);
    const source = new RandomWalkMarketData({
      clock,
      intervalMs: 0,
      staleAfterMs: 1_000,
      startTicks: { MNQZ25: 84_000 },
    });
    const tracker = new PositionTracker(defaultInstruments);
    tracker.applyExecution({
      executionId: 'e',
      orderId: 'o',
      broker: 'paper',
      accountId: 'A',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      priceTicks: 84_000,
      time: 0,
    });
    markPositionsFrom(source, tracker);
    const changes: FeedFreshness[] = [];
    source.onFreshness((f) => changes.push(f));
    source.subscribe([MNQ]);
    await source.start();
    source.setPrice(MNQ, 84_010);
    expect(tracker.pnl('A').unrealized).toBe(10 * 500);
    await clock.advanceBy(1_500);
    expect(changes.at(-1)).toMatchObject({ stale: true });
    source.setPrice(MNQ, 84_004);
    expect(changes.at(-1)).toMatchObject({ stale: false });
    expect(tracker.pnl('A').unrealized).toBe(4 * 500);
    await source.stop();
  });
});
