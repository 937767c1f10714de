import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTradovateSimulator, type TradovateSimulator } from '@tradenova/adapter-tradovate/simulator';
import { defaultInstruments, frontMonth, SimulatedExchange, systemClock } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/commands/run.js';
import { main } from '../../src/main.js';
import { Vault } from '../../src/secrets/vault.js';
import { captureIo } from '../capture-io.js';

/**
 * The proof that no secret reaches an output: real flows (a live run copying
 * over the Tradovate simulator's sockets with credentials from the vault, a
 * webhook with its token from the vault, refused webhook requests, metrics, a
 * replay report, validate, an authentication failure) while every byte they
 * print, answer or record is kept, then scanned for each secret value as
 * written and as JSON escapes it.
 */

// Values with characters JSON escapes, so an escaped copy would be caught too.
const PASSWORD = `pw-"leak\\check"-${randomBytes(6).toString('hex')}`;
const WRONG_PASSWORD = `wrong-"pw"-${randomBytes(6).toString('hex')}`;
const TOKEN = `whtok-${randomBytes(12).toString('hex')}`;
const KEY = randomBytes(32);
const signals = fileURLToPath(new URL('../../../../examples/signals/session.jsonl', import.meta.url));

let dir: string;
let sim: TradovateSimulator;
let exchange: SimulatedExchange;
const outputs: { what: string; text: string }[] = [];
const keep = (what: string, text: string) => outputs.push({ what, text });

function needles(): string[] {
  const raw = [PASSWORD, WRONG_PASSWORD, TOKEN, KEY.toString('hex'), KEY.toString('base64')];
  return [...new Set(raw.flatMap((s) => [s, s.toUpperCase(), JSON.stringify(s).slice(1, -1)]))];
}

function walk(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(folder, e.name)) : [join(folder, e.name)],
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function configText(webhookPort: number): string {
  return `leader:
  account: LEADER
connections:
  tv:
    broker: tradovate
    options:
      baseUrl: ${sim.url}
      wsUrl: ${sim.wsUrl}
      username: alice
      password: \${secret:tv_password}
      accounts: [LEAKA1, LEAKB1]
followers:
  - { name: a, account: LEAKA1, broker: tradovate, connection: tv }
  - { name: b, account: LEAKB1, broker: tradovate, connection: tv, scaling: { mode: multiplier, factor: 2 } }
services:
  journal: { url: ${join(dir, 'journal')} }
sources:
  - kind: webhook
    port: ${webhookPort}
    path: /tv
    token: \${secret:webhook_token}
`;
}

function writeVault(file: string, password: string): void {
  const v = Vault.create(file, { raw: KEY });
  v.set('tv_password', password);
  v.set('webhook_token', TOKEN);
  v.save();
}

const saved: Record<string, string | undefined> = {};
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tn-leak-'));
  exchange = new SimulatedExchange({ clock: systemClock, idPrefix: 'leak-' });
  sim = await startTradovateSimulator({
    exchange,
    users: { alice: PASSWORD },
    accounts: [
      { id: 700_001, name: 'LEAKA1' },
      { id: 700_002, name: 'LEAKB1' },
    ],
  });
  exchange.updateQuote(frontMonth(defaultInstruments.get('MNQ'), Date.now()), {
    bidTicks: 84_000,
    askTicks: 84_001,
  });
  writeVault(join(dir, 'good.vault'), PASSWORD);
  writeVault(join(dir, 'bad.vault'), WRONG_PASSWORD);
  for (const k of ['TRADENOVA_VAULT', 'TRADENOVA_SECRETS_KEY', 'TRADENOVA_SECRETS_PASSPHRASE'])
    saved[k] = process.env[k];
  process.env.TRADENOVA_SECRETS_KEY = KEY.toString('base64');
  delete process.env.TRADENOVA_SECRETS_PASSPHRASE;
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(
  url: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text() };
}

