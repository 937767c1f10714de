/**
 * Embedding the copy engine: one leader, two followers on the paper broker, events printed.
 * Run: ./tn npm exec -- node --experimental-strip-types examples/embed.ts   (Node ≥ 22.6)
 */
import {
  createEngine,
  formatMoney,
  PaperBroker,
  parseContract,
  SimulatedExchange,
  systemClock,
} from '@tradenova/core';

const exchange = new SimulatedExchange({ clock: systemClock });
const engine = createEngine(
  {
    leader: { account: 'LEAD' },
    followers: [
      { name: 'double', account: 'A1', scaling: { mode: 'multiplier', factor: 2 } },
      { name: 'micro', account: 'A2', symbolMap: { NQ: { to: 'MNQ', ratio: 10 } } },
    ],
  },
  { connections: { paper: new PaperBroker(exchange, ['A1', 'A2']) } },
);
engine.on((event) => {
  if (event.type === 'order-filled') {
    const e = event.execution;
    console.log(`${event.follower}: ${e.side} ${e.qty} ${e.contract.root} filled`);
  }
});
await engine.start();

const nq = parseContract('NQ'); // the front month today
const mnq = { ...nq, root: 'MNQ' };
for (const c of [nq, mnq]) {
  exchange.updateQuote(c, { bidTicks: 84000, askTicks: 84001 });
}
const result = await engine.submit({
  signalId: 'demo-1',
  action: 'new',
  leaderOrderId: 'L1',
  instrument: 'NQ',
  side: 'buy',
  qty: 1,
  orderType: 'market',
});
console.log(result.ok ? result.outcomes.map((o) => `${o.follower}: ${o.outcome}`).join(', ') : result.error);
for (const name of engine.followers) {
  const pnl = engine.pnl(name);
  console.log(
    name,
    engine.positions(name).map((p) => `${p.netQty} ${p.contract.root} @ ${p.avgPrice}`),
    formatMoney(pnl.realized),
  );
}
await engine.stop();
