import { runConformanceSuite } from '@tradenova/core/testing';
import { startPair } from './helpers.js';

// The whole suite against the ProjectX simulator, over real REST and SignalR (WebSocket) on loopback.
runConformanceSuite({
  name: 'projectx',
  start: async () => {
    const tokenLifetimeMs = 1_500;
    const { sim, connection, accountId } = await startPair(
      { tokenLifetimeMs, exchangeOptions: { partialFills: true, seed: 7 } },
      { renewBeforeMs: 1_000 },
    );
    return {
      connection,
      accountId,
      // A second demo account as the leader: the leader case also checks the first one's events are ignored.
      leaderAccountId: sim.accounts[1]!.name,
      setMarket: (contract, market) => {
        sim.exchange.updateQuote(contract, { bidTicks: market.bidTicks, askTicks: market.askTicks });
        if (market.lastTicks !== undefined) sim.exchange.updateTrade(contract, market.lastTicks);
      },
      cutConnection: () => sim.faults.dropHub(),
      faults: {
        rejectNext: (reason) => sim.faults.rejectNext(1, reason),
        rateLimitNext: () => sim.faults.rateLimitNext(1),
        loseNextResponse: () => sim.faults.loseNextResponse('Order/place'),
      },
      tokenLifetimeMs,
      authStats: () => {
        const { logins, renewals } = sim.stats();
        return { logins, renewals };
      },
      partialFills: true,
      stop: () => sim.close(),
    };
  },
  skip: {
    bracket:
      'ProjectX brackets are tick offsets from the fill, need the Auto OCO account mode and return no child ids: capabilities.brackets is false and the engine manages the OCO children',
  },
});
