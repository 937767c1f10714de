// Signal published to Kafka → follower orders handed to the paper broker, through the real CLI
// on loopback: one process (`run --role all`), then a router and two executors. Needs the
// services of scripts/services.sh (Kafka; Redis and PostgreSQL for the scale-out journal):
//   bash scripts/services.sh start && eval "$(bash scripts/services.sh env)" && \
//     TRADENOVA_KAFKA_BROKERS=… node packages/cli/bench/kafka.bench.mjs [--signals 150] [--followers 20] [--rates 5,10,25,50]
// --paced-rate 2 --paced-signals 100: the router + 2 executors at a steady rate (2 signals/s = 40
// follower orders/s at 20 followers), the last follower's p50/p99 (0 turns it off).
// --rates: a rate sweep of the router + 2 executors: signals published at each rate (signals/s,
// each one order per follower) for --sweep-seconds, without waiting for the copies; per rate the
// follower orders/s sustained and the last follower's p50/p99. The knee is the highest rate
// whose p99 stays under 100 ms while keeping up (orders/s at least 90% of what was offered).
// Each signal is a resting limit order (placed, never filled) sent after the previous one was
// copied, so the figure is the path's latency, not queueing. Times are the wall clock of one
// machine: the publisher's send time and the `order-placed` event's time in the JSON lines.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { figure } from '../../../scripts/bench-figures.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// TRADENOVA_BENCH_BIN: another build's CLI (e.g. main's) for a before/after run with the same bench.
const BIN = process.env.TRADENOVA_BENCH_BIN ?? join(here, '..', 'dist', 'bin.js');
const { values } = parseArgs({
  options: {
    signals: { type: 'string', default: '150' },
    followers: { type: 'string', default: '20' },
    rates: { type: 'string', default: '' },
    'sweep-seconds': { type: 'string', default: '4' },
    'paced-rate': { type: 'string', default: '2' },
    'paced-signals': { type: 'string', default: '100' },
  },
});
const SIGNALS = Number(values.signals);
const FOLLOWERS = Number(values.followers);
const RATES = values.rates === '' ? [] : values.rates.split(',').map(Number);
const SWEEP_SECONDS = Number(values['sweep-seconds']);
const PACED_RATE = Number(values['paced-rate']);
const PACED_SIGNALS = Number(values['paced-signals']);
const brokers = process.env.TRADENOVA_KAFKA_BROKERS;
const pgUrl = process.env.TRADENOVA_PG_URL;
const redisUrl = process.env.TRADENOVA_REDIS_URL;
if (!brokers) {
  console.log(
    'Kafka bench SKIPPED: no Kafka. Run: bash scripts/services.sh start && eval "$(bash scripts/services.sh env)" && export TRADENOVA_KAFKA_BROKERS TRADENOVA_PG_URL TRADENOVA_REDIS_URL',
  );
  process.exit(0);
}

const pct = (s, p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
const fmt = (x) => x.toFixed(2);

function start(args, cwd) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  const placed = new Map(); // signalId → [order-placed time…]
  let buffered = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.includes('"order-placed"')) continue;
      try {
        const e = JSON.parse(line);
        if (e.type !== 'order-placed') continue;
        const list = placed.get(e.intent.signalId) ?? [];
        list.push(e.time);
        placed.set(e.intent.signalId, list);
      } catch {}
    }
  });
  child.stderr.setEncoding('utf8').on('data', (c) => {
    err += c;
  });
  return { child, placed, stderr: () => err };
}

/** User + system CPU time of a process so far, ms (Linux); undefined elsewhere. */
function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

