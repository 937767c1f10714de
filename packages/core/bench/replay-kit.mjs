// The engine's replay figure, shared by the core bench (./tn bench) and the CLI replay bench,
// so both print the same number measured the same way.
import { performance } from 'node:perf_hooks';
import { parseEngineConfig, runReplay } from '@tradenova/core';

/** n followers over five scaling modes and risk rules. */
export function followers(n) {
  const modes = [
    { scaling: { mode: 'fixed', qty: 1 } },
    { scaling: { mode: 'multiplier', factor: 2 } },
    { scaling: { mode: 'multiplier', factor: 0.5 }, whenZero: 'min1' },
    { inverse: true },
    { risk: { maxOrderQty: 10, maxPosition: 20, maxOrdersPerMinute: 100000 } },
  ];
  return Array.from({ length: n }, (_, i) => ({
    name: `f${String(i).padStart(4, '0')}`,
    account: `A${i}`,
    ...modes[i % modes.length],
  }));
}

/** A synthetic session: alternating entries and exits with quotes between them. */
function session(signals) {
  const records = [];
  let t = Date.parse('2025-11-24T14:30:00.000Z');
  let price = 84000;
  let pos = 0;
  for (let i = 0; i < signals; i++) {
    t += 1000;
    price += (i % 7) - 3;
    records.push({
      kind: 'quote',
      line: records.length + 1,
      time: t,
      instrument: 'MNQZ5',
      bid: (price * 0.25).toFixed(2),
      ask: ((price + 1) * 0.25).toFixed(2),
    });
    const side = pos >= 2 ? 'sell' : pos <= -2 ? 'buy' : i % 3 === 0 ? 'sell' : 'buy';
    pos += side === 'buy' ? 1 : -1;
    records.push({
      kind: 'signal',
      line: records.length + 1,
      time: t + 5,
      raw: {
        time: t + 5,
        signalId: `r${i}`,
        action: 'new',
        leaderOrderId: `R${i}`,
        instrument: 'MNQZ5',
        side,
        qty: 1,
        orderType: 'market',
        fillPrice: ((side === 'buy' ? price + 1 : price) * 0.25).toFixed(2),
      },
    });
  }
  return records;
}

export async function replayThroughput(n, signals) {
  const config = parseEngineConfig({ leader: { account: 'LEAD' }, followers: followers(n) });
  const records = session(signals);
  const t0 = performance.now();
  const report = await runReplay({ config, records });
  const ms = performance.now() - t0;
  const intents = report.accounts.reduce(
    (s, a) => s + a.orders.placed + a.orders.blocked + a.orders.rejected,
    0,
  );
  return { n, signals, intents, ms, perSecond: intents / (ms / 1000) };
}

/** The engine figure as `./tn bench` prints it: median of 3 replays of 20 followers × 2,500 signals. */
export async function engineReplayFigure() {
  const thr = [];
  for (let r = 0; r < 3; r++) thr.push(await replayThroughput(20, 2500));
  thr.sort((a, b) => a.perSecond - b.perSecond);
  return thr[1];
}
