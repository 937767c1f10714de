import { describe, expect, it } from 'vitest';
import {
  createEngine,
  defaultInstruments,
  LeaderMirror,
  PaperBroker,
  parseEngineConfig,
  type SignalResult,
  SimulatedExchange,
  type Source,
  VirtualClock,
  withLeaderMirror,
} from '../../src/index.js';
import { holdBefore, MNQ, T0 } from '../engine/harness.js';

/** A source that hands the engine whatever the test pushes, as Kafka or a webhook would. */
function pushSource() {
  let submit: ((raw: unknown) => Promise<SignalResult>) | undefined;
  const source: Source = {
    name: 'push',
    start: async (s) => {
      submit = s;
    },
    stop: async () => {},
  };
  return { source, push: (raw: unknown) => submit!(raw) };
}

async function setup(before?: (exchange: SimulatedExchange) => Promise<void>) {
  const clock = new VirtualClock(T0);
  const exchange = new SimulatedExchange({ clock });
  const paper = new PaperBroker(exchange, ['A', 'B'], { startingBalance: 50_000_000 });
  exchange.updateQuote(MNQ, { bidTicks: 84_000, askTicks: 84_001 });
  if (before) {
    await before(exchange);
    await clock.runUntilIdle();
  }
  const config = parseEngineConfig({
    leader: { account: 'LEAD' },
    followers: [
      { name: 'a', account: 'A', scaling: { mode: 'fixed', qty: 1 } },
      { name: 'b', account: 'B', scaling: { mode: 'multiplier', factor: 3 } },
    ],
  });
  const engine = createEngine(config, { clock, connections: { paper } });
  const mirror = new LeaderMirror({
    accountId: 'LEAD',
    clock,
    instruments: defaultInstruments,
    onLeaderFill: (fill) => engine.applyLeaderFill(fill),
  });
  const { source, push } = pushSource();
  engine.addSource(withLeaderMirror(source, mirror, { leaderAccount: 'LEAD', clock }));
  await engine.start();
  const net = (name: string) => engine.positions(name).find((p) => p.contract.root === 'MNQ')?.netQty ?? 0;
  const send = async (raw: object) => {
    const r = push({ time: clock.now(), instrument: 'MNQZ5', orderType: 'market', ...raw });
    await clock.runUntilIdle();
    await engine.idle();
    return r;
  };
  return { engine, mirror, net, send };
}

describe('signals without the leader broker behind them (Kafka, webhook)', () => {
  it('a sell that reverses the leader long reverses followers by their own rules', async () => {
    const { net, send, mirror } = await setup();
    await send({
      signalId: 's1',
      action: 'new',
      leaderOrderId: 'L1',
      side: 'buy',
      qty: 2,
      fillPrice: '21000.25',
    });
    expect([net('a'), net('b')]).toEqual([1, 6]);
    expect(mirror.netQty(MNQ)).toBe(2);
    // Leader 2 → -1: the fixed-size follower closes its 1 and opens 1 short. Read as a fresh
    // entry (no leader position known) it would only sell 1 and end flat.
    await send({
      signalId: 's2',
      action: 'new',
      leaderOrderId: 'L2',
      side: 'sell',
      qty: 3,
      fillPrice: '21001.00',
    });
    expect([net('a'), net('b')]).toEqual([-1, -3]);
    expect(mirror.netQty(MNQ)).toBe(-1);
  });

  it('a redelivered signal moves neither the leader nor the followers again', async () => {
    const { net, send, mirror } = await setup();
    const entry = {
      signalId: 's1',
      action: 'new',
      leaderOrderId: 'L1',
      side: 'buy',
      qty: 1,
      fillPrice: '21000.25',
    };
    await send(entry);
    const again = await send(entry);
    expect(again.ok).toBe(false);
    expect(mirror.netQty(MNQ)).toBe(1);
    expect([net('a'), net('b')]).toEqual([1, 3]);
  });

  it('a signal that does not parse is refused by the engine and leaves the mirror alone', async () => {
    const { send, mirror } = await setup();
    const r = await send({ signalId: 's1', action: 'new', leaderOrderId: 'L1', side: 'up', qty: 1 });
    expect(r).toMatchObject({ ok: false, error: { field: 'side' } });
    expect(mirror.netQty(MNQ)).toBe(0);
  });

  describe('a copier restarted while the leader is long 2 (followers hold 1 and 6, the mirror knows nothing)', () => {
    const holding = (exchange: SimulatedExchange) => holdBefore(exchange, MNQ, { A: 1, B: 6 });
    const exit = {
      signalId: 'x1',
      action: 'new',
      leaderOrderId: 'LX',
      side: 'sell',
      qty: 1,
      fillPrice: '21001.00',
    };

    it('a partial exit that states the leader position after it (long 1) is scaled as an exit', async () => {
      const { net, send, mirror } = await setup(holding);
      expect([net('a'), net('b')]).toEqual([1, 6]);
      const r = await send({ ...exit, leaderPosition: 1 });
      expect(r.ok).toBe(true);
      expect(mirror.netQty(MNQ)).toBe(1);
      // The fixed-size follower keeps its 1 while the leader is still long; ×3 goes to 3.
      expect([net('a'), net('b')]).toEqual([1, 3]);
    });

    it('without it, the same exit reads as a new short entry (what the position field is for)', async () => {
      const { net, send, mirror } = await setup(holding);
      await send(exit);
      expect(mirror.netQty(MNQ)).toBe(-1);
      // The fixed-size follower sells its entry size and is flat while the leader is still long.
      expect([net('a'), net('b')]).toEqual([0, 3]);
    });
  });

  it('a stated position agreeing with the mirror changes nothing; one on a limit order is refused by name', async () => {
    const { net, send, mirror } = await setup();
    await send({
      signalId: 's1',
      action: 'new',
      leaderOrderId: 'L1',
      side: 'buy',
      qty: 2,
      fillPrice: '21000.25',
      leaderPosition: 2,
    });
    expect(mirror.netQty(MNQ)).toBe(2);
    expect([net('a'), net('b')]).toEqual([1, 6]);
    const r = await send({
      signalId: 's2',
      action: 'new',
      leaderOrderId: 'L2',
      side: 'sell',
      qty: 1,
      orderType: 'limit',
      limitPrice: '21010.00',
      leaderPosition: 1,
    });
    expect(r).toMatchObject({ ok: false, error: { field: 'leaderPosition' } });
    expect(mirror.netQty(MNQ)).toBe(2);
  });
});
