import { startDxLinkSimulator } from '@tradenova/adapter-others/dxfeed/simulator';
import { defaultInstruments, type EngineEvent, frontMonth, parseEngineConfig } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { openSession, type Session } from '../../src/run/session.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
});

describe('marketData: dxFeed prices in a live run', () => {
  it('marks unrealized P&L from the dxLink feed and reports a stale feed on the bus', async () => {
    const sim = await startDxLinkSimulator();
    cleanup.push(() => sim.close());
    const config = parseEngineConfig({
      leader: { account: 'L1' },
      followers: [
        { name: 'a', account: 'A1' },
        { name: 'micro', account: 'B1', symbolMap: { NQ: { to: 'MNQ', ratio: 10 } } },
      ],
      marketData: { source: 'dxfeed', options: { url: sim.url, staleAfterMs: 400 } },
    });
    const session: Session = await openSession(config);
    cleanup.push(() => session.close());
    const events: EngineEvent[] = [];
    session.engine.on((e) => events.push(e));
    await session.engine.start();
    const nq = frontMonth(defaultInstruments.get('NQ'), Date.now());
    const yy = String(nq.year % 100).padStart(2, '0');
    for (const x of session.exchanges) {
      x.updateQuote(nq, { bidTicks: 84_000, askTicks: 84_001 });
      x.updateQuote({ ...nq, root: 'MNQ' }, { bidTicks: 84_000, askTicks: 84_001 });
    }
    const r = await session.engine.submit({
      signalId: 's1',
      action: 'new',
      leaderOrderId: 'L-1',
      instrument: `NQ${nq.month}${yy}`,
      side: 'buy',
      qty: 1,
      orderType: 'market',
      fillPrice: '21000.25',
      time: Date.now(),
    });
    expect(r.ok).toBe(true);
    // The signal's contract and the root a follower maps it to are subscribed at once.
    await waitFor(() => sim.subscriptions().filter((s) => s.type === 'Trade').length === 2, {
      message: 'both subscriptions',
      timeout: 8_000,
    });
    expect(session.marketData?.subscribed().sort()).toEqual([`MNQ${nq.month}${yy}`, `NQ${nq.month}${yy}`]);
    // A trade 10 points above the fill: NQ pays 20 USD a point, MNQ 2 (10 MNQ for the micro follower).
    sim.publish(`/NQ${nq.month}${yy}:XCME`, { last: 21010.25 });
    sim.publish(`/MNQ${nq.month}${yy}:XCME`, { last: 21010.25 });
    await waitFor(
      () =>
        session.engine.pnl('a').unrealized === 200_000 && session.engine.pnl('micro').unrealized === 200_000,
      { message: 'P&L marked', timeout: 8_000 },
    );

    // The feed goes quiet: a stale feed is an event on the bus, then fresh again when prices return.
    sim.faults.silence(true);
    await waitFor(
      () =>
        events.some(
          (e) => e.type === 'service-status' && e.service === 'market-data' && e.state === 'degraded',
        ),
      { message: 'a degraded market-data status', timeout: 8_000 },
    );
    sim.faults.silence(false);
    sim.publish(`/NQ${nq.month}${yy}:XCME`, { last: 21011.25 });
    sim.publish(`/MNQ${nq.month}${yy}:XCME`, { last: 21011.25 });
    await waitFor(
      () =>
        events.some((e) => e.type === 'service-status' && e.service === 'market-data' && e.state === 'ok'),
      { message: 'ok again', timeout: 8_000 },
    );
    expect(session.engine.pnl('a').unrealized).toBe(220_000);
  });

  it('a feed that cannot be reached at start stops the session with exit 2, naming where', async () => {
    const config = parseEngineConfig({
      leader: { account: 'L1' },
      followers: [{ name: 'a', account: 'A1' }],
      marketData: { source: 'dxfeed', options: { url: 'ws://127.0.0.1:9/dxlink', connectTimeoutMs: 1_000 } },
    });
    await expect(openSession(config)).rejects.toMatchObject({
      code: 'TN_ERR_SERVICE_UNAVAILABLE',
      exitCode: 2,
      message: expect.stringContaining('market-data is not reachable at ws://127.0.0.1:9/dxlink'),
    });
  });

  it('names a bad feed option by its config path', async () => {
    const config = parseEngineConfig({
      leader: { account: 'L1' },
      followers: [{ name: 'a', account: 'A1' }],
      marketData: { source: 'dxfeed', options: { staleAfterMs: 5 } },
    });
    await expect(openSession(config)).rejects.toThrow(/^marketData\.options\.url: /);
  });
});
