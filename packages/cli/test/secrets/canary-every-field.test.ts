import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tradovate from '@tradenova/adapter-tradovate';
import { startTradovateSimulator, type TradovateSimulator } from '@tradenova/adapter-tradovate/simulator';
import { defaultInstruments, engineConfigSchema, frontMonth } from '@tradenova/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { freePort } from '../../src/chaos/hosted.js';
import { Vault } from '../../src/secrets/vault.js';
import { Journal } from '../../src/services/journal/index.js';
import { BUILT, type CliProcess, startCli, waitFor } from '../services/cli-process.js';
import { describeWithService } from '../services/require-service.js';

/**
 * Issue 16: every value that came from a `${env:}` or `${secret:}` reference stays out of
 * every output channel of a real `run`. The string fields are enumerated from the config
 * schema (and the options schema of the adapter the run uses), so a new field is found
 * here: it is planted, or excluded below with a reason, or this test fails. Each planted
 * field gets a canary of its own through a reference (environment and vault in turn); the
 * built CLI runs with them (--metrics, JSON lines; the embedded journal, and a PostgreSQL one
 * in a schema named by a canary, migrated first) through webhook
 * signals, one refused and one a follower's rule blocks, then a second run fails after
 * loading (its broker refuses the login). The scan reads stdout, stderr, the /metrics
 * body, every column of every journal table, and the failed run's output. A follower
 * written in clear is the control: the same scan finds its values in those channels.
 */

/** Fields not planted, each with why its value cannot or need not be a canary. */
const EXCLUDED: Record<string, string> = {
  'leader.broker': 'a broker name from a fixed list: public vocabulary',
  'followers.[].broker': 'a broker name from a fixed list: public vocabulary',
  'connections.*.broker': 'a broker name from a fixed list: public vocabulary',
  'leader.connection': 'names a key of connections, which the file writes in clear',
  'followers.[].connection': 'names a key of connections, which the file writes in clear',
  'followers.[].symbolMap.*.to': 'an instrument root from the registry: public vocabulary',
  'followers.[].risk.allowedInstruments.[]': 'an instrument root from the registry: public vocabulary',
  'followers.[].risk.timezone': 'an IANA zone name: public vocabulary',
  'followers.[].risk.tradingWindows.[].start':
    'a clock time (HH:MM): redacting it would garble every time printed',
  'followers.[].risk.tradingWindows.[].end':
    'a clock time (HH:MM): redacting it would garble every time printed',
  'followers.[].risk.flatBy': 'a clock time (HH:MM): redacting it would garble every time printed',
  'sources.[].host': 'the address the webhook binds: this run listens on loopback',
  'services.kafka.brokers.[]': 'Kafka is not part of this one-process run',
  'services.kafka.prefix': 'Kafka is not part of this one-process run',
  'services.kafka.clientId': 'Kafka is not part of this one-process run',
  'services.kafka.group': 'Kafka is not part of this one-process run',
  'services.redis.url': 'Redis is not part of this one-process run',
  'services.redis.prefix': 'Redis is not part of this one-process run',
  'connections.*.options.baseUrl': "the simulator's address, which the run must reach",
  'connections.*.options.wsUrl': "the simulator's address, which the run must reach",
};

/** Where a field's canary must take a shape of its own (a pattern in the schema). */
type Shape = 'word' | 'money' | 'digits' | 'url-path' | 'journal';
const SHAPES: Record<string, Shape> = {
  'followers.[].startingBalance': 'money',
  'followers.[].scaling.leaderEquity': 'money',
  'followers.[].scaling.followerEquity': 'money',
  'followers.[].scaling.amount': 'money',
  'followers.[].risk.dailyLossLimit': 'money',
  'followers.[].risk.trailingDrawdown.amount': 'money',
  'connections.*.options.cid': 'digits',
  'sources.[].path': 'url-path',
  'services.journal.url': 'journal',
};

/** Marks a place in the base config where a canary goes. */
const PLANT = '<plant>';
/** The follower account at the Tradovate simulator: its own canary, also the connection's `accounts` entry. */
const LINKED_ACCOUNT = '<linked-account>';

type JsonSchema = {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $defs?: Record<string, JsonSchema>;
};

