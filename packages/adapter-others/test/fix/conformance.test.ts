import { systemClock } from '@tradenova/core';
import { runConformanceSuite, SimulatedExchange } from '@tradenova/core/testing';
import { startPair } from './helpers.js';

// The whole suite against the FIX acceptor simulator, FIX 4.4 over real loopback TCP.
runConformanceSuite({
  name: 'fix 4.4',
  start: async () => {
    const exchange = new SimulatedExchange({ clock: systemClock, partialFills: true, seed: 7 });
    const { sim, connection } = await startPair({ version: '4.4', exchange });
    return {
      connection,
      accountId: 'FIX1',
      setMarket: (contract, market) => {
        sim.exchange.updateQuote(contract, { bidTicks: market.bidTicks, askTicks: market.askTicks });
        if (market.lastTicks !== undefined) sim.exchange.updateTrade(contract, market.lastTicks);
      },
      cutConnection: () => sim.faults.dropConnections(),
      faults: {
        rejectNext: (reason) => sim.faults.rejectNext(1, reason),
        rateLimitNext: () => sim.faults.rateLimitNext(1, 1_000),
        loseNextResponse: () => sim.faults.loseNextResponse(),
      },
      partialFills: true,
      stop: () => sim.close(),
    };
  },
  skip: {
    bracket: 'FIX 4.x has no native brackets: the engine manages them as OCO (brackets: false)',
    'token-renewal': 'a FIX session logs on once (Logon 35=A): there is no token to renew',
  },
});
