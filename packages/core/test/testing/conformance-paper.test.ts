import { systemClock } from '../../src/clock/clock.js';
import { PaperBroker } from '../../src/paper/paper-broker.js';
import { SimulatedExchange } from '../../src/paper/simulated-exchange.js';
import { runConformanceSuite } from '../../src/testing/conformance.js';

// The suite must hold for the reference broker too: proof that it asks only what the contract promises.
runConformanceSuite({
  name: 'paper (reference)',
  start: async () => {
    const exchange = new SimulatedExchange({ clock: systemClock, partialFills: true, seed: 7 });
    const connection = new PaperBroker(exchange, ['paper-1', 'paper-leader']);
    return {
      connection,
      accountId: 'paper-1',
      // A second account as the leader: the leader case also checks paper-1's events are ignored.
      leaderAccountId: 'paper-leader',
      setMarket: (contract, market) => {
        exchange.updateQuote(contract, { bidTicks: market.bidTicks, askTicks: market.askTicks });
        if (market.lastTicks !== undefined) exchange.updateTrade(contract, market.lastTicks);
      },
      faults: {
        rejectNext: (reason) => exchange.faults.rejectNext(1, reason),
        rateLimitNext: () => exchange.faults.rateLimitNext(1, 1_000),
      },
      partialFills: true,
      stop: async () => {},
    };
  },
  skip: {
    'token-renewal': 'the paper broker has no login and no token',
    reconnect: 'the paper broker is in-process: there is no connection to cut',
  },
});
