import { describe, expect, it } from 'vitest';
import {
  BrokerAuthError,
  BrokerDisconnectedError,
  type BrokerEvent,
  BrokerRateLimitedError,
  createEngine,
  type Engine,
  PaperBroker,
  parseEngineConfig,
  SimulatedExchange,
  VirtualClock,
} from '../../src/index.js';
import { MNQ, T0 } from './harness.js';

/**
 * An engine whose one paper connection fails its first `refusals` connects with `error`,
 * saying `disconnected` each time as an adapter does.
 */
function engineRefusing(refusals: number, error: () => Error, policy: 'alert' | 'align' = 'alert') {
  const clock = new VirtualClock(T0);
  const config = parseEngineConfig({
    leader: { account: 'LEAD' },
    followers: [{ name: 'a', account: 'A' }],
    engine: { reconcile: policy },
  });
  const exchange = new SimulatedExchange({ clock, latencyMs: 0, idPrefix: 'P' });
  const broker = new PaperBroker(exchange, ['A'], { startingBalance: 50_000_000 });
  const connect = broker.connect.bind(broker);
  const onEvent = broker.onEvent.bind(broker);
  const listeners: ((e: BrokerEvent) => void)[] = [];
  broker.onEvent = (listener) => {
    listeners.push(listener);
    return onEvent(listener);
  };
  let attempts = 0;
  broker.connect = () => {
    if (++attempts > refusals) return connect();
    const refused = error();
    for (const l of listeners)
      l({ type: 'connection-changed', state: 'disconnected', reason: refused.message });
    return Promise.reject(refused);
  };
  const engine = createEngine(config, { clock, connections: { paper: broker } });
  const events: string[] = [];
  engine.on((e) => {
    if (e.type === 'follower-recovery' || e.type === 'position-reconciled') events.push(e.type);
  });
  return { engine, clock, exchange, broker, attempts: () => attempts, events };
}

/** Starts the engine and runs its clock until nothing waits: whether the start finished. */
async function startedOnVirtualTime(engine: Engine, clock: VirtualClock): Promise<boolean> {
  let started = false;
  const start = engine.start().then(() => {
    started = true;
  });
  await clock.runUntilIdle();
  await start;
  return started;
}

describe('opening a connection', () => {
  it('waits out a rate-limited login as long as the broker asks, then starts', async () => {
    const { engine, clock, attempts } = engineRefusing(3, () => new BrokerRateLimitedError('paper', 5000));
    expect(await startedOnVirtualTime(engine, clock)).toBe(true);
    expect(attempts()).toBe(4);
    expect(clock.now() - T0).toBe(15_000);
    expect(engine.openConnections()).toEqual(['paper']);
    await engine.stop();
  });

  it('fails at once on a refusal that waiting cannot change', async () => {
    const { engine, clock, attempts } = engineRefusing(1, () => new BrokerAuthError('paper', 'bad password'));
    const refused = expect(engine.start()).rejects.toBeInstanceOf(BrokerAuthError);
    await clock.runUntilIdle();
    await refused;
    expect(attempts()).toBe(1);
  });

  it('gives up once the wait would pass its budget', async () => {
    const { engine, clock, attempts } = engineRefusing(
      100,
      () => new BrokerRateLimitedError('paper', 50_000),
    );
    const refused = expect(engine.start()).rejects.toBeInstanceOf(BrokerRateLimitedError);
    await clock.runUntilIdle();
    await refused;
    expect(attempts()).toBe(3);
  });

  it('tries a broker it cannot reach again, with growing waits, and starts once it answers', async () => {
    const { engine, clock, exchange, broker, attempts, events } = engineRefusing(
      4,
      () => new BrokerDisconnectedError('paper', 'socket: connect ECONNREFUSED 127.0.0.1:1'),
      'align',
    );
    // The account holds a contract the (flat) leader does not: an outage's recovery would align it.
    exchange.updateQuote(MNQ, { bidTicks: 83_999, askTicks: 84_000 });
    await exchange.placeOrder({
      ...{ accountId: 'A', clientOrderId: 'before', contract: MNQ, side: 'buy', qty: 1 },
      orderType: 'market',
    });
    expect(await startedOnVirtualTime(engine, clock)).toBe(true);
    expect(attempts()).toBe(5);
    // 0.5 + 1 + 2 + 4 s between the five attempts.
    expect(clock.now() - T0).toBe(7_500);
    expect(engine.openConnections()).toEqual(['paper']);
    // The first open's failed attempts are no outage: nothing is recovered (or sold) when it
    // comes up; start-up recovery, which knows the journal and the leader, decides.
    expect(events).toEqual([]);
    expect((await broker.getPositions('A')).map((p) => p.netQty)).toEqual([1]);
    await engine.stop();
  });

  it('fails with the broker error after about a minute of not reaching it', async () => {
    const { engine, clock, attempts } = engineRefusing(
      1_000,
      () => new BrokerDisconnectedError('paper', 'socket: connect ECONNREFUSED 127.0.0.1:1'),
    );
    const refused = expect(engine.start()).rejects.toThrow(/ECONNREFUSED 127\.0\.0\.1:1/);
    await clock.runUntilIdle();
    await refused;
    // 0.5, 1, 2, 4, then 8 s waits until the next would pass 60 s.
    expect(attempts()).toBe(11);
    expect(clock.now() - T0).toBeLessThanOrEqual(60_000);
  });

  it('stops trying when the engine stops during a wait, and starts nothing', async () => {
    const { engine, clock, attempts } = engineRefusing(
      1_000,
      () => new BrokerDisconnectedError('paper', 'socket: connect ECONNREFUSED 127.0.0.1:1'),
    );
    const refused = expect(engine.start()).rejects.toMatchObject({ code: 'TN_ERR_ENGINE_STOPPED' });
    await clock.advanceBy(2_000);
    const before = attempts();
    await engine.stop();
    await clock.runUntilIdle();
    await refused;
    expect(attempts()).toBe(before);
    expect(engine.openConnections()).toEqual([]);
  });
});
