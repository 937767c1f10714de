// Failover time: `kill -9` of a router (or an executor) → the first signal routed (or the
// first follower order placed) by the member that takes its partitions over, through the real
// CLI processes on loopback. Needs Kafka (and Redis for executors) from scripts/services.sh:
//   bash scripts/services.sh start && eval "$(bash scripts/services.sh env)" && \
//     TRADENOVA_KAFKA_BROKERS=… TRADENOVA_REDIS_URL=… node packages/cli/bench/failover.bench.mjs [--runs 3]
// Each run uses fresh topics and groups. A signal is published right after the kill; the
// figure is the time from the kill to the survivor's `signal-received` (router) or
// `order-placed` (executor) line for it, as the bench process sees the lines. It is bounded
// below by the group session timeout (3 s, raised to the broker's group.min.session.timeout.ms).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { figure } from '../../../scripts/bench-figures.mjs';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', 'dist', 'bin.js');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);
const brokers = process.env.TRADENOVA_KAFKA_BROKERS;
const redisUrl = process.env.TRADENOVA_REDIS_URL;
if (!brokers) {
  console.log(
    'failover bench SKIPPED: no Kafka. Run: bash scripts/services.sh start && eval "$(bash scripts/services.sh env)" && export TRADENOVA_KAFKA_BROKERS TRADENOVA_REDIS_URL',
  );
  process.exit(0);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function start(args, cwd) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  const lines = [];
  let buffered = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {}
    }
  });
  child.stderr.setEncoding('utf8').on('data', (c) => {
    err += c;
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return { child, lines, exited, stderr: () => err };
}

async function until(what, find, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const { brokers: nodes } = await admin.describeCluster();
const floor = Number(
  (
    await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.BROKER,
          name: String(nodes[0].nodeId),
          configNames: ['group.min.session.timeout.ms'],
        },
      ],
    })
  ).resources[0].configEntries[0].configValue,
);
const TOPICS = [
  ['trade.signals', 3],
  ['trade.intents', 10],
  ['trade.executions', 10],
  ['positions.updates', 10],
  ['account.status', 20],
  ['order.errors', 5],
  ['system.heartbeat', 1],
];
const signal = (id) =>
  JSON.stringify({
    signalId: id,
    action: 'new',
    leaderOrderId: `lo-${id}`,
    instrument: 'MNQH7',
    side: 'buy',
    qty: 1,
    orderType: 'limit',
    limitPrice: '15000.00',
  });

/** One run: two members of `role`; the one that handles the first signal is killed. */
async function run(role) {
  const prefix = `fo${randomUUID().slice(0, 8)}.`;
  const dir = mkdtempSync(join(tmpdir(), 'tn-failover-bench-'));
  await admin.createTopics({
    waitForLeaders: false,
    topics: TOPICS.map(([t, n]) => ({ topic: prefix + t, numPartitions: n })),
  });
  // A fresh topic answers UNKNOWN_TOPIC_OR_PARTITION for a moment: wait for its leaders.
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const meta = await admin
      .fetchTopicMetadata({ topics: TOPICS.map(([t]) => prefix + t) })
      .catch(() => undefined);
    if (meta?.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000));
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      'leader: { broker: paper, account: LEADER1 }',
      'connections:',
      '  p0: { broker: paper }',
      'followers:',
      '  - { name: f0, broker: paper, connection: p0, account: ACC-0 }',
      'services:',
      '  journal: { enabled: false }',
      `  kafka: { brokers: [${brokers}], prefix: "${prefix}", group: ${prefix}g }`,
      ...(redisUrl ? [`  redis: { url: "${redisUrl}", prefix: "${prefix}tn:" }`] : []),
      '',
    ].join('\n'),
  );
  // One producer per run: a kafkajs producer keeps asking for the metadata of every topic it
  // ever sent to, and the previous run's topics are deleted.
  const producer = kafka.producer();
  await producer.connect();
  const procs = [];
  const spawnRole = (r) => {
    const p = start(['run', '-c', 'config.yaml', '--json', '--role', r], dir);
    procs.push(p);
    return p;
  };
  try {
    const publish = (id) =>
      producer.send({
        topic: `${prefix}trade.signals`,
        messages: [{ key: 'MNQ', partition: 0, value: signal(id) }],
      });
    const seen =
      role === 'router'
        ? (p, id) => p.lines.some((l) => l.type === 'signal-received' && l.signal.signalId === id)
        : (p, id) => p.lines.some((l) => l.type === 'order-placed' && l.intent.signalId === id);
    let members;
    if (role === 'router') {
      members = [spawnRole('router')];
      await until('router 1', () => members[0].lines.some((l) => l.type === 'router-started'));
      members.push(spawnRole('router'));
      await until('router 2', () => members[1].lines.some((l) => l.type === 'router-started'));
    } else {
      const router = spawnRole('router');
      await until('the router', () => router.lines.some((l) => l.type === 'router-started'));
      members = [spawnRole('executor')];
      await until('executor 1', () => members[0].lines.some((l) => l.type === 'executor-started'));
      members.push(spawnRole('executor'));
      await until('executor 2', () => members[1].lines.some((l) => l.type === 'executor-started'));
    }
    await publish('warm');
    const owner = await until('the owner to handle the first signal', () =>
      members.find((p) => seen(p, 'warm')),
    );
    const survivor = members.find((p) => p !== owner);
    const timeout = survivor.lines.find((l) => l.type === `${role}-started`)?.sessionTimeoutMs;
    owner.child.kill('SIGKILL');
    const killed = performance.now();
    await publish('after');
    await until('the survivor to take over', () => seen(survivor, 'after'));
    return { ms: performance.now() - killed, sessionTimeoutMs: timeout };
  } finally {
    await producer.disconnect();
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await admin.deleteTopics({ topics: TOPICS.map(([t]) => prefix + t) }).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `failover (kill -9 → first work done by the successor), ${RUNS} runs each; broker group.min.session.timeout.ms = ${floor}`,
);
for (const role of redisUrl ? ['router', 'executor'] : ['router']) {
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await run(role));
  const ms = results.map((r) => r.ms);
  figure(`failover-${role}`, {
    runs: RUNS,
    medianMs: median(ms),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    sessionTimeoutMs: results[0].sessionTimeoutMs,
    brokerMinSessionTimeoutMs: floor,
  });
  console.log(
    `  ${role.padEnd(8)} median ${(median(ms) / 1000).toFixed(2)} s  (min ${(Math.min(...ms) / 1000).toFixed(2)}, max ${(Math.max(...ms) / 1000).toFixed(2)}; session timeout ${results[0].sessionTimeoutMs} ms)`,
  );
}
if (!redisUrl) console.log('  executor SKIPPED: executors need Redis (TRADENOVA_REDIS_URL)');
await admin.disconnect();
