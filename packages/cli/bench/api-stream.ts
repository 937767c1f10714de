// The control API's stream under load, in one process with a real engine (paper broker, zero
// latency, 20 followers): the time for one leader order to be placed and then cancelled at
// every follower (cancelled after, untimed), with no stream client and with 100 WebSocket clients (in a child process,
// each reading every event), and the events per second the stream delivers to 100 clients.
// Bundled and run by api-stream.bench.mjs (node packages/cli/bench/api-stream.bench.mjs after a build).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  createEngine,
  InMemoryBus,
  PaperBroker,
  parseEngineConfig,
  planConnections,
  SimulatedExchange,
  systemClock,
} from '@tradenova/core';
import { auditTrail } from '../src/api/audit.js';
import { memoryDenyList } from '../src/api/deny-list.js';
import { startApiServer } from '../src/api/server.js';
import { sessionBackend } from '../src/api/session-backend.js';
import { createToken } from '../src/api/tokens.js';
import { createMemoryStores } from '../src/services/redis/memory-stores.js';

const CLIENTS = 100;
const FOLLOWERS = 20;
const key = new TextEncoder().encode('bench-signing-key-0123456789-abcdefghijklmnop');

const config = parseEngineConfig({
  leader: { account: 'LEAD' },
  followers: Array.from({ length: FOLLOWERS }, (_, i) => ({
    name: `f${String(i + 1).padStart(2, '0')}`,
    account: `A${i + 1}`,
    ...(i % 2 ? { scaling: { mode: 'multiplier', factor: 2 } } : {}),
  })),
});
const exchange = new SimulatedExchange({ clock: systemClock, latencyMs: 0 });
const broker = new PaperBroker(
  exchange,
  config.followers.map((f) => f.account),
  { startingBalance: 50_000_000 },
);
const bus = new InMemoryBus();
const engine = createEngine(config, { connections: { paper: broker }, clock: systemClock, bus });
const backend = sessionBackend(
  {
    engine,
    config,
    plans: planConnections(config),
    connections: { paper: broker },
    flatten: (f) => engine.flatten(f, 'requested'),
    mirrored: (s) => s,
  },
  { bus, services: { stores: createMemoryStores(), journal: undefined }, settings: {} } as never,
);
const server = await startApiServer({
  address: '127.0.0.1:0',
  backend,
  key,
  denyList: memoryDenyList(),
  audit: auditTrail({}),
  ringSize: 50_000,
  stream: { maxBufferedBytes: 64 << 20 },
});
await engine.start();
const read = (await createToken(key, { scope: 'read', ttlS: 3600 })).token;

// The clients: a child process with 100 sockets that count the JSON lines they get (without parsing them).
const CLIENT_SCRIPT = `
const WebSocket = require('ws');
const [url, token, n] = process.argv.slice(1);
let open = 0, frames = 0, closed = 0;
for (let i = 0; i < Number(n); i++) {
  const ws = new WebSocket(url, { headers: { authorization: 'Bearer ' + token } });
  ws.on('open', () => { if (++open === Number(n)) process.stdout.write('ready\\n'); });
  ws.on('message', (data) => { let k = 1; for (const b of data) if (b === 10) k++; frames += k; });
  ws.on('close', (code) => { if (code === 4001) closed++; });
}
process.stdin.on('data', () => process.stdout.write(JSON.stringify({ frames, closed }) + '\\n'));
`;
let clients: ChildProcess | undefined;
async function startClients(): Promise<void> {
  const child = spawn(
    process.execPath,
    ['-e', CLIENT_SCRIPT, `${server.url.replace('http', 'ws')}/v1/stream`, read, String(CLIENTS)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  child.stdout!.setEncoding('utf8');
  let buffered = '';
  await new Promise<void>((resolve) =>
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.includes('ready')) resolve();
    }),
  );
  clients = child;
}
async function clientCounts(): Promise<{ frames: number; closed: number }> {
  const child = clients!;
  const line = new Promise<string>((resolve) => {
    let text = '';
    const on = (chunk: string) => {
      text += chunk;
      const nl = text.lastIndexOf('\n');
      if (nl >= 0 && text.slice(0, nl).includes('{')) {
        child.stdout!.off('data', on);
        resolve(text.slice(text.lastIndexOf('{', nl), nl));
      }
    };
    child.stdout!.on('data', on);
  });
  child.stdin!.write('?\n');
  return JSON.parse(await line) as { frames: number; closed: number };
}
async function stopClients(): Promise<void> {
  if (!clients) return;
  clients.kill();
  await once(clients, 'exit');
  clients = undefined;
}

