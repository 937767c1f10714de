import { runConformanceSuite } from '@tradenova/core/testing';
import { startPair } from './helpers.js';

// The whole suite against the Sierra Chart simulator, DTC JSON over real loopback TCP.
runConformanceSuite({
  name: 'sierrachart',
  start: async () => {
    const { sim, connection } = await startPair({ exchangeOptions: { partialFills: true, seed: 11 } });
    return {
      connection,
      accountId: 'Sim1',
      // A second trade account as the leader: the leader case also checks Sim1's events are ignored.
      leaderAccountId: 'Sim2',
      setMarket: (contract, market) => {
        sim.exchange.updateQuote(contract, { bidTicks: market.bidTicks, askTicks: market.askTicks });
        if (market.lastTicks !== undefined) sim.exchange.updateTrade(contract, market.lastTicks);
      },
      cutConnection: () => sim.faults.dropConnections(),
      faults: {
        rejectNext: (reason) => sim.faults.rejectNext(1, reason),
        rateLimitNext: () => {},
        loseNextResponse: () => sim.faults.loseNextResponse(),
      },
      partialFills: true,
      stop: () => sim.close(),
    };
  },
  skip: {
    'rate-limit': 'DTC has no rate-limit answer',
    'token-renewal': 'DTC logs on once per connection: there is no token to renew',
  },
});
