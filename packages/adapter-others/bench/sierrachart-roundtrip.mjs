// Place → fill round trip through the Sierra Chart (DTC JSON) simulator at zero added latency,
// through the adapter, beside the floor: the same NUL-terminated JSON messages from a bare TCP client.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import sierrachart from '@tradenova/adapter-others/sierrachart';
import { startSierraChartSimulator } from '@tradenova/adapter-others/sierrachart/simulator';
import { defaultInstruments, silentLogger, systemClock } from '@tradenova/core';
import { figure } from '../../../scripts/bench-figures.mjs';
import { adapterRoundTrip, BENCH_ORDERS, stats } from '../../core/bench/kit.mjs';

const N = BENCH_ORDERS;
// December of next year: an active contract whatever the date.
const year = new Date().getUTCFullYear() + 1;
const contract = { root: 'MNQ', month: 'Z', year };
const symbol = `MNQZ${String(year % 100).padStart(2, '0')}-CME`;

const sim = await startSierraChartSimulator();
sim.exchange.updateQuote(contract, { bidTicks: 84000, askTicks: 84001 });
const account = sim.accounts[0];

async function throughAdapter() {
  const config = sierrachart.configSchema.parse({ host: '127.0.0.1', port: sim.port });
  const connection = sierrachart.create(config, {
    clock: systemClock,
    logger: silentLogger,
    instruments: defaultInstruments,
  });
  return adapterRoundTrip(connection, { accountId: account, contract });
}

async function bareClient() {
  // JSON from the first byte (the server's Automatic encoding), one NUL after each message.
  const socket = connect({ host: '127.0.0.1', port: sim.port });
  socket.setNoDelay(true);
  await new Promise((r, j) => socket.once('connect', r).once('error', j));
  const send = (message) => socket.write(`${JSON.stringify(message)}\u0000`);
  let pending = '';
  let onMessage = () => {};
  socket.on('data', (data) => {
    pending += data.toString('utf8');
    let end = pending.indexOf('\u0000');
    while (end >= 0) {
      onMessage(pending.slice(0, end));
      pending = pending.slice(end + 1);
      end = pending.indexOf('\u0000');
    }
  });
  const logon = new Promise((r) => {
    onMessage = (text) => {
      if (text.includes('"Type":2,') || text.includes('"Type":2}')) r(JSON.parse(text));
    };
  });
  send({ Type: 1, ProtocolVersion: 8, Username: 'bench', Password: 'bench', HeartbeatIntervalInSeconds: 30 });
  const answer = await logon;
  if (answer.Result !== 1) throw new Error(`logon refused: ${answer.ResultText}`);
  const heartbeat = setInterval(() => send({ Type: 3 }), 10_000);
  const samples = [];
  for (let i = 0; i < N; i++) {
    const id = `bench-f-${i}`;
    const filled = new Promise((r) => {
      // The fill is the ORDER_UPDATE of this client order id with reason ORDER_FILLED (4).
      onMessage = (text) => {
        if (!text.includes(`"ClientOrderID":"${id}"`)) return;
        const update = JSON.parse(text);
        if (update.Type === 301 && update.OrderUpdateReason === 4) r();
      };
    });
    const t0 = performance.now();
    send({
      Type: 208,
      Symbol: symbol,
      Exchange: '',
      TradeAccount: account,
      ClientOrderID: id,
      OrderType: 1,
      BuySell: i % 2 ? 2 : 1,
      Quantity: 1,
      TimeInForce: 1,
      IsAutomatedOrder: 1,
    });
    await filled;
    samples.push(performance.now() - t0);
  }
  clearInterval(heartbeat);
  socket.end();
  return stats(samples);
}

const floor = await bareClient();
const adapter = await throughAdapter();
await sim.close();
const f = (x) => x.toFixed(2);
figure('sierrachart', {
  floorP50Ms: floor.p50,
  floorP99Ms: floor.p99,
  p50Ms: adapter.p50,
  p99Ms: adapter.p99,
  ratioP50: adapter.p50 / floor.p50,
});
console.log(
  '\nSierra Chart (DTC JSON): place → fill event, through the simulator on loopback TCP, zero added latency',
);
console.log(
  `   (${N} market orders each, first 10% dropped as warm-up; SUBMIT_NEW_SINGLE_ORDER + ORDER_UPDATE with reason filled)`,
);
console.log(`   bare client (floor): p50 ${f(floor.p50)} ms, p99 ${f(floor.p99)} ms`);
console.log(
  `   adapter:             p50 ${f(adapter.p50)} ms, p99 ${f(adapter.p99)} ms   (×${(adapter.p50 / floor.p50).toFixed(2)} the floor at p50)`,
);