describe('no secret in any output', () => {
  it('a live run with vault credentials, webhook alerts good and bad, metrics, a replay, validate and an auth failure', async () => {
    const port = await freePort();
    const config = join(dir, 'live.yaml');
    writeFileSync(config, configText(port));
    process.env.TRADENOVA_VAULT = join(dir, 'good.vault');

    // 1. run --json --metrics: the copier with credentials from the vault.
    let stop = () => {};
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    const run = captureIo();
    let metricsUrl = '';
    const running = runCommand(config, { json: true, metrics: '127.0.0.1:0' }, run.io, {
      stop: stopped,
      onMetrics: (e) => {
        metricsUrl = e.url;
      },
    });
    const url = `http://127.0.0.1:${port}/tv`;
    try {
      // Wait for the webhook to listen (it starts with the engine, after the broker login).
      const accepted = await waitFor(
        () => post(url, JSON.stringify({ token: TOKEN, ticker: 'MNQ1!', action: 'buy', contracts: 1 })),
        { message: 'the webhook to listen', timeout: 60_000, interval: 50, context: () => run.stderr() },
      );
      keep('webhook accepted', accepted.text);
      expect(accepted.status).toBe(202);
      // Refused requests that carry the token (or a near miss) in places an error might quote.
      const refused = [
        await post(url, `{"token":"${TOKEN}", "action": buy}`, { 'content-type': 'text/plain' }),
        await post(url, JSON.stringify({ token: `${TOKEN}x`, ticker: 'MNQ1!', action: 'buy', contracts: 1 })),
        await post(url, JSON.stringify({ token: TOKEN, ticker: TOKEN, action: 'buy', contracts: 1 })),
        await post(
          url,
          JSON.stringify({
            token: TOKEN,
            ticker: 'MNQ1!',
            action: 'buy',
            contracts: 1,
            extra: 1,
            signalId: 'x',
            orderType: TOKEN,
          }),
        ),
        await post(`${url}/${TOKEN}`, '{}'),
      ];
      expect(refused.map((r) => r.status)).toEqual([400, 401, 400, 400, 404]);
      for (const r of refused) keep('webhook refused', r.text);
      // Both followers filled over the simulator's sockets.
      await waitFor(() => (run.stdout().match(/"type":"order-filled"/g) ?? []).length >= 2, {
        message: 'two fills',
        timeout: 10_000,
        interval: 50,
        context: () => `${run.stdout()}\n${run.stderr()}`,
      });
      const metrics = await (await fetch(metricsUrl)).text();
      keep('metrics', metrics);
      expect(metrics).toMatch(/tradenova_orders_total\{broker="tradovate",outcome="filled"\} 2/);
    } finally {
      stop();
    }
    expect(await running).toBe(0);
    keep('run stdout', run.stdout());
    keep('run stderr', run.stderr());
    // The refused alerts are events in the run's output, naming the field.
    expect(run.stdout()).toMatch(/"type":"signal-rejected".*"field":"token"/);
    expect(run.stdout()).toMatch(/"type":"signal-rejected".*"field":"ticker"/);

    // 2. validate, and a replay report (a dry run resolves the vault too).
    const validate = captureIo();
    expect(await main(['validate', '-c', config], validate.io)).toBe(0);
    keep('validate', validate.stdout() + validate.stderr());
    const replay = captureIo();
    const out = join(dir, 'report.json');
    await main(['replay', signals, '-c', config, '--json', '--out', out], replay.io);
    expect(replay.stdout()).toContain('"orders"');
    keep('replay stdout', replay.stdout());
    keep('replay stderr', replay.stderr());
    keep('replay report file', readFileSync(out, 'utf8'));

    // 3. An authentication failure: the vault holds a wrong password; the broker refuses it.
    process.env.TRADENOVA_VAULT = join(dir, 'bad.vault');
    writeFileSync(config, configText(await freePort()));
    const fail = captureIo();
    const code = await main(['run', '-c', config, '--json', '--duration', '5'], fail.io);
    expect(code).not.toBe(0);
    expect(fail.stderr()).toMatch(/TN_ERR_BROKER_AUTH|password/i);
    keep('auth failure stdout', fail.stdout());
    keep('auth failure stderr', fail.stderr());

    // 4. secrets list prints names, never values.
    const list = captureIo();
    await main(['secrets', 'list'], list.io);
    expect(list.stdout()).toBe('tv_password\nwebhook_token\n');
    keep('secrets list', list.stdout() + list.stderr());

    // The journal of record, byte for byte (the embedded database's files), when the run kept one.
    for (const file of walk(join(dir, 'journal'))) keep(`journal ${file}`, readFileSync(file, 'latin1'));

    // The scan: every kept output, for every secret in every form.
    expect(outputs.length).toBeGreaterThanOrEqual(12);
    const found = outputs.flatMap(({ what, text }) =>
      needles()
        .filter((n) => text.includes(n))
        .map((n) => `${what}: ${n}`),
    );
    expect(found).toEqual([]);
  });
});