/** Paths (`followers.[].name`, `connections.*.options.password`) of every free string field of a schema. */
function stringFields(schema: z.ZodType, prefix: string[] = []): string[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const found = new Set<string>();
  const walk = (s: JsonSchema | undefined, path: string[], depth: number) => {
    if (!s || depth > 40) return;
    if (s.$ref) return walk(root.$defs?.[s.$ref.split('/').pop()!], path, depth + 1);
    for (const list of [s.anyOf, s.oneOf, s.allOf]) for (const v of list ?? []) walk(v, path, depth + 1);
    if (s.type === 'string' && !s.enum && s.const === undefined) found.add(path.join('.'));
    for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, [...path, k], depth + 1);
    if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, [...path, '*'], depth + 1);
    if (s.items) walk(s.items, [...path, '[]'], depth + 1);
  };
  walk(root, prefix, 0);
  return [...found];
}

/** Every place in `config` a schema path names (arrays and records expanded), as parent and key. */
function placesOf(config: unknown, path: string): { parent: Record<string, unknown>; key: string }[] {
  const segments = path.split('.');
  let at: unknown[] = [config];
  for (const seg of segments.slice(0, -1)) {
    at = at.flatMap((node) => {
      if (node === null || typeof node !== 'object') return [];
      if (seg === '[]') return Array.isArray(node) ? node : [];
      if (seg === '*') return Array.isArray(node) ? [] : Object.values(node);
      return [(node as Record<string, unknown>)[seg]];
    });
  }
  const last = segments.at(-1)!;
  return at.flatMap((node) => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return [];
    const parent = node as Record<string, unknown>;
    if (last === '[]' || last === '*') return [];
    return [{ parent, key: last }];
  });
}

const rand = () => randomBytes(6).toString('hex');
const KEY = randomBytes(32);

let dir: string;
let sim: TradovateSimulator;
/** Canary values by the field they were planted in, and the references that carry them. */
const canaries = new Map<string, string>();
const env: Record<string, string> = {};
const vaultSecrets: Record<string, string> = {};
const CONTROL = { name: `ctl-${rand()}`, account: `CTL${rand()}` };
const fields = [
  ...stringFields(engineConfigSchema),
  ...stringFields(tradovate.configSchema, ['connections', '*', 'options']),
];
let planted: string[] = [];
const outputs: { channel: string; text: string }[] = [];
/** The PostgreSQL server the journal is on; the embedded journal (a directory) when absent. */
let pgServer: string | undefined;

function canaryValue(n: number, shape: Shape): string {
  switch (shape) {
    case 'money':
      // Near 50,000 (scaling ratios stay near 1), never a round number another output would print.
      return `${50_000 + n * 37 + Math.floor(Math.random() * 30)}.${String(101 + n).padStart(3, '0')}`;
    case 'digits':
      return `9${String(n).padStart(2, '0')}${Math.floor(Math.random() * 1e6)}`;
    case 'url-path':
      return `/cnry${n}q${rand()}`;
    case 'journal':
      // A server URL with a parameter of the canary's own (as a password would be), or a directory.
      return pgServer
        ? `${pgServer}${pgServer.includes('?') ? '&' : '?'}application_name=cnry${n}q${rand()}`
        : join(dir, `cnry${n}q${rand()}`);
    default:
      return `cnry${n}q${rand()}`;
  }
}

/** A reference carrying `value`: even canaries through the environment, odd ones through the vault. */
function reference(n: number, value: string): string {
  if (n % 2 === 0) {
    env[`TN_CANARY_${n}`] = value;
    return `\${env:TN_CANARY_${n}}`;
  }
  vaultSecrets[`canary_${n}`] = value;
  return `\${secret:canary_${n}}`;
}

