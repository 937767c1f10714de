import { runConformanceSuite } from '@tradenova/core/testing';
import { startPair } from './helpers.js';

// The whole suite against the NinjaTrader simulator, through real files in a temp folder.
runConformanceSuite({
  name: 'ninjatrader',
  start: async () => {
    const { sim, connection, stop } = await startPair();
    return {
      connection,
      accountId: 'Sim101',
      // A second simulation account as the leader. This checks the events of orders placed through
      // this adapter; real NinjaTrader writes no order-state file for an order placed in its own UI
      // (only for orders with an ORDER ID), so capabilities.leaderFillStream stays false.
      leaderAccountId: 'Sim102',
      setMarket: (contract, market) => {
        sim.exchange.updateQuote(contract, { bidTicks: market.bidTicks, askTicks: market.askTicks });
        if (market.lastTicks !== undefined) sim.exchange.updateTrade(contract, market.lastTicks);
      },
      // NinjaTrader loses its broker connection: DISCONNECTED, state held back, then CONNECTED.
      cutConnection: () => sim.faults.disconnect(300),
      faults: {
        rejectNext: (reason) => sim.faults.rejectNext(1, reason),
        rateLimitNext: () => {},
      },
      stop,
    };
  },
  skip: {
    bracket:
      'OIF brackets need an ATM strategy template; capabilities.brackets is false, the engine emulates',
    'rate-limit': 'the file interface has no rate-limit answer',
    'token-renewal': 'order instruction files have no login and no token',
  },
});
