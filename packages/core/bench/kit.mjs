// What every round-trip bench shares: the sample count, the statistics and the adapter loop.
// Each adapter's bench keeps only what is its own: the simulator, the connection's config and
// the bare-client floor written in that broker's protocol.
import { performance } from 'node:perf_hooks';

/** Orders per measurement (`BENCH_ORDERS` to change). */
export const BENCH_ORDERS = Number(process.env.BENCH_ORDERS ?? 400);

/** p50 and p99 of the samples, the first 10% dropped as warm-up. */
export function stats(samples) {
  const s = samples.slice(Math.floor(samples.length / 10)).sort((a, b) => a - b);
  const pct = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return { p50: pct(50), p99: pct(99) };
}

/**
 * Place → fill event through an adapter connection, one market order at a time, alternating
 * buy and sell so the position stays small. Connects first and disconnects after.
 */
export async function adapterRoundTrip(
  connection,
  { accountId, contract, n = BENCH_ORDERS, idPrefix = 'bench-a-' },
) {
  const waiting = new Map();
  connection.onEvent((e) => {
    if (e.type === 'order-filled' && e.fill.clientOrderId) waiting.get(e.fill.clientOrderId)?.();
  });
  await connection.connect();
  const samples = [];
  for (let i = 0; i < n; i++) {
    const id = `${idPrefix}${i}`;
    const filled = new Promise((r) => waiting.set(id, r));
    const t0 = performance.now();
    await connection.placeOrder({
      accountId,
      clientOrderId: id,
      contract,
      side: i % 2 ? 'sell' : 'buy',
      qty: 1,
      orderType: 'market',
    });
    await filled;
    waiting.delete(id);
    samples.push(performance.now() - t0);
  }
  await connection.disconnect();
  return stats(samples);
}
