import { describe, expect, it } from 'vitest';
import { connectionsOfPartitions, routedPartition, routeSignal } from '../../src/engine/index.js';
import {
  createEngine,
  PaperBroker,
  parseEngineConfig,
  priceToTicks,
  SimulatedExchange,
  VirtualClock,
} from '../../src/index.js';
import { holdBefore, MNQ, T0 } from './harness.js';

describe('routedPartition', () => {
  it('is a pure function of the connection key, within the partition count', () => {
    for (const key of ['tradovate', 'rithmic-apex', 'p07', 'ünïcode']) {
      const p = routedPartition(key, 10);
      expect(p).toBe(routedPartition(key, 10));
      expect(Number.isInteger(p) && p >= 0 && p < 10).toBe(true);
    }
    expect(routedPartition('anything', 1)).toBe(0);
  });

  it('spreads many connections over the partitions', () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 1000; i++) counts[routedPartition(`login-${i}`, 10)]!++;
    // A fixed hash over fixed keys: the same counts every run; none empty, none hoarding.
    expect(Math.min(...counts)).toBeGreaterThan(60);
    expect(Math.max(...counts)).toBeLessThan(140);
  });

  it('refuses a partition count that is not a positive integer', () => {
    expect(() => routedPartition('x', 0)).toThrow(/positive integer/);
    expect(() => routedPartition('x', 2.5)).toThrow(/positive integer/);
  });
});

describe('connectionsOfPartitions', () => {
  const config = parseEngineConfig({
    leader: { broker: 'paper', account: 'LEAD', connection: 'lead' },
    connections: Object.fromEntries(
      ['lead', 'c0', 'c1', 'c2', 'c3', 'c4', 'c5'].map((k) => [k, { broker: 'paper' }]),
    ),
    followers: Array.from({ length: 18 }, (_, i) => ({
      name: `f${i}`,
      account: `A${i}`,
      connection: `c${i % 6}`,
    })),
  });

  it('gives every follower connection to exactly one of two members that split the partitions', () => {
    const first = connectionsOfPartitions(config, [0, 1, 2, 3, 4], 10);
    const second = connectionsOfPartitions(config, [5, 6, 7, 8, 9], 10);
    expect(first.filter((k) => second.includes(k))).toEqual([]);
    expect([...first, ...second].sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
    // The leader's own login is not an executor's to hold.
    expect([...first, ...second]).not.toContain('lead');
  });

  it("stamps each routed intent with its follower's login, the key of its partition", () => {
    const routed = routeSignal(
      config,
      {
        signalId: 's1',
        leaderAccount: 'LEAD',
        action: 'new',
        leaderOrderId: 'L1',
        instrument: 'MNQZ5',
        side: 'buy',
        qty: 1,
        orderType: 'market',
        detectedAt: T0,
        receivedAt: T0,
      },
      T0,
    );
    expect(routed.map((r) => r.connection)).toEqual(config.followers.map((_, i) => `c${i % 6}`));
  });
});

describe('an engine that opens only the connections it is given', () => {
  async function twoLogins() {
    const clock = new VirtualClock(T0);
    const exchange = new SimulatedExchange({ clock });
    const x = new PaperBroker(exchange, ['LEAD', 'X1'], { startingBalance: 50_000_000 });
    const y = new PaperBroker(exchange, ['Y1'], { startingBalance: 50_000_000 });
    const ticks = priceToTicks('21000.25', '0.25');
    exchange.updateQuote(MNQ, { bidTicks: ticks - 1, askTicks: ticks });
    // Both accounts hold a position before the run.
    await holdBefore(exchange, MNQ, { X1: 1, Y1: 1 });
    await clock.runUntilIdle();
    const config = parseEngineConfig({
      leader: { account: 'LEAD', connection: 'x' },
      connections: { x: { broker: 'paper' }, y: { broker: 'paper' } },
      followers: [
        { name: 'fx', account: 'X1', connection: 'x' },
        { name: 'fy', account: 'Y1', connection: 'y' },
      ],
    });
    const connects = { x: 0, y: 0 };
    for (const [key, broker] of [
      ['x', x],
      ['y', y],
    ] as const) {
      const connect = broker.connect.bind(broker);
      broker.connect = () => {
        connects[key]++;
        return connect();
      };
    }
    const engine = createEngine(config, { clock, connections: { x, y }, connectOnStart: false });
    return { clock, exchange, engine, x, y, connects };
  }

  it('connects nothing at start, then one login once however many ask, and books what its accounts hold', async () => {
    const { engine, x, y, connects } = await twoLogins();
    await engine.start();
    expect(engine.openConnections()).toEqual([]);
    expect([x.health().state, y.health().state]).toEqual(['disconnected', 'disconnected']);
    await Promise.all([engine.openConnection('x'), engine.openConnection('x')]);
    expect(connects).toEqual({ x: 1, y: 0 });
    expect(engine.openConnections()).toEqual(['x']);
    expect(engine.positions('fx').map((p) => p.netQty)).toEqual([1]);
    expect(engine.positions('fy')).toEqual([]);
    await engine.stop();
  });

  it('flattens and reconciles only the followers of the logins it holds', async () => {
    const { clock, exchange, engine } = await twoLogins();
    const aboutFy: unknown[] = [];
    engine.on((e) => {
      if ('follower' in e && e.follower === 'fy') aboutFy.push(e);
    });
    await engine.start();
    await engine.openConnection('x');
    const flattening = engine.flatten();
    await clock.runUntilIdle();
    await flattening;
    await clock.runUntilIdle();
    const net = (a: string) => exchange.getPositions(a).reduce((n, p) => n + p.netQty, 0);
    expect([net('X1'), net('Y1')]).toEqual([0, 1]);
    expect([...(await engine.reconcile('fy', 'alert')).keys()]).toEqual([]);
    // Not even tried: fy's login belongs to another process, which flattens it there.
    expect(aboutFy).toEqual([]);
    await engine.stop();
  });

  it('closes a login after its queued work and can open it again', async () => {
    const { engine, x, connects } = await twoLogins();
    await engine.start();
    await engine.openConnection('x');
    await engine.closeConnection('x');
    expect(x.health().state).toBe('disconnected');
    expect(engine.openConnections()).toEqual([]);
    await engine.openConnection('x');
    expect(x.health().state).toBe('connected');
    expect(connects.x).toBe(2);
    await expect(engine.openConnection('nope')).rejects.toThrow(/no broker connection "nope"/);
    await engine.stop();
    expect(x.health().state).toBe('disconnected');
  });
});
