import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, runCli, waitFor } from '../services/cli-process.js';
import {
  type ApiProcess,
  call,
  openStream,
  refusedUpgrade,
  startWithApi,
  TEST_KEY_TEXT,
  token,
} from './api-process.js';

type Event = Record<string, unknown> & { seq?: number; type: string };
const followerOf = (m: Event): string | undefined =>
  (m.follower as string | undefined) ?? (m.intent as { follower?: string } | undefined)?.follower;

// The done-when of issue 15, against the real binary: `tradenova demo --api 127.0.0.1:0`.
describe.skipIf(!BUILT)('tradenova demo --api', () => {
  let api: ApiProcess;
  let read: string;
  let control: { token: string; id: string };
  beforeAll(async () => {
    api = await startWithApi(['demo', '--json', '--duration', '600']);
    read = (await token('read', { name: 'dash' })).token;
    control = await token('control', { name: 'ops' });
  }, 90_000);
  afterAll(async () => {
    await api?.stop();
  });

  it('prints the real bound address on loopback', () => {
    expect(api.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(api.base).not.toMatch(/:0$/);
  });

  it('answers 401 without a token or with a bad one, and /healthz without', async () => {
    const none = await call(api.base, 'GET', '/v1/accounts');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('TN_ERR_API_UNAUTHORIZED');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await call(api.base, 'GET', '/v1/health', { token: `${read}x` })).status).toBe(401);
    const other = (await import('jose')).SignJWT;
    const forged = await new other({ scope: 'control' })
      .setProtectedHeader({ alg: 'HS256' })
      .setJti('00000000-0000-0000-0000-000000000000')
      .setIssuer('tradenova')
      .setAudience('tradenova-api')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-key-that-is-long-enough-32-bytes'));
    expect((await call(api.base, 'GET', '/v1/health', { token: forged })).status).toBe(401);
    expect((await call(api.base, 'GET', '/healthz')).status).toBe(200);
    expect(await refusedUpgrade(api.base)).toBe(401);
  });

  it('answers 200 on /v1/health and /v1/accounts (20 accounts) with a read token', async () => {
    const health = await call(api.base, 'GET', '/v1/health', { token: read });
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect((health.body.connections as unknown[]).length).toBeGreaterThan(5);
    const accounts = await call(api.base, 'GET', '/v1/accounts', { token: read });
    expect(accounts.status).toBe(200);
    const list = accounts.body.accounts as {
      name: string;
      account: string;
      broker: string;
      realizedPnl: string;
    }[];
    expect(list.length).toBeGreaterThanOrEqual(20);
    expect(list[0]).toMatchObject({ name: 'f01-paper-fixed-1', account: 'DEMO-F01', broker: 'paper' });
    expect(list[0]!.realizedPnl).toMatch(/^-?\d+\.\d\d$/);
    const one = await call(api.base, 'GET', '/v1/accounts/DEMO-F02', { token: read });
    expect(one.body.name).toBe('f02-tradovate-double');
    expect((await call(api.base, 'GET', '/v1/accounts/nobody', { token: read })).status).toBe(404);
  });

  it('answers 403 to PATCH with a read token; a control token changes it, audited with its id and name', async () => {
    const denied = await call(api.base, 'PATCH', '/v1/accounts/f03-projectx-same', {
      token: read,
      body: { paused: true },
    });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('TN_ERR_API_FORBIDDEN');
    const bad = await call(api.base, 'PATCH', '/v1/accounts/f03-projectx-same', {
      token: control.token,
      body: { risk: { maxOrderQty: 'lots' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/risk\.maxOrderQty/);
    const unknownField = await call(api.base, 'PATCH', '/v1/accounts/f03-projectx-same', {
      token: control.token,
      body: { colour: 'red' },
    });
    expect(unknownField.status).toBe(400);
    const ok = await call(api.base, 'PATCH', '/v1/accounts/f03-projectx-same', {
      token: control.token,
      body: { paused: true, risk: { maxOrderQty: 3 } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.settings).toMatchObject({ paused: true, risk: { maxOrderQty: 3 } });
    const after = await call(api.base, 'GET', '/v1/accounts/f03-projectx-same', { token: read });
    expect(after.body).toMatchObject({ paused: true, settings: { paused: true } });
    const line = await waitFor(
      'the audit line',
      () =>
        api.cli.lines.find(
          (l) => l.type === 'api-action' && l.action === 'account-patch' && l.outcome === 'ok',
        ),
      10_000,
    );
    expect(line).toMatchObject({ tokenId: control.id, tokenName: 'ops', target: 'f03-projectx-same' });
    // The token itself is never printed.
    expect(JSON.stringify(api.cli.lines)).not.toContain(control.token);
    await call(api.base, 'PATCH', '/v1/accounts/f03-projectx-same', {
      token: control.token,
      body: { paused: false },
    });
  });

  it('serves an OpenAPI 3.1 document generated from the request schemas', async () => {
    const doc = await call(api.base, 'GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const paths = doc.body.paths as Record<
      string,
      Record<string, { requestBody?: unknown; parameters?: unknown[] }>
    >;
    const patch = paths['/v1/accounts/{name}']!.patch!.requestBody as {
      content: {
        'application/json': {
          schema: { properties: Record<string, unknown>; additionalProperties: boolean };
        };
      };
    };
    expect(Object.keys(patch.content['application/json'].schema.properties).sort()).toEqual([
      'enabled',
      'paused',
      'risk',
      'scaling',
    ]);
    expect(patch.content['application/json'].schema.additionalProperties).toBe(false);
    const orders = paths['/v1/orders']!.get!.parameters as { name: string }[];
    expect(orders.map((p) => p.name)).toEqual(['account', 'from', 'to', 'status', 'limit', 'cursor']);
  });

  it('streams events with sequence numbers on /v1/stream (token in the header or the query)', async () => {
    const client = await openStream(api.base, read);
    try {
      const hello = await client.next((m) => m.type === 'hello');
      expect(typeof hello.latest).toBe('number');
      const first = (await client.next((m) => typeof m.seq === 'number')) as Event;
      const later = (await client.next(
        (m) => typeof m.seq === 'number' && (m.seq as number) > first.seq!,
      )) as Event;
      expect(later.seq).toBeGreaterThan(first.seq!);
      // Every event in order, none skipped.
      const seqs = client.messages.filter((m) => typeof m.seq === 'number').map((m) => m.seq as number);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    } finally {
      client.ws.close();
    }
    const browser = await openStream(api.base, read, { inQuery: true });
    try {
      await browser.next((m) => m.type === 'hello');
    } finally {
      browser.ws.close();
    }
  });

  it('a token for f01 sees f01 only: accounts, 403 on f02, and never an f02 event on the stream', async () => {
    const f01 = (await token('read', { accounts: ['DEMO-F01'] })).token;
    const accounts = await call(api.base, 'GET', '/v1/accounts', { token: f01 });
    expect((accounts.body.accounts as { name: string }[]).map((a) => a.name)).toEqual(['f01-paper-fixed-1']);
    expect((await call(api.base, 'GET', '/v1/accounts/f02-tradovate-double', { token: f01 })).status).toBe(
      403,
    );
    const all = await openStream(api.base, read);
    const mine = await openStream(api.base, f01);
    try {
      // Wait until the unscoped stream has carried an f02 event and the scoped one has got past it.
      const f02 = (await all.next((m) => followerOf(m as Event) === 'f02-tradovate-double', 60_000)) as Event;
      await mine.next((m) => typeof m.seq === 'number' && (m.seq as number) > f02.seq!, 60_000);
      const events = mine.messages.filter((m) => typeof m.seq === 'number') as Event[];
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) {
        if (e.type === 'signal-completed')
          expect(
            (e.outcomes as { follower: string }[]).every((o) => o.follower === 'f01-paper-fixed-1'),
          ).toBe(true);
        else expect(followerOf(e)).toBe('f01-paper-fixed-1');
      }
      // Asking the stream for an account outside the token is refused.
      const at = mine.messages.length;
      mine.ws.send(JSON.stringify({ subscribe: { accounts: ['f02-tradovate-double'] } }));
      const refused = await mine.next((m) => m.type === 'error', 10_000, at);
      expect(refused.code).toBe('TN_ERR_API_FORBIDDEN');
    } finally {
      all.ws.close();
      mine.ws.close();
    }
  });

  it('resumes after a reconnect from the last sequence number seen', async () => {
    const first = await openStream(api.base, read);
    const seen = (await first.next((m) => typeof m.seq === 'number')) as Event;
    first.ws.close();
    await first.closed;
    const last = Math.max(
      ...first.messages.filter((m) => typeof m.seq === 'number').map((m) => m.seq as number),
    );
    expect(last).toBeGreaterThanOrEqual(seen.seq!);
    const again = await openStream(api.base, read, { since: last });
    try {
      const next = (await again.next((m) => typeof m.seq === 'number')) as Event;
      expect(next.seq).toBe(last + 1);
    } finally {
      again.ws.close();
    }
  });

  it('a subscribe message narrows the stream to event types', async () => {
    const client = await openStream(api.base, read);
    try {
      client.ws.send(JSON.stringify({ subscribe: { types: ['order-filled'] } }));
      const ack = await client.next((m) => m.type === 'subscribed');
      const from = client.messages.indexOf(ack) + 1;
      await client.next((m) => m.type === 'order-filled', 60_000, from);
      const after = client.messages.slice(from).filter((m) => typeof m.seq === 'number');
      expect(after.every((m) => m.type === 'order-filled')).toBe(true);
      const pongAt = client.messages.length;
      client.ws.send(JSON.stringify({ ping: 1 }));
      await client.next((m) => m.type === 'pong', 10_000, pongAt);
    } finally {
      client.ws.close();
    }
  });

  it('the kill switch needs a control token for every account, and is audited', async () => {
    const scoped = (await token('control', { accounts: ['DEMO-F01'] })).token;
    expect((await call(api.base, 'POST', '/v1/kill', { token: read, body: {} })).status).toBe(403);
    expect((await call(api.base, 'POST', '/v1/kill', { token: scoped, body: {} })).status).toBe(403);
    const on = await call(api.base, 'POST', '/v1/kill', { token: control.token, body: { reason: 'test' } });
    expect(on.status).toBe(200);
    expect(on.body.killSwitch).toMatchObject({ engaged: true, reason: 'test' });
    const off = await call(api.base, 'DELETE', '/v1/kill', { token: control.token });
    expect(off.body.killSwitch).toMatchObject({ engaged: false });
    await waitFor(
      'kill audit lines',
      () =>
        api.cli.lines.filter((l) => l.type === 'api-action' && String(l.action).startsWith('kill-')).length >=
        2
          ? true
          : undefined,
      10_000,
    );
    // A scoped control token acts on its own account only.
    expect((await call(api.base, 'POST', '/v1/accounts/DEMO-F02/flatten', { token: scoped })).status).toBe(
      403,
    );
    const flat = await call(api.base, 'POST', '/v1/accounts/DEMO-F01/flatten', { token: scoped });
    expect(flat.status).toBe(200);
  });

  it('orders come from the journal, newest first, paged by cursor', async () => {
    await waitFor(
      'journaled orders',
      () => (api.cli.lines.filter((l) => l.type === 'order-placed').length > 10 ? true : undefined),
      60_000,
    );
    const page1 = await call(api.base, 'GET', '/v1/orders?limit=3', { token: read });
    expect(page1.status).toBe(200);
    const orders1 = page1.body.orders as { id: string }[];
    expect(orders1).toHaveLength(3);
    const page2 = await call(api.base, 'GET', `/v1/orders?limit=3&cursor=${page1.body.next}`, {
      token: read,
    });
    const orders2 = page2.body.orders as { id: string }[];
    expect(Number(orders2[0]!.id)).toBeLessThan(Number(orders1[2]!.id));
    expect((await call(api.base, 'GET', '/v1/orders?limit=0', { token: read })).status).toBe(400);
    const report = await call(api.base, 'GET', `/v1/report?from=0&to=${Date.now() + 60_000}`, {
      token: read,
    });
    expect(report.status).toBe(200);
    expect((report.body.accounts as unknown[]).length).toBeGreaterThan(0);
  });

  it('POST /v1/signals checks the signal like the webhook, and dedupes by id', async () => {
    const bad = await call(api.base, 'POST', '/v1/signals', {
      token: control.token,
      body: { action: 'buy', ticker: 'MNQ1!', contracts: -1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('TN_ERR_SIGNAL_INVALID');
    expect(bad.body.message).toMatch(/contracts/);
    const signal = { action: 'flat', ticker: 'MES1!', alertId: `api-test-${Date.now()}` };
    const ok = await call(api.base, 'POST', '/v1/signals', { token: control.token, body: signal });
    expect(ok.status).toBe(202);
    const again = await call(api.base, 'POST', '/v1/signals', { token: control.token, body: signal });
    expect(again.body).toMatchObject({ duplicate: true, signalId: ok.body.signalId });
  });

  it('a revoked token is refused from then on', async () => {
    const doomed = await token('read');
    expect((await call(api.base, 'GET', '/v1/health', { token: doomed.token })).status).toBe(200);
    const revoked = await call(api.base, 'DELETE', `/v1/tokens/${doomed.id}`, { token: control.token });
    expect(revoked.status).toBe(200);
    const after = await call(api.base, 'GET', '/v1/health', { token: doomed.token });
    expect(after.status).toBe(401);
    expect(after.body.message).toMatch(/revoked/);
  });
});

describe.skipIf(!BUILT)('the audit trail in the journal', () => {
  it('holds each control action with the token id and name, after the demo stops', async () => {
    const demo = await startWithApi(['demo', '--json', '--duration', '600']);
    const control = await token('control', { name: 'auditor' });
    try {
      const patched = await call(demo.base, 'PATCH', '/v1/accounts/f04-rithmic-half', {
        token: control.token,
        body: { risk: { maxOrderQty: 2 } },
      });
      expect(patched.status).toBe(200);
      expect((await call(demo.base, 'POST', '/v1/kill', { token: control.token, body: {} })).status).toBe(
        200,
      );
    } finally {
      await demo.stop();
    }
    const { openCommandJournal } = await import('../../src/services/journal/open-for-command.js');
    const journal = await openCommandJournal({ journal: join(demo.cwd, '.tradenova', 'journal') });
    try {
      const rows = await journal.db.selectFrom('api_audit').selectAll().orderBy('id').execute();
      expect(rows.map((r) => [r.action, r.target, r.token_id, r.token_name, r.outcome])).toEqual([
        ['account-patch', 'f04-rithmic-half', control.id, 'auditor', 'ok'],
        ['kill-engage', null, control.id, 'auditor', 'ok'],
      ]);
      expect(rows[0]!.detail).toEqual({ patch: { risk: { maxOrderQty: 2 } } });
    } finally {
      await journal.close();
    }
  }, 120_000);
});

describe.skipIf(!BUILT)('tradenova api token create', () => {
  it('prints the token as the last stdout line, signed with TRADENOVA_API_SIGNING_KEY', async () => {
    const out = runCli(
      ['api', 'token', 'create', '--scope', 'read', '--accounts', 'f01,f02', '--ttl', '30m', '--name', 'bot'],
      tmpdir(),
      {
        TRADENOVA_API_SIGNING_KEY: TEST_KEY_TEXT,
      },
    );
    expect(out.status).toBe(0);
    const last = out.stdout.trim().split('\n').at(-1)!;
    const { verifyToken } = await import('../../src/api/tokens.js');
    const principal = await verifyToken(new TextEncoder().encode(TEST_KEY_TEXT), last);
    expect(principal).toMatchObject({ scope: 'read', accounts: ['f01', 'f02'], name: 'bot' });
    expect(principal.expiresAt - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    expect(out.stderr).toContain(principal.id);
  });

  it('run: --api belongs to role all and the gateway; the gateway needs --api and Redis', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-api-roles-'));
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'leader: { broker: paper, account: LEAD }',
        'followers:',
        '  - { name: a, broker: paper, account: A1 }',
        'services:',
        '  journal: { enabled: false }',
        // Never contacted: each refusal comes before any service is opened.
        '  kafka: { brokers: ["127.0.0.1:1"] }',
        '',
      ].join('\n'),
    );
    const env = { TRADENOVA_API_SIGNING_KEY: TEST_KEY_TEXT };
    const executor = runCli(['run', '-c', 'config.yaml', '--role', 'executor', '--api', ':0'], dir, env);
    expect(executor.status).toBe(2);
    expect(executor.stderr).toMatch(
      /--api is served by --role all, or for a scale-out cluster by --role gateway/,
    );
    const bare = runCli(['run', '-c', 'config.yaml', '--role', 'gateway'], dir, env);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/--role gateway serves the control API: give its address/);
    const noRedis = runCli(['run', '-c', 'config.yaml', '--role', 'gateway', '--api', ':0'], dir, env);
    expect(noRedis.status).toBe(2);
    expect(noRedis.stderr).toMatch(/--role gateway needs Redis/);
  });

  it('refuses a missing or short key, clearly, and so does demo --api', () => {
    const none = runCli(['api', 'token', 'create', '--scope', 'read'], tmpdir(), {
      TRADENOVA_API_SIGNING_KEY: '',
    });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/TN_ERR_API_KEY_MISSING.*TRADENOVA_API_SIGNING_KEY/);
    const short = runCli(['api', 'token', 'create', '--scope', 'read'], tmpdir(), {
      TRADENOVA_API_SIGNING_KEY: 'short',
    });
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/5 bytes.*at least 32/);
    expect(short.stderr).not.toContain('short,');
    const demo = runCli(['demo', '--json', '--duration', '1', '--api', ':0'], tmpdir(), {
      TRADENOVA_API_SIGNING_KEY: 'short',
    });
    expect(demo.status).toBe(2);
    expect(demo.stderr).toMatch(/TN_ERR_API_KEY_MISSING/);
  });
});
