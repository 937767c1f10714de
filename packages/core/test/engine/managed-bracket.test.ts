import { describe, expect, it } from 'vitest';
import { planChildren } from '../../src/engine/index.js';
import {
  type AdapterCapabilities,
  createEngine,
  type EngineEvent,
  PaperBroker,
  parseEngineConfig,
  priceToTicks,
  SimulatedExchange,
  VirtualClock,
} from '../../src/index.js';
import { PAPER_CAPABILITIES } from '../../src/paper/index.js';
import { MNQ, T0 } from './harness.js';

/** The paper broker, told to say it has no native brackets: the engine must hold them. */
class NoBracketBroker extends PaperBroker {
  override readonly capabilities: AdapterCapabilities = {
    ...PAPER_CAPABILITIES,
    brackets: false,
    nativeOco: false,
  };
}

async function setup() {
  const clock = new VirtualClock(T0);
  const exchange = new SimulatedExchange({ clock, idPrefix: 'P' });
  const config = parseEngineConfig({
    leader: { account: 'LEAD' },
    followers: [{ name: 'a', account: 'A', scaling: { mode: 'fixed', qty: 2 } }],
  });
  const engine = createEngine(config, {
    clock,
    connections: { paper: new NoBracketBroker(exchange, ['A']) },
  });
  const events: EngineEvent[] = [];
  engine.on((e) => events.push(e));
  await engine.start();
  const price = async (p: string) => {
    const t = priceToTicks(p, '0.25');
    exchange.updateQuote(MNQ, { bidTicks: t - 1, askTicks: t });
    exchange.updateTrade(MNQ, t);
    await clock.runUntilIdle();
    await engine.idle();
  };
  return { clock, exchange, engine, events, price };
}

describe('engine-managed brackets', () => {
  it('places the children after the entry fills and cancels the survivor when one fills', async () => {
    const { clock, exchange, engine, events, price } = await setup();
    await price('21000.25');
    const r = engine.submit({
      signalId: 's1',
      action: 'new',
      leaderOrderId: 'L1',
      instrument: 'MNQZ5',
      side: 'buy',
      qty: 1,
      orderType: 'market',
      fillPrice: '21000.25',
      bracket: { stopLoss: { ticks: 40 }, takeProfit: { ticks: 40 } },
      time: clock.now(),
    });
    await clock.runUntilIdle();
    await r;
    await engine.idle();
    // The broker got the entry alone; the engine placed a stop and a limit for the 2 filled.
    const open = exchange
      .getOpenOrders('A')
      .map((o) => `${o.orderType} ${o.side} ${o.qty} @ ${o.stopTicks ?? o.limitTicks}`)
      .sort();
    expect(open).toEqual(['limit sell 2 @ 84041', 'stop sell 2 @ 83961']);
    await price('21010.25');
    expect(exchange.getOpenOrders('A')).toEqual([]);
    expect(engine.positions('a')[0]?.netQty).toBe(0);
    const legs = events
      .filter((e) => e.type === 'intent-created')
      .map((e) => (e as { intent: { leg: string; action: string } }).intent);
    expect(legs.map((i) => `${i.leg}:${i.action}`)).toEqual([
      'entry:place',
      'stop-loss:place',
      'take-profit:place',
      'stop-loss:cancel',
    ]);
  });

  it('moves the held stop when the leader moves its stop-loss', async () => {
    const { clock, exchange, engine, price } = await setup();
    await price('21000.25');
    void engine.submit({
      signalId: 's1',
      action: 'new',
      leaderOrderId: 'L1',
      instrument: 'MNQZ5',
      side: 'buy',
      qty: 1,
      orderType: 'market',
      fillPrice: '21000.25',
      bracket: { stopLoss: { ticks: 40 } },
      time: clock.now(),
    });
    await clock.runUntilIdle();
    await engine.idle();
    await price('21005.00');
    const m = engine.submit({
      signalId: 's2',
      action: 'modify',
      leaderOrderId: 'L1',
      leg: 'stop-loss',
      stopPrice: '21000.25',
      time: clock.now(),
    });
    await clock.runUntilIdle();
    expect((await m).ok).toBe(true);
    expect(exchange.getOpenOrders('A').map((o) => o.stopTicks)).toEqual([84001]);
  });
});

describe('planning the children', () => {
  const child = (filled = 0, qty = 0, orderId?: string) => ({
    intentId: 'c',
    qty,
    filled,
    ticks: 1,
    ...(orderId ? { orderId } : {}),
  });
  const entry = {} as never;

  it('grows with partial fills of the entry and shrinks with fills of a child', () => {
    expect(
      planChildren({ entry, leaderOrderId: 'L', filled: 1, stopLoss: child(), takeProfit: child() }),
    ).toEqual([
      { which: 'stop-loss', action: 'place', qty: 1 },
      { which: 'take-profit', action: 'place', qty: 1 },
    ]);
    expect(
      planChildren({
        entry,
        leaderOrderId: 'L',
        filled: 3,
        stopLoss: child(0, 1, 'x'),
        takeProfit: child(0, 1, 'y'),
      }),
    ).toEqual([
      { which: 'stop-loss', action: 'resize', qty: 3 },
      { which: 'take-profit', action: 'resize', qty: 3 },
    ]);
    expect(
      planChildren({
        entry,
        leaderOrderId: 'L',
        filled: 3,
        stopLoss: child(1, 3, 'x'),
        takeProfit: child(0, 3, 'y'),
      }),
    ).toEqual([
      { which: 'stop-loss', action: 'none', qty: 3 },
      { which: 'take-profit', action: 'resize', qty: 2 },
    ]);
    expect(
      planChildren({
        entry,
        leaderOrderId: 'L',
        filled: 3,
        stopLoss: child(3, 3, 'x'),
        takeProfit: child(0, 2, 'y'),
      }),
    ).toEqual([
      { which: 'stop-loss', action: 'none', qty: 3 },
      { which: 'take-profit', action: 'cancel', qty: 0 },
    ]);
  });
});
