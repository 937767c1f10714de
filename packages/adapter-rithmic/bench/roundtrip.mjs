// Place → fill round trip through the Rithmic simulator at zero added latency, through the
// adapter, beside the floor: the same protobuf frames from a bare WebSocket client.
import { performance } from 'node:perf_hooks';
import rithmic, {
  decodeMessage,
  ExchangeNotify,
  encodeMessage,
  frame,
  InfraType,
  unframe,
} from '@tradenova/adapter-rithmic';
import { startRithmicSimulator } from '@tradenova/adapter-rithmic/simulator';
import { defaultInstruments, silentLogger, systemClock } from '@tradenova/core';
import WebSocket from 'ws';
import { figure } from '../../../scripts/bench-figures.mjs';
import { adapterRoundTrip, BENCH_ORDERS, stats } from '../../core/bench/kit.mjs';

const N = BENCH_ORDERS;
// December of next year: an active contract whatever the date.
const year = new Date().getUTCFullYear() + 1;
const contract = { root: 'MNQ', month: 'Z', year };
const symbol = `MNQZ${year % 10}`;

const sim = await startRithmicSimulator();
sim.exchange.updateQuote(contract, { bidTicks: 84000, askTicks: 84001 });
const account = sim.accounts[0];

async function throughAdapter() {
  const config = rithmic.configSchema.parse({
    gatewayUrl: sim.url,
    user: 'bench',
    password: 'bench',
    accounts: [account.id],
  });
  const connection = rithmic.create(config, {
    clock: systemClock,
    logger: silentLogger,
    instruments: defaultInstruments,
  });
  return adapterRoundTrip(connection, { accountId: account.id, contract });
}

async function bareClient() {
  // One order-plant socket; every request's bytes are encoded before the clock starts.
  const ws = new WebSocket(sim.url);
  ws.binaryType = 'nodebuffer';
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  const send = (name, fields) => ws.send(frame(encodeMessage(name, fields), 'prefixed'));
  /** Resolves with the next message of a template id. */
  const next = (templateId) =>
    new Promise((r) => {
      const on = (data) => {
        const decoded = decodeMessage(unframe(data).payload);
        if (decoded.templateId !== templateId) return;
        ws.off('message', on);
        r(decoded.message);
      };
      ws.on('message', on);
    });
  const login = next(11);
  send('RequestLogin', {
    user_msg: ['login'],
    template_version: '3.9',
    user: 'bench',
    password: 'bench',
    app_name: 'TradeNovaBench',
    app_version: '1',
    system_name: sim.systems[0],
    infra_type: InfraType.ORDER_PLANT,
  });
  const answer = await login;
  const ids = { fcm_id: answer.fcm_id, ib_id: answer.ib_id, account_id: account.id };
  const subscribed = next(309);
  send('RequestSubscribeForOrderUpdates', { user_msg: ['sub'], ...ids });
  await subscribed;
  const heartbeat = setInterval(() => send('RequestHeartbeat', {}), 20_000);
  const orders = Array.from({ length: N }, (_, i) =>
    frame(
      encodeMessage('RequestNewOrder', {
        user_msg: [`o${i}`],
        ...ids,
        user_tag: `bench-f-${i}`,
        symbol,
        exchange: 'CME',
        quantity: 1,
        transaction_type: i % 2 ? 2 : 1,
        duration: 1,
        price_type: 2,
        trade_route: 'simulator',
        manual_or_auto: 2,
      }),
      'prefixed',
    ),
  );
  // Only the template id (and, for 352, the notify type) is read: what a floor has to read.
  let onAnswer = () => {};
  let onFill = () => {};
  ws.on('message', (data) => {
    const payload = unframe(data).payload;
    const decoded = decodeMessage(payload);
    if (decoded.templateId === 313) onAnswer();
    else if (decoded.templateId === 352 && decoded.message.notify_type === ExchangeNotify.FILL) onFill();
  });
  const samples = [];
  for (let i = 0; i < N; i++) {
    const answered = new Promise((r) => {
      onAnswer = r;
    });
    const filled = new Promise((r) => {
      onFill = r;
    });
    const t0 = performance.now();
    ws.send(orders[i]);
    await answered;
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
figure('rithmic', {
  floorP50Ms: floor.p50,
  floorP99Ms: floor.p99,
  p50Ms: adapter.p50,
  p99Ms: adapter.p99,
  ratioP50: adapter.p50 / floor.p50,
});
console.log('\nRithmic: place → fill event, through the simulator on loopback, zero added latency');
console.log(
  `   (${N} market orders each, first 10% dropped as warm-up; RequestNewOrder + ExchangeOrderNotification fill, length-prefixed protobuf)`,
);
console.log(`   bare client (floor): p50 ${f(floor.p50)} ms, p99 ${f(floor.p99)} ms`);
console.log(
  `   adapter:             p50 ${f(adapter.p50)} ms, p99 ${f(adapter.p99)} ms   (×${(adapter.p50 / floor.p50).toFixed(2)} the floor at p50)`,
);
