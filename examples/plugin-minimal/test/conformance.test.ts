import { SimulatedExchange, systemClock } from '@tradenova/core';
import { runConformanceSuite } from '@tradenova/core/testing';
import plugin from '../src/index.js';
import { startMinimalServer } from '../src/server.js';

// An adapter written outside the engine, against the public entries only, passes the same kit.
runConformanceSuite({
  name: 'minimal example plugin (examples/plugin-minimal)',
  start: async () => {
    const exchange = new SimulatedExchange({ clock: systemClock, partialFills: true, seed: 7 });
    const server = await startMinimalServer(exchange, ['M-1', 'M-LEADER']);
    return {
      connection: plugin.create(plugin.configSchema.parse({ port: server.port }), undefined as never),
      accountId: 'M-1',
      leaderAccountId: 'M-LEADER',
      setMarket: (contract, market) => {
        exchange.updateQuote(contract, { bidTicks: market.bidTicks, askTicks: market.askTicks });
        if (market.lastTicks !== undefined) exchange.updateTrade(contract, market.lastTicks);
      },
      faults: {
        rejectNext: (reason) => exchange.faults.rejectNext(1, reason),
        rateLimitNext: () => exchange.faults.rateLimitNext(1, 1_000),
      },
      partialFills: true,
      stop: () => server.close(),
    };
  },
  skip: {
    'token-renewal': 'the example protocol has no login and no token',
    reconnect: 'kept minimal: the example does not reconnect (a real adapter must pass this case)',
  },
});
