import { expect, it } from 'vitest';
import type { EngineEvent } from '../../src/index.js';
import { MNQ, paperEngine, T0 } from './harness.js';

/** One run of a copier: a resting leader buy, then a market sell under it, which re-plans its copy. */
async function run(startAt: number): Promise<string[]> {
  const { engine, events, clock, price, leaderMarket } = await paperEngine([{ name: 'a', account: 'A' }], {
    latencyMs: 3,
    startAt,
  });
  price(MNQ, '21000.00');
  const resting = engine.submit({
    signalId: 'L1:new',
    action: 'new',
    leaderOrderId: 'L1',
    instrument: 'MNQZ5',
    side: 'buy',
    qty: 1,
    orderType: 'limit',
    limitPrice: '20950.00',
    time: clock.now(),
  });
  await clock.runUntilIdle();
  await resting;
  await leaderMarket('L2:new', 'sell', 1, '21000.00');
  await clock.advanceBy(100);
  return events
    .filter((e): e is Extract<EngineEvent, { type: 'intent-created' }> => e.type === 'intent-created')
    .filter((e) => e.intent.signalId.includes('~replan-'))
    .map((e) => e.intent.intentId);
}

it('never gives a re-planned leg an intent id an earlier run of the copier used (chaos, seed 679575618)', async () => {
  const first = await run(T0);
  // The same leader orders, re-signalled with their ids after a restart a few seconds later.
  const again = await run(T0 + 5_000);
  expect(first.length).toBeGreaterThan(0);
  expect(again.length).toBeGreaterThan(0);
  expect(again.filter((id) => first.includes(id))).toEqual([]);
});
