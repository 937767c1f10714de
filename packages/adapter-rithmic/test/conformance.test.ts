import { runConformanceSuite } from '@tradenova/core/testing';
import { startPair } from './helpers.js';

// The whole suite against the Rithmic simulator, over real WebSockets on loopback, in both framings.
for (const framing of ['prefixed', 'raw'] as const) {
  runConformanceSuite({
    name: `rithmic (${framing})`,
    start: async () => {
      const { sim, connection, accountId } = await startPair(
        { exchangeOptions: { partialFills: true, seed: 7 } },
        { framing },
      );
      return {
        connection,
        accountId,
        // A second demo account as the leader: the leader case also checks the first one's events are ignored.
        leaderAccountId: sim.accounts[1]!.id,
        setMarket: (contract, market) => {
          sim.exchange.updateQuote(contract, { bidTicks: market.bidTicks, askTicks: market.askTicks });
          if (market.lastTicks !== undefined) sim.exchange.updateTrade(contract, market.lastTicks);
        },
        cutConnection: () => sim.faults.dropConnections(),
        faults: {
          rejectNext: (reason) => sim.faults.rejectNext(1, reason),
          rateLimitNext: () => sim.faults.rateLimitNext(1),
          loseNextResponse: () => sim.faults.loseNextResponse(),
        },
        partialFills: true,
        stop: () => sim.close(),
      };
    },
    skip: {
      bracket:
        'brackets are engine-managed on Rithmic (capabilities.brackets false): native 330 legs are tick offsets from the fill and get ids only after it',
      'token-renewal': 'Rithmic sessions have no token; heartbeats keep them (tested in rithmic.test.ts)',
    },
  });
}
