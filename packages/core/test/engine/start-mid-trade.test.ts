import { describe, expect, it } from 'vitest';
import {
  createEngine,
  defaultInstruments,
  LeaderSignalSource,
  PaperBroker,
  parseEngineConfig,
  priceToTicks,
  SimulatedExchange,
  VirtualClock,
} from '../../src/index.js';
import { holdBefore, MNQ, T0 } from './harness.js';

describe('a run started while the leader and followers are already in a trade', () => {
  it('books what each holds at its broker, and the leader exit takes every follower flat', async () => {
    const clock = new VirtualClock(T0);
    const exchange = new SimulatedExchange({ clock });
    const paper = new PaperBroker(exchange, ['LEAD', 'A', 'B'], { startingBalance: 50_000_000 });
    const ticks = priceToTicks('21000.25', '0.25');
    exchange.updateQuote(MNQ, { bidTicks: ticks - 1, askTicks: ticks });
    // Before TradeNova starts: the leader is long 2, the followers long 2 and 4 (their own earlier copies).
    await holdBefore(exchange, MNQ, { LEAD: 2, A: 2, B: 4 });
    const config = parseEngineConfig({
      leader: { account: 'LEAD' },
      followers: [
        { name: 'a', account: 'A' },
        { name: 'b', account: 'B', scaling: { mode: 'multiplier', factor: 2 } },
      ],
    });
    const engine = createEngine(config, { clock, connections: { paper } });
    const leaderFills: number[] = [];
    engine.addSource(
      new LeaderSignalSource({
        connection: paper,
        accountId: 'LEAD',
        clock,
        instruments: defaultInstruments,
        onLeaderFill: (fill) => {
          leaderFills.push(fill.qty);
          engine.applyLeaderFill(fill);
        },
        onLeaderPositions: (held) => {
          for (const p of held) engine.seedLeaderPosition(p.contract, p.netQty);
        },
      }),
    );
    await engine.start();
    const net = (name: string) => engine.positions(name).find((p) => p.contract.root === 'MNQ')?.netQty ?? 0;
    expect([net('a'), net('b')]).toEqual([2, 4]);
    expect(engine.leaderPositions().get('MNQZ25')).toBe(2);
    expect(engine.targets('b').get('MNQZ25')).toBe(4);

    // The leader closes at its broker: followers follow the position, not a guess from zero.
    await exchange.placeOrder({
      accountId: 'LEAD',
      clientOrderId: 'exit',
      contract: MNQ,
      side: 'sell',
      qty: 2,
      orderType: 'market',
    });
    await clock.runUntilIdle();
    await engine.idle();
    await clock.runUntilIdle();
    expect(leaderFills).toEqual([2]);
    expect([net('a'), net('b')]).toEqual([0, 0]);
    expect(exchange.getPositions('A').filter((p) => p.netQty !== 0)).toEqual([]);
    await engine.stop();
  });
});
