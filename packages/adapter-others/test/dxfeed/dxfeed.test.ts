import {
  type Contract,
  defaultInstruments,
  type EngineEvent,
  type FeedFreshness,
  markPositionsFrom,
  PositionTracker,
  VirtualClock,
} from '@tradenova/core';
import { feedHealth, publishFeedStatus } from '@tradenova/core/market-data';
import { afterEach, describe, expect, it } from 'vitest';
import { type DxLinkSimulator, startDxLinkSimulator } from '../../src/dxfeed/simulator/index.js';
import { DxFeedMarketData } from '../../src/dxfeed/source.js';
import { fromDxFeedSymbol, toDxFeedSymbol } from '../../src/dxfeed/symbols.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: 2025 };
let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
  cleanup = [];
});

async function until(what: string, check: () => boolean, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function start(config: { staleAfterMs?: number; token?: string } = {}, simToken?: string) {
  const sim: DxLinkSimulator = await startDxLinkSimulator(simToken ? { token: simToken } : {});
  const source = new DxFeedMarketData({ url: sim.url, ...config }, { instruments: defaultInstruments });
  cleanup.push(
    () => sim.close(),
    () => source.stop(),
  );
  return { sim, source };
}

describe('dxfeed symbols', () => {
  it('round-trips /MNQZ25:XCME and refuses other shapes', () => {
    expect(toDxFeedSymbol(MNQ, defaultInstruments)).toBe('/MNQZ25:XCME');
    expect(fromDxFeedSymbol('/MNQZ25:XCME', defaultInstruments)).toEqual(MNQ);
    expect(() => fromDxFeedSymbol('MNQZ5', defaultInstruments)).toThrow();
  });
});

describe('dxfeed over the dxLink simulator', () => {
  it('the official client sets up, authorizes with the token, subscribes in COMPACT and receives quotes and trades', async () => {
    const { sim, source } = await start({ token: 'demo-token' }, 'demo-token');
    source.subscribe([MNQ]);
    await source.start();
    await until('subscriptions', () => sim.subscriptions().length === 2);
    expect(sim.subscriptions()).toEqual(
      expect.arrayContaining([
        { type: 'Quote', symbol: '/MNQZ25:XCME' },
        { type: 'Trade', symbol: '/MNQZ25:XCME' },
      ]),
    );
    const setup = sim.received.find((m) => m.type === 'FEED_SETUP');
    expect(setup?.acceptDataFormat).toBe('COMPACT');
    expect(sim.received.some((m) => m.type === 'AUTH' && m.token === 'demo-token')).toBe(true);
    sim.publish('/MNQZ25:XCME', { bid: 21000.25, ask: 21000.5, last: 21000.25 });
    await until(
      'a quote and a trade',
      () => source.lastQuote(MNQ) !== undefined && source.lastTrade(MNQ) !== undefined,
    );
    expect(source.lastQuote(MNQ)).toMatchObject({ bidTicks: 84_001, askTicks: 84_002 });
    expect(source.lastTrade(MNQ)).toMatchObject({ priceTicks: 84_001 });
  });

  it('PositionTracker unrealized P&L follows the simulated prices', async () => {
    const { sim, source } = await start();
    const tracker = new PositionTracker(defaultInstruments);
    tracker.applyExecution({
      broker: 'fix',
      accountId: 'A',
      executionId: 'x1',
      orderId: 'o1',
      contract: MNQ,
      side: 'buy',
      qty: 2,
      priceTicks: 84_000,
      time: 0,
    });
    cleanup.push(async () => markPositionsFrom(source, tracker)());
    markPositionsFrom(source, tracker);
    source.subscribe([MNQ]);
    await source.start();
    await until('subscribed', () => sim.subscriptions().length === 2);
    sim.publish('/MNQZ25:XCME', { bid: 21002, ask: 21002.25, last: 21002 });
    // 2 contracts × 8 ticks × $0.50 = $8 (money in mils).
    await until('P&L at +8 ticks', () => tracker.pnl('A').unrealized === 8_000);
    const stopWalk = sim.randomWalk('/MNQZ25:XCME', { start: 21000, tick: 0.25, intervalMs: 20, seed: 3 });
    await until('P&L follows the walk', () => tracker.pnl('A').unrealized !== 8_000);
    stopWalk();
    const lastTrade = source.lastTrade(MNQ)!;
    expect(tracker.pnl('A').unrealized).toBe((lastTrade.priceTicks - 84_000) * 2 * 500);
  });

  it('a silent feed is reported stale on the bus (market-data service-status), and ok again when prices return', async () => {
    // Staleness runs on the source's clock: a virtual one makes "no price for 150 ms" exact, whatever the load.
    const clock = new VirtualClock(Date.now());
    const sim = await startDxLinkSimulator();
    const source = new DxFeedMarketData(
      { url: sim.url, staleAfterMs: 150 },
      { instruments: defaultInstruments, clock },
    );
    cleanup.push(
      () => sim.close(),
      () => source.stop(),
    );
    const changes: FeedFreshness[] = [];
    const bus: EngineEvent[] = [];
    source.onFreshness((f) => changes.push(f));
    publishFeedStatus(source, (e) => bus.push(e), { where: sim.url, now: () => clock.now() });
    source.subscribe([MNQ]);
    await source.start();
    await until('subscribed', () => sim.subscriptions().length === 2);
    sim.publish('/MNQZ25:XCME', { bid: 21000, ask: 21000.25, last: 21000 });
    await until('first quote', () => source.lastQuote(MNQ) !== undefined);
    await clock.advanceBy(100);
    expect(source.freshness()[0]!.stale).toBe(false);
    sim.faults.silence(true);
    await clock.advanceBy(100);
    expect(changes.at(-1)).toMatchObject({ stale: true });
    expect(source.freshness()[0]).toMatchObject({ stale: true });
    expect(bus).toEqual([
      expect.objectContaining({ type: 'service-status', service: 'market-data', state: 'degraded' }),
    ]);
    expect(feedHealth(source).stale).toEqual(['MNQZ25']);
    sim.faults.silence(false);
    sim.publish('/MNQZ25:XCME', { last: 21001 });
    await until('fresh again', () => changes.at(-1)?.stale === false);
    expect(bus.at(-1)).toMatchObject({ service: 'market-data', state: 'ok' });
  });

  it('reconnects after the server drops it and resubscribes', async () => {
    const { sim, source } = await start();
    const states: string[] = [];
    source.onState((s) => states.push(s));
    source.subscribe([MNQ]);
    await source.start();
    await until('subscribed', () => sim.subscriptions().length === 2);
    sim.faults.dropConnections();
    await until(
      'resubscribed after reconnect',
      () =>
        states.includes('reconnecting') && states.at(-1) === 'connected' && sim.subscriptions().length === 2,
      8_000,
    );
    sim.publish('/MNQZ25:XCME', { last: 21003 });
    await until('a trade after the reconnect', () => source.lastTrade(MNQ)?.priceTicks === 84_012);
  });
});

describe('the dxLink simulator against @dxfeed/dxlink-api itself', () => {
  async function officialClient(sim: DxLinkSimulator, token: string) {
    const api = await import('@dxfeed/dxlink-api');
    const client = new api.DXLinkWebSocketClient({ logLevel: api.DXLinkLogLevel.ERROR });
    cleanup.push(async () => client.close());
    client.connect(sim.url);
    client.setAuthToken(token);
    const feed = new api.DXLinkFeed(client, api.FeedContract.AUTO);
    feed.configure({
      acceptAggregationPeriod: 0.1,
      acceptDataFormat: api.FeedDataFormat.FULL,
      acceptEventFields: {
        Quote: ['eventType', 'eventSymbol', 'eventTime', 'bidPrice', 'askPrice', 'bidSize'],
      },
    });
    const events: Record<string, unknown>[] = [];
    feed.addEventListener((batch) => events.push(...(batch as Record<string, unknown>[])));
    feed.addSubscriptions({ type: 'Quote', symbol: '/MNQZ25:XCME' });
    return { client, feed, events };
  }

  it('connects, authorizes once, subscribes and receives quotes; a missing value arrives as the protocol sends it', async () => {
    // No token required, yet the client sends one: AUTHORIZED must still come once, or the
    // client requests its channels again on the second one.
    const sim = await startDxLinkSimulator();
    cleanup.push(() => sim.close());
    const { events } = await officialClient(sim, 'any-token');
    await until('the subscription', () => sim.subscriptions().length === 1);
    await until('the feed subscription', () => sim.received.some((m) => m.type === 'FEED_SUBSCRIPTION'));
    expect(sim.received.filter((m) => m.type === 'CHANNEL_REQUEST')).toHaveLength(1);
    sim.publish('/MNQZ25:XCME', { bid: 21000.25 });
    await until('a quote', () => events.length > 0);
    expect(events[0]).toEqual({
      eventType: 'Quote',
      eventSymbol: '/MNQZ25:XCME',
      eventTime: 0,
      bidPrice: 21000.25,
      askPrice: 'NaN',
      bidSize: 1,
    });
    expect(sim.received.filter((m) => m.type === 'CHANNEL_REQUEST')).toHaveLength(1);
    expect(sim.received.filter((m) => m.type === 'FEED_SUBSCRIPTION').length).toBeGreaterThanOrEqual(1);
  });

  it('with a token required: UNAUTHORIZED after SETUP, one AUTHORIZED after a good AUTH, quotes flow', async () => {
    const sim = await startDxLinkSimulator({ token: 'secret-token' });
    cleanup.push(() => sim.close());
    const { client, events } = await officialClient(sim, 'secret-token');
    const states: string[] = [];
    client.addAuthStateChangeListener((state) => states.push(String(state)));
    await until('the subscription', () => sim.subscriptions().length === 1);
    sim.publish('/MNQZ25:XCME', { bid: 21000.25, ask: 21000.5 });
    await until('a quote', () => events.length > 0);
    expect(events[0]).toMatchObject({ bidPrice: 21000.25, askPrice: 21000.5 });
    expect(states.filter((s) => s === 'AUTHORIZED')).toHaveLength(1);
    expect(sim.received.filter((m) => m.type === 'CHANNEL_REQUEST')).toHaveLength(1);
  });
});
