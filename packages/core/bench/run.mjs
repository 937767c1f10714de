// Benchmarks of the copy engine. Run with `npm run bench` (or `./tn bench`) after a build.
// Prints its method with each figure; quote the medians and ratios, not single runs.
import { performance } from 'node:perf_hooks';
import {
  createEngine,
  PaperBroker,
  parseContract,
  parseEngineConfig,
  SimulatedExchange,
  systemClock,
} from '@tradenova/core';
import { figure } from '../../../scripts/bench-figures.mjs';
import { followers, replayThroughput } from './replay-kit.mjs';

const MNQ = parseContract('MNQZ25', { at: Date.parse('2025-11-24') });

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Signal in → every follower order handed to the paper broker, zero latency, wall clock. */
async function engineOverhead(n, signals) {
  const config = parseEngineConfig({ leader: { account: 'LEAD' }, followers: followers(n) });
  const exchange = new SimulatedExchange({ clock: systemClock, latencyMs: 0 });
  const broker = new PaperBroker(
    exchange,
    config.followers.map((f) => f.account),
    { startingBalance: 50_000_000 },
  );
  let handed = 0;
  let lastHandedAt = 0;
  const place = broker.placeOrder.bind(broker);
  broker.placeOrder = (req) => {
    handed++;
    lastHandedAt = performance.now();
    return place(req);
  };
  const engine = createEngine(config, { connections: { paper: broker } });
  await engine.start();
  exchange.updateQuote(MNQ, { bidTicks: 84000, askTicks: 84001 });
  exchange.updateTrade(MNQ, 84001);
  const samples = [];
  let leader = 0;
  for (let i = 0; i < signals; i++) {
    const side = leader > 0 ? 'sell' : 'buy';
    const before = handed;
    const t0 = performance.now();
    const done = engine.submit({
      signalId: `b${n}-${i}`,
      action: 'new',
      leaderOrderId: `L${i}`,
      instrument: 'MNQZ5',
      side,
      qty: 1,
      orderType: 'market',
      fillPrice: '21000.25',
    });
    // With the order's id, as a leader broker or mirror reports it: the fill books each copy.
    engine.applyLeaderFill({ contract: MNQ, side, qty: 1, priceTicks: 84001, orderId: `L${i}` });
    leader += side === 'buy' ? 1 : -1;
    await done;
    if (handed - before >= n) samples.push(lastHandedAt - t0);
  }
  await engine.stop();
  const warm = samples.slice(Math.floor(samples.length / 10)).sort((a, b) => a - b);
  return { n, count: warm.length, p50: pct(warm, 50), p99: pct(warm, 99) };
}

/**
 * The bare fan-out floor: per signal, the same paper-broker calls the engine makes (one market
 * order per follower) from a plain loop, timed from the first call to the last one handed over.
 * What the engine adds on top of it is its own cost (planning, risk, tracking, bookkeeping).
 */
async function fanOutFloor(n, signals) {
  const config = parseEngineConfig({ leader: { account: 'LEAD' }, followers: followers(n) });
  const exchange = new SimulatedExchange({ clock: systemClock, latencyMs: 0 });
  const accounts = config.followers.map((f) => f.account);
  const broker = new PaperBroker(exchange, accounts, { startingBalance: 50_000_000 });
  await broker.connect();
  exchange.updateQuote(MNQ, { bidTicks: 84000, askTicks: 84001 });
  exchange.updateTrade(MNQ, 84001);
  const samples = [];
  for (let i = 0; i < signals; i++) {
    const side = i % 2 === 0 ? 'buy' : 'sell';
    const placed = [];
    const t0 = performance.now();
    for (let k = 0; k < accounts.length; k++) {
      placed.push(
        broker.placeOrder({
          accountId: accounts[k],
          clientOrderId: `floor-${n}-${i}-${k}`,
          contract: MNQ,
          side,
          qty: 1,
          orderType: 'market',
        }),
      );
    }
    samples.push(performance.now() - t0);
    await Promise.all(placed);
  }
  await broker.disconnect();
  const warm = samples.slice(Math.floor(samples.length / 10)).sort((a, b) => a - b);
  return { n, count: warm.length, p50: pct(warm, 50), p99: pct(warm, 99) };
}

const fmt = (x) => (x < 1 ? x.toFixed(3) : x.toFixed(2));
console.log(`TradeNova benchmarks — node ${process.version}, ${new Date().toISOString()}`);
console.log('\n1. Engine overhead: signal submitted → the last follower order handed to the paper broker');
console.log(
  '   (zero broker latency, wall clock, one process; mixed scaling modes and risk rules; first 10% dropped as warm-up)',
);
for (const [n, signals] of [
  [20, 3000],
  [1000, 200],
]) {
  const runs = [];
  const floors = [];
  // Interleaved, so load on the shared machine falls on both alike.
  for (let r = 0; r < 3; r++) {
    runs.push(await engineOverhead(n, signals));
    floors.push(await fanOutFloor(n, signals));
  }
  const med = (list, key) => list.map((x) => x[key]).sort((a, b) => a - b)[1];
  const p50 = med(runs, 'p50');
  const p99 = med(runs, 'p99');
  const floorP50 = med(floors, 'p50');
  const floorP99 = med(floors, 'p99');
  console.log(
    `   ${String(n).padStart(5)} followers: p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms  (median of 3 runs × ${runs[0].count} signals; ${fmt((p50 * 1000) / n)} µs per follower at p50)`,
  );
  console.log(
    `   ${' '.repeat(5)}  bare fan-out floor (${n} paper-broker calls from a loop): p50 ${fmt(floorP50)} ms, p99 ${fmt(floorP99)} ms → engine ×${(p50 / floorP50).toFixed(2)} at p50, ×${(p99 / floorP99).toFixed(2)} at p99`,
  );
  figure(`engine-overhead-${n}`, {
    followers: n,
    p50Ms: p50,
    p99Ms: p99,
    floorP50Ms: floorP50,
    floorP99Ms: floorP99,
    ratioP50: p50 / floorP50,
    ratioP99: p99 / floorP99,
  });
}
console.log(
  '\n2. Replay throughput: order intents per second, one core, virtual clock, paper broker at zero latency',
);
const thr = [];
for (let r = 0; r < 3; r++) thr.push(await replayThroughput(20, 2500));
thr.sort((a, b) => a.perSecond - b.perSecond);
const mid = thr[1];
console.log(
  `   20 followers × ${mid.signals} signals = ${mid.intents} intents in ${fmt(mid.ms)} ms → ${Math.round(mid.perSecond).toLocaleString('en-US')} intents/s (median of 3)`,
);
figure('replay-throughput', {
  followers: 20,
  signals: mid.signals,
  intents: mid.intents,
  ms: mid.ms,
  intentsPerSecond: mid.perSecond,
});
