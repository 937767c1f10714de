// Place → fill round trip through the NinjaTrader (OIF file) simulator at zero added latency,
// through the adapter, beside the floor: the same OIF files written and the same order-state
// file watched by a bare client. Then the same over the experimental ATI socket transport.
import { readFileSync, watch } from 'node:fs';
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

async function throughAdapter(transport = 'files', round = 0) {
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
  return adapterRoundTrip(connection, {
    accountId: account,
    contract,
    idPrefix: `bench-${transport}-${round}-`,
  });
}

/**
 * What any OIF client does: write under a temp name, rename to oif*.txt, watch for <ORDER ID>.txt.
 * `sync`: the notified file is read synchronously (no thread-pool hand-off, as the adapter does);
 * otherwise with the promise `readFile`.
 */
async function bareClient(round, sync) {
  const incoming = sim.incoming;
  const outgoing = sim.outgoing;
  let waitingFor;
  let onFill = () => {};
  const watcher = watch(outgoing, { persistent: false }, (_event, name) => {
    if (name !== waitingFor) return;
    const path = join(outgoing, name);
    if (sync) {
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch {}
      if (text.startsWith('FILLED')) onFill();
      return;
    }
    readFile(path, 'utf8').then(
      (text) => {
        if (text.startsWith('FILLED')) onFill();
      },
      () => {},
    );
  });
  const samples = [];
  const tag = `${round}${sync ? 's' : 'a'}`;
  for (let i = 0; i < N; i++) {
    const id = `benchf${tag}${i}`;
    waitingFor = `${id}.txt`;
    const filled = new Promise((r) => {
      onFill = r;
    });
    const line = `PLACE;${account};${instrument};${i % 2 ? 'SELL' : 'BUY'};1;MARKET;;;DAY;;${id};;\r\n`;
    const t0 = performance.now();
    const temp = join(incoming, `.bench-${tag}-${i}.tmp`);
    await writeFile(temp, line, 'ascii');
    await rename(temp, join(incoming, `oif${tag}${String(i).padStart(8, '0')}.txt`));
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

// Three rounds, the two floors and the adapter side by side in each, so load on the machine
// falls on all of them; the medians of the rounds' figures are printed.
const ROUNDS = 3;
const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  const floorRound = await bareClient(round, true);
  const asyncRound = await bareClient(round, false);
  const adapterRound = await throughAdapter('files', round);
  rounds.push({ floor: floorRound, floorAsync: asyncRound, adapter: adapterRound });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pick = (side, p) => median(rounds.map((r) => r[side][p]));
const floor = { p50: pick('floor', 'p50'), p99: pick('floor', 'p99') };
const floorAsync = { p50: pick('floorAsync', 'p50'), p99: pick('floorAsync', 'p99') };
const adapter = { p50: pick('adapter', 'p50'), p99: pick('adapter', 'p99') };
const ratio = median(rounds.map((r) => r.adapter.p50 / r.floor.p50));
const ratioAsync = median(rounds.map((r) => r.adapter.p50 / r.floorAsync.p50));
const socketFloor = await bareSocketClient();
const socketAdapter = await throughAdapter('socket');
await sim.close();
await rm(dir, { recursive: true, force: true });
clearInterval(keepAlive);
const f = (x) => x.toFixed(2);
figure('ninjatrader-oif', {
  rounds: ROUNDS,
  floorP50Ms: floor.p50,
  floorP99Ms: floor.p99,
  floorAsyncReadP50Ms: floorAsync.p50,
  floorAsyncReadP99Ms: floorAsync.p99,
  p50Ms: adapter.p50,
  p99Ms: adapter.p99,
  ratioP50: ratio,
  ratioP50ToAsyncReadFloor: ratioAsync,
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
  `   (${N} market orders each in ${ROUNDS} alternating rounds, first 10% of each dropped as warm-up, medians of the rounds; PLACE file written and renamed into incoming, FILLED read from outgoing)`,
);
console.log(`   bare client (floor, sync read):  p50 ${f(floor.p50)} ms, p99 ${f(floor.p99)} ms`);
console.log(`   bare client (promise readFile):  p50 ${f(floorAsync.p50)} ms, p99 ${f(floorAsync.p99)} ms`);
console.log(
  `   adapter:                         p50 ${f(adapter.p50)} ms, p99 ${f(adapter.p99)} ms   (×${ratio.toFixed(2)} the floor at p50, ×${ratioAsync.toFixed(2)} the promise-read client)`,
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