async function scenario(label, roles, { rates = [], paced = false } = {}) {
  const prefix = `bench${randomUUID().slice(0, 8)}.`;
  const schema = `tn_bench_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const dir = mkdtempSync(join(tmpdir(), 'tn-kbench-'));
  // Four logins of five accounts each (for 20 followers): an executor holds whole logins, so
  // the accounts of one login run side by side in one process and the logins spread over executors.
  const LOGINS = 4;
  const followers = Array.from(
    { length: FOLLOWERS },
    (_, i) => `  - { name: f${i}, broker: paper, connection: login${i % LOGINS}, account: ACC-${i} }`,
  );
  const logins = Array.from({ length: LOGINS }, (_, i) => `  login${i}: { broker: paper }`);
  // Separate processes cannot share one embedded journal: PostgreSQL when there is one.
  const journal = pgUrl
    ? `  journal: { url: "${pgUrl}", schema: ${schema} }`
    : '  journal: { enabled: false }';
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      'leader: { broker: paper, account: LEADER1 }',
      'connections:',
      ...logins,
      'followers:',
      ...followers,
      'services:',
      journal,
      `  kafka: { brokers: [${brokers}], prefix: "${prefix}", group: ${prefix}g }`,
      ...(redisUrl ? [`  redis: { url: "${redisUrl}", prefix: "${prefix}tn:" }`] : []),
      '',
    ].join('\n'),
  );
  if (pgUrl) {
    // A fresh schema: migrate it as an operator would before starting the processes.
    const migrate = spawn(process.execPath, [BIN, 'migrate', '-c', 'config.yaml'], {
      cwd: dir,
      stdio: 'ignore',
    });
    const code = await new Promise((r) => migrate.on('exit', r));
    if (code !== 0) throw new Error(`${label}: tradenova migrate failed (${code})`);
  }
  const kafka = new Kafka({ brokers: brokers.split(','), clientId: 'bench', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const procs = roles.map((role) => start(['run', '-c', 'config.yaml', '--json', '--role', role], dir));
  const placedFor = (id) => procs.reduce((all, p) => all.concat(p.placed.get(id) ?? []), []);
  let n = 0;
  const publish = async () => {
    const signalId = `b${++n}`;
    const sentAt = Date.now();
    await producer.send({
      topic: `${prefix}trade.signals`,
      messages: [
        {
          key: 'MNQ',
          value: JSON.stringify({
            signalId,
            action: 'new',
            leaderOrderId: `lo-${n}`,
            instrument: 'MNQH7',
            side: 'buy',
            qty: 1,
            orderType: 'limit',
            limitPrice: '15000.00',
          }),
        },
      ],
    });
    return { signalId, sentAt };
  };
  const copied = async (id, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (placedFor(id).length < FOLLOWERS) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 1));
    }
    return true;
  };
  try {
    // Consumers join at the end of the topic: publish until a signal is copied to everyone.
    const joinBy = Date.now() + 60_000;
    for (;;) {
      const { signalId } = await publish();
      if (await copied(signalId, 2_000)) break;
      if (Date.now() > joinBy || procs.some((p) => p.child.exitCode !== null)) {
        throw new Error(`${label}: never copied\n${procs.map((p) => p.stderr()).join('\n')}`);
      }
    }
    const last = [];
    const each = [];
    for (let i = 0; i < SIGNALS; i++) {
      const { signalId, sentAt } = await publish();
      if (!(await copied(signalId, 10_000)))
        throw new Error(`${label}: ${signalId} not copied to every follower`);
      const times = placedFor(signalId);
      last.push(Math.max(...times) - sentAt);
      for (const t of times) each.push(t - sentAt);
    }
    const warm = (xs) => xs.slice(Math.floor(xs.length / 10)).sort((a, b) => a - b);
    const l = warm(last);
    const e = warm(each);
    figure(`kafka ${label}`, {
      followers: FOLLOWERS,
      signals: l.length,
      lastP50Ms: pct(l, 50),
      lastP99Ms: pct(l, 99),
      eachP50Ms: pct(e, 50),
      eachP99Ms: pct(e, 99),
    });
    console.log(
      `   ${label.padEnd(26)} last follower: p50 ${fmt(pct(l, 50))} ms, p99 ${fmt(pct(l, 99))} ms;  each order: p50 ${fmt(pct(e, 50))} ms, p99 ${fmt(pct(e, 99))} ms  (${l.length} signals × ${FOLLOWERS} followers)`,
    );
    // Signals published at `rate` per second without waiting for the copies.
    const atRate = async (rate, count) => {
      const sent = [];
      const sends = [];
      const t0 = Date.now();
      for (let i = 0; i < count; i++) {
        const wait = t0 + (i * 1000) / rate - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const at = Date.now();
        const send = publish();
        sends.push(send);
        sent.push(send.then(({ signalId }) => ({ signalId, sentAt: at })));
      }
      const published = await Promise.all(sent);
      await Promise.all(sends);
      let kept = true;
      for (const { signalId } of published) if (!(await copied(signalId, 30_000))) kept = false;
      const lastPlaced = Math.max(...published.flatMap(({ signalId }) => placedFor(signalId)));
      const lat = published
        .map(({ signalId, sentAt }) => Math.max(...placedFor(signalId)) - sentAt)
        .sort((a, b) => a - b);
      return { lat, kept, ordersPerSecond: (count * FOLLOWERS) / ((lastPlaced - t0) / 1000) };
    };
    if (paced && PACED_RATE > 0) {
      const { lat, kept, ordersPerSecond } = await atRate(PACED_RATE, PACED_SIGNALS);
      figure(`kafka-paced ${label}`, {
        followers: FOLLOWERS,
        signals: PACED_SIGNALS,
        offeredOrdersPerSecond: PACED_RATE * FOLLOWERS,
        ordersPerSecond,
        lastP50Ms: pct(lat, 50),
        lastP99Ms: pct(lat, 99),
        copiedAll: kept,
      });
      console.log(
        `   ${label.padEnd(26)} at ${PACED_RATE * FOLLOWERS} follower orders/s (${PACED_SIGNALS} signals, ${PACED_RATE}/s): last follower p50 ${fmt(pct(lat, 50))} ms, p99 ${fmt(pct(lat, 99))} ms${kept ? '' : ' (some not copied in 30 s)'}`,
      );
    }
    const sweep = [];
    for (const rate of rates) {
      const count = Math.max(20, Math.round(rate * SWEEP_SECONDS));
      const { lat, kept, ordersPerSecond } = await atRate(rate, count);
      const row = {
        offeredOrdersPerSecond: rate * FOLLOWERS,
        ordersPerSecond,
        lastP50Ms: pct(lat, 50),
        lastP99Ms: pct(lat, 99),
        copiedAll: kept,
      };
      sweep.push(row);
      console.log(
        `      rate ${String(rate).padStart(4)} signals/s (${row.offeredOrdersPerSecond} follower orders/s offered): ${Math.round(ordersPerSecond)} orders/s sustained, last follower p50 ${fmt(row.lastP50Ms)} ms, p99 ${fmt(row.lastP99Ms)} ms${kept ? '' : ' (some not copied in 30 s)'}`,
      );
    }
    if (sweep.length > 0) {
      const ok = sweep.filter(
        (r) => r.copiedAll && r.lastP99Ms < 100 && r.ordersPerSecond >= 0.9 * r.offeredOrdersPerSecond,
      );
      const knee = ok.at(-1);
      console.log(
        `      knee: ${knee ? `${knee.offeredOrdersPerSecond} follower orders/s (p99 ${fmt(knee.lastP99Ms)} ms)` : 'below the lowest rate swept'}`,
      );
      figure(`kafka-sweep ${label}`, {
        followers: FOLLOWERS,
        journal: pgUrl ? 'postgres' : 'off',
        rates: sweep,
        kneeOrdersPerSecond: knee?.offeredOrdersPerSecond ?? 0,
      });
    }
    // Where the CPU goes: each process's CPU time over the follower orders of the whole scenario
    // (Linux /proc; start-up and group joins included). On 2 shared cores this is what runs out.
    const orders = [...new Set(procs.flatMap((p) => [...p.placed.keys()]))].reduce(
      (n, id) => n + placedFor(id).length,
      0,
    );
    const cpu = procs.map((p, i) => ({ role: roles[i], cpuMs: cpuMsOf(p.child.pid) }));
    if (orders > 0 && cpu.every((c) => c.cpuMs !== undefined)) {
      const perOrder = cpu.map((c) => ({ role: c.role, cpuMsPerOrder: c.cpuMs / orders }));
      figure(`kafka-cpu ${label}`, { orders, processes: perOrder });
      console.log(
        `      CPU per follower order (${orders} orders, start-up included): ${perOrder.map((c) => `${c.role} ${c.cpuMsPerOrder.toFixed(3)} ms`).join(', ')}`,
      );
    }
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r() : p.child.once('exit', r)))),
    );
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    await admin.deleteTopics({ topics }).catch(() => {});
    await admin.disconnect();
    if (pgUrl) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`).catch(() => {});
      await client.end();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `\nKafka: signal published to trade.signals → follower orders handed to the paper broker (loopback, wall clock, ms; first 10% dropped)`,
);
await scenario('one process (--role all)', ['all']);
await scenario('router + 2 executors', ['router', 'executor', 'executor'], { rates: RATES, paced: true });
