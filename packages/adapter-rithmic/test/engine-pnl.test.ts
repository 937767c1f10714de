import { createEngine, type EngineEvent, systemClock } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startPair } from './helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

describe('Rithmic account P&L in the engine', () => {
  it('the PnL plant P&L reaches the bus beside what the engine tracked from fills, and they agree', async () => {
    const { sim, connection, accountId } = await startPair();
    cleanups.push(() => sim.close());
    const year = new Date().getUTCFullYear() + 1;
    const contract = { root: 'MNQ', month: 'Z' as const, year };
    const engine = createEngine(
      { leader: { account: 'LEAD' }, followers: [{ name: 'r', broker: 'rithmic', account: accountId }] },
      { clock: systemClock, connections: { rithmic: connection } },
    );
    cleanups.push(() => engine.stop());
    const events: EngineEvent[] = [];
    engine.on((e) => events.push(e));
    await engine.start();
    sim.exchange.updateQuote(contract, { bidTicks: 80_000, askTicks: 80_001 });
    const instrument = `MNQZ${year % 10}`;
    const market = async (id: string, side: 'buy' | 'sell', fill: number) => {
      const r = await engine.submit({
        signalId: id,
        action: 'new',
        leaderOrderId: `L-${id}`,
        instrument,
        side,
        qty: 1,
        orderType: 'market',
        time: Date.now(),
      });
      expect(r.ok).toBe(true);
      engine.applyLeaderFill({ contract, side, qty: 1, priceTicks: fill });
      await engine.idle();
    };
    await market('s1', 'buy', 80_001);
    sim.exchange.updateQuote(contract, { bidTicks: 80_021, askTicks: 80_022 });
    await market('s2', 'sell', 80_021);
    const reported = () =>
      events
        .filter((e): e is Extract<EngineEvent, { type: 'account-pnl' }> => e.type === 'account-pnl')
        .at(-1);
    await waitFor(() => reported()?.broker.realizedPnl === 10_000 && engine.pnl('r').realized === 10_000, {
      message: '10 USD realized, reported by the broker and booked by the engine',
    });
    // 1 MNQ, 80,001 → 80,021 ticks: 20 ticks × 0.50 USD = 10 USD, in mils on both sides.
    expect(reported()).toMatchObject({ follower: 'r', accountId, broker: { realizedPnl: 10_000 } });
    expect(engine.pnl('r').realized).toBe(10_000);
  });
});
