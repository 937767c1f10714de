import { runConformanceSuite } from '@tradenova/core/testing';
import { startNinjaTraderSimulator } from '../../src/ninjatrader/simulator/index.js';
import { connectionFor, tempFolder } from './helpers.js';

// The whole suite against the NinjaTrader simulator over the ATI socket (EXPERIMENTAL transport):
// commands as NUL-terminated code-0 messages on loopback TCP, state from pushed key/value pairs.
runConformanceSuite({
  name: 'ninjatrader (ATI socket)',
  start: async () => {
    const folder = await tempFolder();
    const sim = await startNinjaTraderSimulator({ dir: folder.dir, rescanMs: 200, atiPort: 0 });
    const connection = connectionFor(folder.dir, {
      transport: 'socket',
      socket: { port: sim.atiPort!, reconnect: { initialDelayMs: 50, maxDelayMs: 300 } },
    });
    return {
      connection,
      accountId: 'Sim101',
      // See conformance.test.ts: these are events of orders placed through this adapter.
      leaderAccountId: 'Sim102',
      setMarket: (contract, market) => {
        sim.exchange.updateQuote(contract, { bidTicks: market.bidTicks, askTicks: market.askTicks });
        if (market.lastTicks !== undefined) sim.exchange.updateTrade(contract, market.lastTicks);
      },
      // The socket is cut: the adapter reconnects and NinjaTrader pushes its state again.
      cutConnection: () => sim.dropAtiClients(),
      faults: {
        rejectNext: (reason) => sim.faults.rejectNext(1, reason),
        rateLimitNext: () => {},
      },
      stop: async () => {
        await sim.close();
        await folder.remove();
      },
    };
  },
  skip: {
    bracket:
      'OIF brackets need an ATM strategy template; capabilities.brackets is false, the engine emulates',
    'rate-limit': 'the ATI socket has no rate-limit answer',
    'token-renewal': 'the ATI socket has no login and no token',
  },
});
