// Place → fill round trip through the ProjectX simulator at zero added latency, through the
// adapter, beside the floor: the same REST request and SignalR hub frames from a bare client.
import { performance } from 'node:perf_hooks';
import projectx from '@tradenova/adapter-projectx';
import { startProjectXSimulator } from '@tradenova/adapter-projectx/simulator';
import { defaultInstruments, silentLogger, systemClock } from '@tradenova/core';
import WebSocket from 'ws';
import { figure } from '../../../scripts/bench-figures.mjs';
import { adapterRoundTrip, BENCH_ORDERS, stats } from '../../core/bench/kit.mjs';

const N = BENCH_ORDERS;
// December of next year: an active contract whatever the date.
const year = new Date().getUTCFullYear() + 1;
const contract = { root: 'MNQ', month: 'Z', year };
const contractId = `CON.F.US.MNQ.Z${String(year % 100).padStart(2, '0')}`;
// The round trip is measured, not ProjectX's 200-per-60-s limit: both sides get a window they never fill.
const rateLimit = { requests: 1_000_000, perMs: 60_000 };

const sim = await startProjectXSimulator({ rateLimit });
sim.exchange.updateQuote(contract, { bidTicks: 84000, askTicks: 84001 });
const account = sim.accounts[0];
const RS = '\u001e';

async function throughAdapter() {
  const config = projectx.configSchema.parse({
    baseUrl: sim.url,
    hubUrl: sim.hubUrl,
    userName: 'bench',
    apiKey: 'bench',
    accounts: [account.name],
    rateLimit,
  });
  const connection = projectx.create(config, {
    clock: systemClock,
    logger: silentLogger,
    instruments: defaultInstruments,
  });
  return adapterRoundTrip(connection, { accountId: account.name, contract });
}

async function bareClient() {
  const post = async (endpoint, body, token) =>
    (
      await fetch(`${sim.url}/api/${endpoint}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      })
    ).json();
  const { token } = await post('Auth/loginKey', { userName: 'bench', apiKey: 'bench' });
  // The hub as ProjectX's samples open it: straight to the WebSocket, token in the URL.
  const ws = new WebSocket(`${sim.hubUrl.replace(/^http/, 'ws')}?access_token=${encodeURIComponent(token)}`);
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  const handshaken = new Promise((r) => ws.once('message', r));
  ws.send(`{"protocol":"json","version":1}${RS}`);
  await handshaken;
  let onFill = () => {};
  ws.on('message', (data) => {
    if (data.toString().includes('"target":"GatewayUserTrade"')) onFill();
  });
  const subscribed = new Promise((r) => {
    const check = (data) => {
      if (data.toString().includes('"invocationId":"1"')) {
        ws.off('message', check);
        r();
      }
    };
    ws.on('message', check);
  });
  ws.send(`{"type":1,"invocationId":"1","target":"SubscribeTrades","arguments":[${account.id}]}${RS}`);
  await subscribed;
  const ping = setInterval(() => ws.send(`{"type":6}${RS}`), 5_000);
  const samples = [];
  for (let i = 0; i < N; i++) {
    const filled = new Promise((r) => {
      onFill = r;
    });
    const t0 = performance.now();
    await post(
      'Order/place',
      { accountId: account.id, contractId, type: 2, side: i % 2, size: 1, customTag: `bench-f-${i}` },
      token,
    );
    await filled;
    samples.push(performance.now() - t0);
  }
  clearInterval(ping);
  ws.close();
  return stats(samples);
}

const floor = await bareClient();
const adapter = await throughAdapter();
const rateLimited = sim.stats().rateLimited;
await sim.close();
if (rateLimited > 0) throw new Error(`the simulator answered ${rateLimited} requests with 429`);
const f = (x) => x.toFixed(2);
figure('projectx', {
  floorP50Ms: floor.p50,
  floorP99Ms: floor.p99,
  p50Ms: adapter.p50,
  p99Ms: adapter.p99,
  ratioP50: adapter.p50 / floor.p50,
});
console.log('\nProjectX: place → fill event, through the simulator on loopback, zero added latency');
console.log(
  `   (${N} market orders each, first 10% dropped as warm-up; REST Order/place + the user hub's GatewayUserTrade)`,
);
console.log(`   bare client (floor): p50 ${f(floor.p50)} ms, p99 ${f(floor.p99)} ms`);
console.log(
  `   adapter:             p50 ${f(adapter.p50)} ms, p99 ${f(adapter.p99)} ms   (×${(adapter.p50 / floor.p50).toFixed(2)} the floor at p50)`,
);