let n = 0;
/**
 * One leader limit order placed at every follower (timed: `engine.submit` until every
 * follower's order is placed), then cancelled everywhere (not timed), so orders do not pile up.
 */
async function placeAndCancel(): Promise<number> {
  const id = ++n;
  const t0 = performance.now();
  await engine.submit({
    signalId: `b-${id}`,
    action: 'new',
    leaderOrderId: `L${id}`,
    instrument: 'MNQZ6',
    side: 'buy',
    qty: 1,
    orderType: 'limit',
    limitPrice: '1000.00',
  });
  const took = performance.now() - t0;
  await engine.submit({ signalId: `c-${id}`, action: 'cancel', leaderOrderId: `L${id}` });
  return took;
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((q / 100) * s.length) - 1))] ?? Number.NaN;
};
const median = (xs: number[]) => pct(xs, 50);

/** p50 and p99 of `runs` place-and-cancel rounds, the first 10 % dropped as warm-up. */
async function measure(runs: number): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await placeAndCancel());
  const warm = samples.slice(Math.floor(runs / 10));
  return { p50: pct(warm, 50), p99: pct(warm, 99) };
}

/** Events per second each client receives: `count` events published at once, until all 100 clients have them. */
async function throughput(count: number): Promise<{ perClient: number; dropped: number }> {
  const start = (await clientCounts()).frames;
  const t0 = performance.now();
  for (let i = 0; i < count; i++)
    bus.publish({
      type: 'order-cancelled',
      time: Date.now(),
      follower: 'f01',
      accountId: 'A1',
      orderId: String(i),
      reason: 'leader cancelled',
    });
  for (;;) {
    const counts = await clientCounts();
    if (counts.frames - start >= count * CLIENTS || counts.closed > 0) {
      const s = (performance.now() - t0) / 1000;
      return { perClient: (counts.frames - start) / CLIENTS / s, dropped: counts.closed };
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

const RUNS = Number(process.env.BENCH_RUNS ?? 400);
const ROUNDS = 3;
const none: { p50: number; p99: number }[] = [];
const loaded: { p50: number; p99: number }[] = [];
await measure(100); // warm-up of the engine and the JIT
// Alternating rounds, so drift on a shared machine falls on both sides.
for (let r = 0; r < ROUNDS; r++) {
  none.push(await measure(RUNS));
  await startClients();
  loaded.push(await measure(RUNS));
  await stopClients();
}
const a = { p50: median(none.map((x) => x.p50)), p99: median(none.map((x) => x.p99)) };
const b = { p50: median(loaded.map((x) => x.p50)), p99: median(loaded.map((x) => x.p99)) };
console.log(
  `control API, a leader limit order placed at ${FOLLOWERS} followers (engine.submit until every follower's order is placed; cancelled after, untimed), median of ${ROUNDS} rounds of ${RUNS}:`,
);
console.log(`  no stream client:        p50 ${a.p50.toFixed(3)} ms  p99 ${a.p99.toFixed(3)} ms`);
console.log(
  `  ${CLIENTS} stream clients:      p50 ${b.p50.toFixed(3)} ms  p99 ${b.p99.toFixed(3)} ms  (p50 ×${(b.p50 / a.p50).toFixed(2)}, p99 ×${(b.p99 / a.p99).toFixed(2)})`,
);
await startClients();
const rates: number[] = [];
let dropped = 0;
for (let r = 0; r < 3; r++) {
  const t = await throughput(5000);
  rates.push(t.perClient);
  dropped += t.dropped;
}
await stopClients();
const rate = median(rates);
console.log(
  `  stream throughput: 5,000 events at once to ${CLIENTS} clients: ${Math.round(rate).toLocaleString('en')} events/s per client, ${Math.round(rate * CLIENTS).toLocaleString('en')} lines/s in all (median of 3; ${dropped} clients dropped)`,
);
// `./tn bench --json` (scripts/bench-figures.mjs, loaded by the .mjs runner) collects these.
(globalThis as { tnBenchFigure?: (name: string, values: object) => void }).tnBenchFigure?.('stream', {
  followers: FOLLOWERS,
  clients: CLIENTS,
  p50Ms: a.p50,
  p99Ms: a.p99,
  p50MsWithClients: b.p50,
  p99MsWithClients: b.p99,
  eventsPerSecondPerClient: Math.round(rate),
  dropped,
});
await server.close();
await engine.stop();
