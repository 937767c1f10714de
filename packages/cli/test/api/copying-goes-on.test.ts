import {
  createEngine,
  InMemoryBus,
  PaperBroker,
  parseEngineConfig,
  planConnections,
  SimulatedExchange,
  systemClock,
} from '@tradenova/core';
import { afterEach, describe, expect, it } from 'vitest';
import { auditTrail } from '../../src/api/audit.js';
import { memoryDenyList } from '../../src/api/deny-list.js';
import { type ApiServer, startApiServer } from '../../src/api/server.js';
import { sessionBackend } from '../../src/api/session-backend.js';
import { StreamClose } from '../../src/api/stream.js';
import { createMemoryStores } from '../../src/services/redis/memory-stores.js';
import { openStream, TEST_KEY, token } from './api-process.js';

// A real engine on the paper broker behind the API: a client that stops reading is dropped
// while every signal is still copied to every follower, and the other client sees it all.
describe('a slow stream client while copying goes on', () => {
  let server: ApiServer | undefined;
  let stopEngine: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await server?.close();
    await stopEngine?.();
  });

  it('is closed with 4001; the engine copies every signal; the reading client gets every event', async () => {
    const config = parseEngineConfig({
      leader: { account: 'LEAD' },
      followers: Array.from({ length: 20 }, (_, i) => ({ name: `f${i + 1}`, account: `A${i + 1}` })),
    });
    const exchange = new SimulatedExchange({ clock: systemClock, latencyMs: 0 });
    const broker = new PaperBroker(
      exchange,
      config.followers.map((f) => f.account),
      { startingBalance: 50_000_000 },
    );
    const bus = new InMemoryBus();
    const engine = createEngine(config, { connections: { paper: broker }, clock: systemClock, bus });
    const stores = createMemoryStores();
    const backend = sessionBackend(
      {
        engine,
        config,
        plans: planConnections(config),
        connections: { paper: broker },
        flatten: (f) => engine.flatten(f, 'requested'),
        mirrored: (s) => s,
      },
      { bus, services: { stores, journal: undefined }, settings: {} } as never,
    );
    server = await startApiServer({
      address: '127.0.0.1:0',
      backend,
      key: TEST_KEY,
      denyList: memoryDenyList(),
      audit: auditTrail({}),
      stream: { maxBufferedBytes: 128 * 1024, closeGraceMs: 60_000 },
    });
    await engine.start();
    stopEngine = () => engine.stop();
    const read = (await token('read')).token;
    const reader = await openStream(server.url, read);
    const slow = await openStream(server.url, read);
    await slow.next((m) => m.type === 'hello');
    slow.ws.pause();
    let lastSignal = '';
    for (let i = 1; i <= 400; i++) {
      lastSignal = `c-${i}`;
      const placed = await engine.submit({
        signalId: `n-${i}`,
        action: 'new',
        leaderOrderId: `L${i}`,
        instrument: 'MNQZ6',
        side: 'buy',
        qty: 1,
        orderType: 'limit',
        limitPrice: '1000.00',
      });
      // Copying goes on: every follower's order is placed, whatever the slow client does.
      expect(placed.ok && placed.outcomes.filter((o) => o.outcome === 'placed').length).toBe(20);
      await engine.submit({ signalId: lastSignal, action: 'cancel', leaderOrderId: `L${i}` });
      // The reading client keeps up (it shares this process with the engine); the slow one reads nothing.
      const from = Math.max(0, reader.messages.length - 200);
      await reader.next((m) => m.type === 'signal-completed' && m.signalId === lastSignal, 30_000, from);
    }
    const seqs = reader.messages.filter((m) => typeof m.seq === 'number').map((m) => m.seq as number);
    expect(seqs).toEqual(seqs.map((_, k) => seqs[0]! + k));
    slow.ws.resume();
    expect((await slow.closed).code).toBe(StreamClose.SlowClient);
    reader.ws.close();
  }, 120_000);
});
