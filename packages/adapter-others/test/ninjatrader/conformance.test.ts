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
  },
});
