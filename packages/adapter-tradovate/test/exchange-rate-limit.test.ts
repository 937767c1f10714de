import {
  defaultInstruments,
  frontMonth,
  SimulatedExchange,
  silentLogger,
  systemClock,
} from '@tradenova/core';
import { afterEach, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { startTradovateSimulator } from '../src/simulator/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the simulator answers an exchange rate limit in Tradovate words', () => {
  it('a short one is a time penalty the adapter waits out and resends with its ticket (not a one-hour 429)', async () => {
    const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: 'tv-' });
    const contract = frontMonth(defaultInstruments.get('MNQ'), Date.now());
    exchange.updateTrade(contract, 84_000);
    const sim = await startTradovateSimulator({ port: 0, exchange, accounts: [{ id: 900_001, name: 'A' }] });
    cleanups.push(() => sim.close());
    const connection = plugin.create(
      plugin.configSchema.parse({
        baseUrl: sim.url,
        wsUrl: sim.wsUrl,
        username: 'simulator',
        password: 'simulator',
        accounts: ['A'],
      }),
      { clock: systemClock, logger: silentLogger, instruments: defaultInstruments },
    );
    await connection.connect();
    cleanups.push(() => connection.disconnect());
    // What the chaos `rate-limit` fault does: the exchange refuses the next request for 300 ms.
    exchange.faults.rateLimitNext(1, 300);
    const ack = await connection.placeOrder({
      accountId: 'A',
      clientOrderId: 'after-penalty',
      contract,
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitTicks: 83_000,
    });
    expect(['pending', 'working']).toContain(ack.status);
    expect(sim.stats().penalties).toBe(1);
    expect(exchange.getOpenOrders('A').map((o) => o.clientOrderId)).toEqual(['after-penalty']);
  });
});
