// dxLink quote → unrealized P&L update: the dxLink simulator publishes a Trade on loopback, the
// official @dxfeed/dxlink client decodes it (COMPACT), DxFeedMarketData turns it into ticks, and
// markPositionsFrom marks a PositionTracker holding a position. Timed from the publish call to
// the moment the tracker's unrealized P&L has the new value.
import { performance } from 'node:perf_hooks';
import { DxFeedMarketData } from '@tradenova/adapter-others/dxfeed';
import { startDxLinkSimulator } from '@tradenova/adapter-others/dxfeed/simulator';
import { defaultInstruments, markPositionsFrom, PositionTracker, parseContract } from '@tradenova/core';
import { figure } from '../../../scripts/bench-figures.mjs';
import { stats } from '../../core/bench/kit.mjs';

const N = Number(process.env.BENCH_QUOTES ?? 400);
const contract = parseContract('MNQZ25');

const sim = await startDxLinkSimulator();
// Aggregation 0: the bench measures the path, not a batching window.
const source = new DxFeedMarketData(
  { url: sim.url, aggregationPeriodSeconds: 0.001 },
  { instruments: defaultInstruments },
);
const tracker = new PositionTracker(defaultInstruments);
tracker.applyExecution({
  broker: 'bench',
  accountId: 'A',
  executionId: 'e1',
  orderId: 'o1',
  contract,
  side: 'buy',
  qty: 2,
  priceTicks: 84_000,
  time: 0,
});
markPositionsFrom(source, tracker);
source.subscribe([contract]);
await source.start();
while (sim.subscriptions().length < 2) await new Promise((r) => setTimeout(r, 5));

let onMarked = () => {};
// Registered after markPositionsFrom, so it runs once the tracker has the price.
source.onTrade(() => onMarked());
const samples = [];
for (let i = 0; i < N; i++) {
  const ticks = 84_000 + (i % 2 ? 8 : -8) + (i % 7);
  const marked = new Promise((r) => {
    onMarked = () => {
      if (tracker.pnl('A').unrealized === (ticks - 84_000) * 2 * 500) r();
    };
  });
  const t0 = performance.now();
  sim.publish('/MNQZ25:XCME', { last: ticks * 0.25 });
  await marked;
  samples.push(performance.now() - t0);
}
await source.stop();
await sim.close();
const s = stats(samples);
figure('dxfeed-mark', { p50Ms: s.p50, p99Ms: s.p99 });
const f = (x) => x.toFixed(2);
console.log(
  '\ndxLink: trade published → unrealized P&L updated, simulator → official client → tracker on loopback',
);
console.log(`   (${N} trades, first 10% dropped as warm-up; one Trade per FEED_DATA, COMPACT)`);
console.log(`   p50 ${f(s.p50)} ms, p99 ${f(s.p99)} ms`);