/** The run's config with a PLANT at every place a field gets a canary. */
function baseConfig(webhookPort: number) {
  return {
    version: 1,
    leader: { name: PLANT, broker: 'paper', account: PLANT },
    connections: {
      tv: {
        broker: 'tradovate',
        options: {
          baseUrl: sim.url,
          wsUrl: sim.wsUrl,
          username: PLANT,
          password: PLANT,
          appId: PLANT,
          appVersion: PLANT,
          deviceId: PLANT,
          cid: PLANT,
          secret: PLANT,
          accounts: [LINKED_ACCOUNT],
        },
      },
    },
    followers: [
      {
        name: PLANT,
        broker: 'paper',
        account: PLANT,
        firm: PLANT,
        startingBalance: PLANT,
        scaling: { mode: 'equity', leaderEquity: PLANT, followerEquity: PLANT },
        risk: { dailyLossLimit: PLANT, trailingDrawdown: { amount: PLANT } },
      },
      {
        // Blocked by its own rule: the order that fails.
        name: PLANT,
        broker: 'paper',
        account: PLANT,
        scaling: { mode: 'risk', amount: PLANT, defaultStopTicks: 40 },
        risk: { allowedInstruments: ['ES'] },
      },
      { name: PLANT, broker: 'tradovate', connection: 'tv', account: LINKED_ACCOUNT },
      // The control: written in clear, so every channel shows it.
      { name: CONTROL.name, broker: 'paper', account: CONTROL.account },
    ],
    services: { journal: { url: PLANT, schema: PLANT } },
    sources: [{ kind: 'webhook', port: webhookPort, path: PLANT, token: PLANT }],
  };
}

/** Replaces every PLANT with a reference to a canary of its own; returns the fields planted. */
function plant(config: Record<string, unknown>): string[] {
  let n = 0;
  const done: string[] = [];
  for (const field of fields) {
    if (field in EXCLUDED) continue;
    for (const { parent, key } of placesOf(config, field)) {
      const here = parent[key];
      const linked = Array.isArray(here) && here.includes(LINKED_ACCOUNT);
      if (here !== PLANT && here !== LINKED_ACCOUNT && !linked) continue;
      if (linked) continue; // The connection's list takes the follower's reference, below.
      const value = canaryValue(++n, SHAPES[field] ?? 'word');
      const ref = reference(n, value);
      canaries.set(`${field}#${n}`, value);
      parent[key] = ref;
      if (here === LINKED_ACCOUNT) {
        const accounts = (config.connections as { tv: { options: { accounts: string[] } } }).tv.options
          .accounts;
        accounts[accounts.indexOf(LINKED_ACCOUNT)] = ref;
        done.push('connections.*.options.accounts.[]');
      }
      done.push(field);
    }
  }
  return [...new Set(done)];
}

function writeVault(file: string, secrets: Record<string, string>): void {
  const v = Vault.create(file, { raw: KEY });
  for (const [name, value] of Object.entries(secrets)) v.set(name, value);
  v.save();
}

const canary = (field: string) => [...canaries].find(([k]) => k.startsWith(`${field}#`))?.[1];
/** Each canary (as written and as JSON escapes it) found in `text`. */
const leaks = (text: string) =>
  [...canaries].filter(([, v]) => text.includes(v) || text.includes(JSON.stringify(v).slice(1, -1)));

describe.skipIf(!BUILT)('no value from a reference in any output of run, embedded journal', () =>
  canarySuite(undefined),
);
describeWithService('postgres', 'no value from a reference in any output of run, PostgreSQL journal', (url) =>
  describe.skipIf(!BUILT)('built CLI', () => canarySuite(url)),
);

