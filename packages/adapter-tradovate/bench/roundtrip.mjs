// Place → acknowledge → fill round trip through the Tradovate simulator at zero added latency,
// through the adapter, beside the floor: the same REST request and socket frames from a bare client.
import { performance } from 'node:perf_hooks';
import tradovate from '@tradenova/adapter-tradovate';
import { startTradovateSimulator } from '@tradenova/adapter-tradovate/simulator';
import { defaultInstruments, parseContract, silentLogger, systemClock } from '@tradenova/core';
import WebSocket from 'ws';
import { figure } from '../../../scripts/bench-figures.mjs';
import { adapterRoundTrip, BENCH_ORDERS, stats } from '../../core/bench/kit.mjs';

const N = BENCH_ORDERS;
const contract = parseContract('MNQZ25');

const sim = await startTradovateSimulator({ penaltyRequestsPerSecond: 0 });
sim.exchange.updateQuote(contract, { bidTicks: 84000, askTicks: 84001 });
const account = sim.accounts[0];

async function throughAdapter() {
  const config = tradovate.configSchema.parse({
    baseUrl: sim.url,
    wsUrl: sim.wsUrl,
    username: 'bench',
    password: 'bench',
    accounts: [account.name],
  });
  const connection = tradovate.create(config, {
    clock: systemClock,
    logger: silentLogger,
    instruments: defaultInstruments,
  });
  return adapterRoundTrip(connection, { accountId: account.name, contract });
}

async function bareClient() {
  const auth = await (
    await fetch(`${sim.url}/auth/accesstokenrequest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', password: 'bench', appId: 'bench', appVersion: '1' }),
    })
  ).json();
  const ws = new WebSocket(sim.wsUrl);
  let onFill = () => {};
  const opened = new Promise((r) => ws.once('message', r));
  await opened; // the 'o' frame
  let reqId = 1;
  ws.send(`authorize\n${reqId++}\n\n${auth.accessToken}`);
  ws.send(`user/syncrequest\n${reqId++}\n\n${JSON.stringify({ users: [auth.userId] })}`);
  ws.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith('a') && text.includes('"entityType":"fill"')) onFill();
  });
  const heartbeat = setInterval(() => ws.send('[]'), 2500);
  const samples = [];
  for (let i = 0; i < N; i++) {
    const filled = new Promise((r) => {
      onFill = r;
    });
    const t0 = performance.now();
    const res = await fetch(`${sim.url}/order/placeorder`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${auth.accessToken}` },
      body: JSON.stringify({
        accountSpec: account.name,
        accountId: account.id,
        action: i % 2 ? 'Sell' : 'Buy',
        symbol: 'MNQZ5',
        orderQty: 1,
        orderType: 'Market',
        isAutomated: true,
      }),
    });
    await res.json();
    await filled;
    samples.push(performance.now() - t0);
  }
  clearInterval(heartbeat);
  ws.close();
  return stats(samples);
}

const floor = await bareClient();
const adapter = await throughAdapter();
await sim.close();
const f = (x) => x.toFixed(2);
figure('tradovate', {
  floorP50Ms: floor.p50,
  floorP99Ms: floor.p99,
  p50Ms: adapter.p50,
  p99Ms: adapter.p99,
  ratioP50: adapter.p50 / floor.p50,
});
console.log('\nTradovate: place → ack → fill event, through the simulator on loopback, zero added latency');
console.log(
  `   (${N} market orders each, first 10% dropped as warm-up; REST placeorder + user socket props)`,
);
console.log(`   bare client (floor): p50 ${f(floor.p50)} ms, p99 ${f(floor.p99)} ms`);
console.log(
  `   adapter:             p50 ${f(adapter.p50)} ms, p99 ${f(adapter.p99)} ms   (×${(adapter.p50 / floor.p50).toFixed(2)} the floor at p50)`,
);
