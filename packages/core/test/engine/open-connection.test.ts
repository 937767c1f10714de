import { describe, expect, it } from 'vitest';
import {
  BrokerAuthError,
  BrokerRateLimitedError,
  createEngine,
  PaperBroker,
  parseEngineConfig,
  SimulatedExchange,
  VirtualClock,
} from '../../src/index.js';
import { T0 } from './harness.js';

/** An engine whose one paper connection fails its first `refusals` connects with `error`. */
function engineRefusing(refusals: number, error: () => Error) {
  const clock = new VirtualClock(T0);
  const config = parseEngineConfig({ leader: { account: 'LEAD' }, followers: [{ name: 'a', account: 'A' }] });
  const exchange = new SimulatedExchange({ clock, latencyMs: 0, idPrefix: 'P' });
  const broker = new PaperBroker(exchange, ['A'], { startingBalance: 50_000_000 });
  const connect = broker.connect.bind(broker);
  let attempts = 0;
  broker.connect = () => (++attempts <= refusals ? Promise.reject(error()) : connect());
  const engine = createEngine(config, { clock, connections: { paper: broker } });
  return { engine, clock, attempts: () => attempts };
}

describe('opening a connection', () => {
  it('waits out a rate-limited login as long as the broker asks, then starts', async () => {
    const { engine, clock, attempts } = engineRefusing(3, () => new BrokerRateLimitedError('paper', 5000));
    let started = false;
    const start = engine.start().then(() => {
      started = true;
    });
    await clock.runUntilIdle();
    await start;
    expect(started).toBe(true);
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
});