function canarySuite(server: string | undefined): void {
  let webhookPort: number;
  let configText: string;
  const processes: CliProcess[] = [];

  beforeAll(async () => {
    pgServer = server;
    canaries.clear();
    outputs.length = 0;
    for (const k of Object.keys(env)) delete env[k];
    for (const k of Object.keys(vaultSecrets)) delete vaultSecrets[k];
    dir = mkdtempSync(join(tmpdir(), 'tn-canary-run-'));
    const simPort = await freePort();
    sim = await startTradovateSimulator({ port: simPort, accounts: [] });
    webhookPort = await freePort();
    const config = baseConfig(webhookPort) as Record<string, unknown>;
    planted = plant(config);
    // The Tradovate simulator knows the planted login and account.
    await sim.close();
    const username = canary('connections.*.options.username')!;
    sim = await startTradovateSimulator({
      port: simPort,
      users: { [username]: canary('connections.*.options.password')! },
      accounts: [{ id: 710_001, name: tradovateAccount(config) }],
    });
    sim.exchange.updateQuote(frontMonth(defaultInstruments.get('MNQ'), Date.now()), {
      bidTicks: 84_000,
      askTicks: 84_001,
    });
    configText = stringify(config);
    writeFileSync(join(dir, 'config.yaml'), configText);
    writeVault(join(dir, 'canary.vault'), vaultSecrets);
  });

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await sim?.close();
    if (pgServer) {
      const schema = canary('services.journal.schema')!;
      const journal = await Journal.open({ url: pgServer, schema });
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(journal.db).catch(() => {});
      await journal.close().catch(() => {});
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (args: string[]) => {
    const p = startCli(args, dir, {
      ...process.env,
      ...env,
      TRADENOVA_VAULT: join(dir, 'canary.vault'),
      TRADENOVA_SECRETS_KEY: KEY.toString('base64'),
      TRADENOVA_SECRETS_PASSPHRASE: '',
    });
    processes.push(p);
    return p;
  };

  it('plants a canary in every free string field the schemas name (or says why not)', () => {
    const unplanted = fields.filter((f) => !(f in EXCLUDED) && !planted.includes(f));
    expect(unplanted, 'fields with no canary and no reason to exclude them').toEqual([]);
    expect(Object.keys(EXCLUDED).filter((f) => !fields.includes(f))).toEqual([]);
    // A non-trivial enumeration: names, accounts, money, credentials, the webhook, the journal.
    expect(fields.length).toBeGreaterThanOrEqual(30);
    expect(planted.length).toBeGreaterThanOrEqual(20);
    expect(canaries.size).toBeGreaterThanOrEqual(25);
    expect(configText).not.toContain(PLANT);
    for (const [, value] of canaries) expect(configText).not.toContain(value);
  });

  it('a run through good, refused and blocked signals, and a run its broker refuses: no canary in stdout, stderr, /metrics or the journal', async () => {
    const show = () =>
      processes.map((p, i) => `#${i} exit=${p.child.exitCode}\n${p.stderr().slice(-1500)}`).join('\n');
    if (pgServer) {
      // A server journal is migrated first: `migrate` is one more output to scan.
      const migrate = start(['migrate', '-c', 'config.yaml']);
      expect(await migrate.exited, show()).toBe(0);
      outputs.push({
        channel: 'migrate stdout and stderr',
        text: migrate.stderr() + JSON.stringify(migrate.lines),
      });
    }
    const run = start(['run', '-c', 'config.yaml', '--json', '--metrics', '127.0.0.1:0']);
    await waitFor('the run to start', () => run.lines.find((l) => l.type === 'recovered'), 90_000, show);
    const url = `http://127.0.0.1:${webhookPort}${canary('sources.[].path')}`;
    const token = canary('sources.[].token')!;
    const post = async (body: Record<string, unknown>) => {
      const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
      outputs.push({ channel: `webhook answer ${res.status}`, text: await res.text() });
      return res.status;
    };
    expect(await post({ token, ticker: 'MNQ1!', action: 'buy', contracts: 1 })).toBe(202);
    expect(await post({ token, ticker: 'MNQ1!', action: 'sell', contracts: 1 })).toBe(202);
    // Refused: an instrument nobody knows.
    expect(await post({ token, ticker: 'QQQQQ1!', action: 'buy', contracts: 1 })).toBe(400);
    await waitFor(
      'both signals to complete and the blocked order to be reported',
      () =>
        run.lines.filter((l) => l.type === 'signal-completed').length >= 2 &&
        run.lines.some((l) => l.type === 'order-blocked') &&
        run.lines.some((l) => l.type === 'signal-rejected')
          ? true
          : undefined,
      60_000,
      show,
    );
    const metricsUrl = /metrics at (\S+)/.exec(run.stderr())?.[1];
    expect(metricsUrl, run.stderr()).toBeDefined();
    const metrics = await (await fetch(metricsUrl!)).text();
    run.child.kill('SIGTERM');
    expect(await run.exited, show()).toBe(0);

    const stdout = run.lines.map((l) => JSON.stringify(l)).join('\n');
    const journal = await journalRows(
      canary('services.journal.url')!,
      pgServer ? canary('services.journal.schema') : undefined,
    );

    // The error path: the same config, but the broker refuses the login.
    const simPort = Number(new URL(sim.url).port);
    await sim.close();
    sim = await startTradovateSimulator({
      port: simPort,
      users: { someoneelse: 'not-the-password' },
      accounts: [{ id: 710_001, name: 'SOMEONE1' }],
    });
    const failed = start(['run', '-c', 'config.yaml', '--json']);
    const code = await failed.exited;
    // run's error path: the broker's refusal, typed and named with its connection, exit 2 (never a crash, 70).
    expect(code, show()).toBe(2);
    expect(failed.stderr()).toMatch(
      /^tradenova: could not open a broker connection: TN_ERR_BROKER_AUTH: tradovate: .*password/m,
    );
    expect(failed.stderr()).toMatch(/^ {2}connection tv \(tradovate\), for follower /m);
    expect(failed.stderr()).not.toMatch(/^\s+at /m);
    expect(failed.lines.at(-1)).toMatchObject({
      type: 'connection-status',
      connection: 'tv',
      state: 'disconnected',
    });
    const failedOut = failed.lines.map((l) => JSON.stringify(l)).join('\n') + failed.stderr();

    outputs.push(
      { channel: 'run stdout (JSON lines)', text: stdout },
      { channel: 'run stderr', text: run.stderr() },
      { channel: '/metrics', text: metrics },
      { channel: 'journal rows', text: journal },
      { channel: 'failed run stdout and stderr', text: failedOut },
    );
    // The control: values written in clear show in the channels that name followers.
    expect(stdout).toContain(CONTROL.name);
    expect(stdout).toContain(CONTROL.account);
    expect(journal).toContain(CONTROL.account);
    expect(metrics).toContain(CONTROL.name);
    // stderr and the failed run's output carry configured values too: the webhook's address with its
    // path (a canary) taken out, the connection by its key.
    expect(run.stderr()).toMatch(/webhook at http:\/\/127\.0\.0\.1:\d+\[redacted\]/);
    expect(failedOut).toContain('"connection":"tv"');
    // A follower named by a reference is labelled by its place in the config, one series each.
    expect(metrics).toMatch(/tradenova_follower_pnl\{follower="followers\[0\]",kind="realized"\}/);
    expect(leaks(`${CONTROL.name} ${CONTROL.account}`)).toEqual([]);
    // …and the scanner finds a canary where one is printed unredacted.
    const [, someCanary] = [...canaries][0]!;
    expect(leaks(`{"account":"${someCanary}"}`).length).toBe(1);

    const found = outputs.flatMap(({ channel, text }) =>
      leaks(text).map(([field]) => `${channel}: ${field}`),
    );
    expect(found).toEqual([]);
    // The references were there to be redacted: the outputs say so.
    expect(stdout).toContain('[redacted]');
  }, 240_000);
}

function tradovateAccount(config: Record<string, unknown>): string {
  const ref = (config.followers as { broker: string; account: string }[]).find(
    (f) => f.broker === 'tradovate',
  )!.account;
  const name = /\$\{(env|secret):([^}]+)\}/.exec(ref)!;
  return name[1] === 'env' ? env[name[2]!]! : vaultSecrets[name[2]!]!;
}

/** Every column of every row of every table the journal holds, as one text. */
async function journalRows(location: string, schema: string | undefined): Promise<string> {
  // The server journal in the run's own schema (the server holds other journals); the embedded one in public.
  const journal = await Journal.open(schema ? { url: location, schema } : { dir: location });
  try {
    const tables = await sql<{ table_schema: string; table_name: string }>`
      select table_schema, table_name from information_schema.tables
      where table_schema = ${schema ?? 'public'}`.execute(journal.db);
    expect(tables.rows.length).toBeGreaterThan(3);
    let all = '';
    for (const t of tables.rows) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(
        `${t.table_schema}.${t.table_name}`,
      )}`.execute(journal.db);
      all += `${t.table_name}: ${JSON.stringify(rows.rows)}\n`;
    }
    return all;
  } finally {
    await journal.close();
  }
}
