import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/bus/events.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import type { Contract } from '../../src/instruments/contract.js';
import { defaultInstruments } from '../../src/instruments/registry.js';
import { feedHealth, publishFeedStatus } from '../../src/market-data/health.js';
import { markPositionsFrom } from '../../src/market-data/mark.js';
import { RandomWalkMarketData } from '../../src/market-data/random-walk.js';
import { PositionTracker } from '../../src/positions/tracker.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: 2025 };

/** A walk that moves only when told (interval 0), on a virtual clock, stale after 1 s. */
async function feed() {
  const clock = new VirtualClock(1_000_000);
  const source = new RandomWalkMarketData({
    clock,
    intervalMs: 0,
    staleAfterMs: 1_000,
    checkEveryMs: 100,
    startTicks: { MNQZ25: 84_000 },
  });
  const events: EngineEvent[] = [];
  publishFeedStatus(source, (e) => events.push(e), { where: 'test', now: () => clock.now() });
  source.subscribe([MNQ]);
  await source.start();
  return { clock, source, events };
}

describe('feed health on the bus', () => {
  it('a feed that goes quiet becomes a degraded market-data service-status naming the contract, and ok when prices return', async () => {
    const { clock, source, events } = await feed();
    await clock.advanceBy(900);
    expect(events).toEqual([]);
    expect(feedHealth(source)).toMatchObject({ state: 'connected', stale: [] });
    await clock.advanceBy(300);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'service-status',
      service: 'market-data',
      state: 'degraded',
      where: 'random-walk test',
    });
    expect((events[0] as { reason: string }).reason).toMatch(/no price for MNQZ25 in 1[01]\d\d ms/);
    expect(feedHealth(source).stale).toEqual(['MNQZ25']);
    // Staying stale is not news.
    await clock.advanceBy(5_000);
    expect(events).toHaveLength(1);
    source.setPrice(MNQ, 84_010);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ service: 'market-data', state: 'ok' });
    expect(feedHealth(source).stale).toEqual([]);
  });

  it('a stopped feed is degraded at once, whatever the age of its prices', async () => {
    const { source, events } = await feed();
    await source.stop();
    expect(events).toEqual([expect.objectContaining({ state: 'degraded', reason: 'feed disconnected' })]);
  });

  it('marks unrealized P&L on anything with mark(): a tracker follows each price exactly, in money units', async () => {
    const { source } = await feed();
    const tracker = new PositionTracker(defaultInstruments);
    tracker.applyExecution({
      broker: 'paper',
      accountId: 'A',
      executionId: 'e1',
      orderId: 'o1',
      contract: MNQ,
      side: 'sell',
      qty: 3,
      priceTicks: 84_000,
      time: 0,
    });
    const stop = markPositionsFrom(source, tracker);
    source.setPrice(MNQ, 83_990);
    // Short 3 from 84,000 to 83,990: 10 ticks × $0.50 × 3 = $15.00 (money in mils).
    expect(tracker.pnl('A').unrealized).toBe(15_000);
    source.setPrice(MNQ, 84_004);
    expect(tracker.pnl('A').unrealized).toBe(-6_000);
    stop();
    source.setPrice(MNQ, 80_000);
    expect(tracker.pnl('A').unrealized).toBe(-6_000);
  });
});
