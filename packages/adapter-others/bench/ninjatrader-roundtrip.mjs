// Place → fill round trip through the NinjaTrader (OIF file) simulator at zero added latency,
// through the adapter, beside the floor: the same OIF files written and the same order-state
// file watched by a bare client. Then the same over the experimental ATI socket transport.
import { watch } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import ninjatrader from '@tradenova/adapter-others/ninjatrader';
import { startNinjaTraderSimulator } from '@tradenova/adapter-others/ninjatrader/simulator';
import { defaultInstruments, silentLogger, systemClock } from '@tradenova/core';
import { figure } from '../../../scripts/bench-figures.mjs';
import { adapterRoundTrip, BENCH_ORDERS, stats } from '../../core/bench/kit.mjs';

const N = BENCH_ORDERS;
// December of next year: an active contract whatever the date.
const year = new Date().getUTCFullYear() + 1;
const contract = { root: 'MNQ', month: 'Z', year };
const instrument = `MNQ 12-${String(year % 100).padStart(2, '0')}`;

// Both sides watch folders without keeping the process alive (as the adapter does); this does.
const keepAlive = setInterval(() => {}, 1_000);
const dir = await mkdtemp(join(tmpdir(), 'tn-nt-bench-'));
const sim = await startNinjaTraderSimulator({ dir, atiPort: 0 });
sim.exchange.updateQuote(contract, { bidTicks: 84000, askTicks: 84001 });
const account = sim.accounts[0];

async function throughAdapter(transport = 'files') {
  const config = ninjatrader.configSchema.parse({
    folder: dir,
    accounts: [account],
    transport,
    socket: { port: sim.atiPort },
  });
  const connection = ninjatrader.create(config, {
    clock: systemClock,
    logger: silentLogger,
    instruments: defaultInstruments,
  });
  return adapterRoundTrip(connection, { accountId: account, contract, idPrefix: `bench-${transport}-` });
}

async function bareClient() {
  // What any OIF client does: write under a temp name, rename to oif*.txt, watch for <ORDER ID>.txt.
  const incoming = sim.incoming;
  const outgoing = sim.outgoing;
  let waitingFor;
  let onFill = () => {};
  const watcher = watch(outgoing, { persistent: false }, (_event, name) => {
    if (name !== waitingFor) return;
    readFile(join(outgoing, name), 'utf8').then(
      (text) => {
        if (text.startsWith('FILLED')) onFill();
      },
      () => {},
    );
  });
  const samples = [];
  for (let i = 0; i < N; i++) {
    const id = `benchf${i}`;
    waitingFor = `${id}.txt`;
    const filled = new Promise((r) => {
      onFill = r;
    });
    const line = `PLACE;${account};${instrument};${i % 2 ? 'SELL' : 'BUY'};1;MARKET;;;DAY;;${id};;\r\n`;
    const t0 = performance.now();
    const temp = join(incoming, `.bench-${i}.tmp`);
    await writeFile(temp, line, 'ascii');
    await rename(temp, join(incoming, `oif${String(i).padStart(8, '0')}.txt`));
    await filled;
    samples.push(performance.now() - t0);
  }
  watcher.close();
  return stats(samples);
}

async function bareSocketClient() {
  // What any ATI socket client does: code-0 messages out, code-2 key/value pairs in (NUL after each token).
  const socket = connect({ host: '127.0.0.1', port: sim.atiPort });
  socket.setNoDelay(true);
  let pending = '';
  let onToken = () => {};
  socket.on('data', (data) => {
    pending += data.toString('latin1');
    let end = pending.indexOf('\u0000');
    while (end >= 0) {
      onToken(pending.slice(0, end));
      pending = pending.slice(end + 1);
      end = pending.indexOf('\u0000');
    }
  });
  await new Promise((r) => {
    onToken = (token) => token === 'True' && r();
  });
  const samples = [];
  for (let i = 0; i < N; i++) {
    const id = `benchs${i}`;
    let key = '';
    const filled = new Promise((r) => {
      onToken = (token) => {
        if (key === `OrderStatus|${id}` && token === 'Filled') r();
        key = token;
      };
    });
    const line = `PLACE;${account};${instrument};${i % 2 ? 'SELL' : 'BUY'};1;MARKET;;;DAY;;${id};;`;
    const t0 = performance.now();
    socket.write(`0\u0000${line}\u0000`, 'latin1');
    await filled;
    samples.push(performance.now() - t0);
  }
  socket.destroy();
  return stats(samples);
}

const floor = await bareClient();
const adapter = await throughAdapter();
const socketFloor = await bareSocketClient();
const socketAdapter = await throughAdapter('socket');
await sim.close();
await rm(dir, { recursive: true, force: true });
clearInterval(keepAlive);
const f = (x) => x.toFixed(2);
figure('ninjatrader-oif', {
  floorP50Ms: floor.p50,
  floorP99Ms: floor.p99,
  p50Ms: adapter.p50,
  p99Ms: adapter.p99,
  ratioP50: adapter.p50 / floor.p50,
});
figure('ninjatrader-ati', {
  floorP50Ms: socketFloor.p50,
  floorP99Ms: socketFloor.p99,
  p50Ms: socketAdapter.p50,
  p99Ms: socketAdapter.p99,
  ratioP50: socketAdapter.p50 / socketFloor.p50,
});
console.log('\nNinjaTrader (OIF files): place → fill event, through the simulator on a local temp folder');
console.log(
  `   (${N} market orders each, first 10% dropped as warm-up; PLACE file written and renamed into incoming, FILLED read from outgoing)`,
);
console.log(`   bare client (floor): p50 ${f(floor.p50)} ms, p99 ${f(floor.p99)} ms`);
console.log(
  `   adapter:             p50 ${f(adapter.p50)} ms, p99 ${f(adapter.p99)} ms   (×${(adapter.p50 / floor.p50).toFixed(2)} the floor at p50)`,
);
console.log(
  '\nNinjaTrader (ATI socket, experimental): place → fill event, through the simulator on loopback TCP',
);
console.log(
  `   (${N} market orders each, first 10% dropped as warm-up; code-0 PLACE line out, OrderStatus|<id> = Filled in)`,
);
console.log(`   bare client (floor): p50 ${f(socketFloor.p50)} ms, p99 ${f(socketFloor.p99)} ms`);
console.log(
  `   adapter:             p50 ${f(socketAdapter.p50)} ms, p99 ${f(socketAdapter.p99)} ms   (×${(socketAdapter.p50 / socketFloor.p50).toFixed(2)} the floor at p50)`,
);
