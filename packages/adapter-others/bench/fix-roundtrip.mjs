// Place → acknowledge → fill round trip through the FIX 4.4 simulator (jspurefix acceptor) on
// loopback at zero added latency: through the adapter (FixConnection: jspurefix initiator,
// NewOrderSingle, ExecutionReports to events), beside the floor: the same Logon and
// NewOrderSingle bytes from a bare TCP socket with no FIX engine, adapter or store.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import fix from '@tradenova/adapter-others/fix';
import { startFixSimulator } from '@tradenova/adapter-others/fix/simulator';
import { defaultInstruments, parseContract, silentLogger, systemClock } from '@tradenova/core';
import { figure } from '../../../scripts/bench-figures.mjs';
import { adapterRoundTrip, BENCH_ORDERS, stats } from '../../core/bench/kit.mjs';

const N = BENCH_ORDERS;
const contract = parseContract('MNQZ25');

const sim = await startFixSimulator({ version: '4.4' });
sim.exchange.updateQuote(contract, { bidTicks: 84000, askTicks: 84001 });

async function throughAdapter() {
  const connection = fix.create(
    fix.configSchema.parse({
      host: '127.0.0.1',
      port: sim.port,
      version: '4.4',
      senderCompId: 'BENCH-ADAPTER',
      targetCompId: 'FIXSIM',
      accounts: ['FIX1'],
    }),
    { clock: systemClock, logger: silentLogger, instruments: defaultInstruments },
  );
  return adapterRoundTrip(connection, { accountId: 'FIX1', contract });
}

/** FIX framing by hand: BodyLength over everything after it up to the checksum, CheckSum = byte sum mod 256. */
function frame(fields) {
  const inner = fields.map(([t, v]) => `${t}=${v}\u0001`).join('');
  const head = `8=FIX.4.4\u00019=${Buffer.byteLength(inner, 'latin1')}\u0001`;
  let sum = 0;
  for (const b of Buffer.from(head + inner, 'latin1')) sum += b;
  return `${head}${inner}10=${String(sum % 256).padStart(3, '0')}\u0001`;
}

function utc() {
  const s = new Date().toISOString();
  return `${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}-${s.slice(11, 23)}`;
}

async function bareClient() {
  const socket = connect(sim.port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((r) => socket.once('connect', r));
  socket.setEncoding('latin1');
  let seq = 1;
  let buffer = '';
  let onMessage = () => {};
  socket.on('data', (chunk) => {
    buffer += chunk;
    for (;;) {
      const at = buffer.indexOf('\u000110=');
      if (at < 0) return;
      const end = buffer.indexOf('\u0001', at + 1);
      if (end < 0) return;
      const message = buffer.slice(0, end + 1);
      buffer = buffer.slice(end + 1);
      onMessage(message);
    }
  });
  const header = (type) => [
    [35, type],
    [34, seq++],
    [49, 'BENCH-BARE'],
    [52, utc()],
    [56, 'FIXSIM'],
  ];
  const logon = new Promise((r) => {
    onMessage = (m) => m.includes('\u000135=A\u0001') && r();
  });
  socket.write(frame([...header('A'), [98, 0], [108, 30]]));
  await logon;
  const samples = [];
  for (let i = 0; i < N; i++) {
    const id = `bench-b-${i}`;
    const filled = new Promise((r) => {
      onMessage = (m) => m.includes(`\u000111=${id}\u0001`) && m.includes('\u0001150=F\u0001') && r();
    });
    const t0 = performance.now();
    socket.write(
      frame([
        ...header('D'),
        [11, id],
        [1, 'FIX1'],
        [21, 1],
        [55, 'MNQ'],
        [167, 'FUT'],
        [200, '202512'],
        [207, 'CME'],
        [54, i % 2 ? 2 : 1],
        [60, utc()],
        [38, 1],
        [40, 1],
      ]),
    );
    await filled;
    samples.push(performance.now() - t0);
  }
  socket.destroy();
  return stats(samples);
}

const floor = await bareClient();
const adapter = await throughAdapter();
await sim.close();
const f = (x) => x.toFixed(2);
figure('fix', {
  floorP50Ms: floor.p50,
  floorP99Ms: floor.p99,
  p50Ms: adapter.p50,
  p99Ms: adapter.p99,
  ratioP50: adapter.p50 / floor.p50,
});
console.log(
  '\nFIX 4.4: place → ack → fill report, through the FIX simulator on loopback, zero added latency',
);
console.log(`   (${N} market orders each, first 10% dropped as warm-up; NewOrderSingle + ExecutionReports)`);
console.log(`   bare socket (floor): p50 ${f(floor.p50)} ms, p99 ${f(floor.p99)} ms`);
console.log(
  `   adapter:             p50 ${f(adapter.p50)} ms, p99 ${f(adapter.p99)} ms   (×${(adapter.p50 / floor.p50).toFixed(2)} the floor at p50)`,
);
