import { request } from 'node:http';
import { connect } from 'node:net';
import {
  defaultInstruments,
  type EngineEvent,
  frontMonth,
  parseEngineConfig,
  type SignalResult,
} from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { openSession, type Session } from '../../src/run/session.js';
import { alertToSignal } from '../../src/sources/webhook/alert.js';
import { type WebhookRejection, WebhookSource } from '../../src/sources/webhook/server.js';

const TOKEN = 'tok-3f9a1c0e5b7d2468ace13579';

/** One HTTP request over loopback; resolves with the status, headers and parsed JSON body. */
function send(
  url: string,
  options: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'POST', headers: options.headers ?? {}, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} }),
        );
      },
    );
    // The server may close after refusing a body it did not read; the answer has arrived by then.
    req.on('error', reject);
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

const json = { 'content-type': 'application/json' };

interface Harness {
  source: WebhookSource;
  url: string;
  submitted: unknown[];
  recorded: WebhookRejection[];
}

const running: WebhookSource[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function startSource(overrides: { maxBodyBytes?: number } = {}): Promise<Harness> {
  const submitted: unknown[] = [];
  const recorded: WebhookRejection[] = [];
  const source = new WebhookSource(
    {
      kind: 'webhook',
      port: 0,
      host: '127.0.0.1',
      path: '/tv',
      token: TOKEN,
      maxBodyBytes: overrides.maxBodyBytes ?? 4096,
    },
    { leaderAccount: 'L1', record: (e) => recorded.push(e) },
  );
  await source.start(async (s): Promise<SignalResult> => {
    submitted.push(s);
    return { ok: true, signalId: (s as { signalId: string }).signalId, outcomes: [] };
  });
  running.push(source);
  return { source, url: source.address.url, submitted, recorded };
}

const alert = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ token: TOKEN, ticker: 'MNQ1!', action: 'buy', contracts: 2, price: '21000.25', ...extra });

describe('the webhook source over HTTP', () => {
  it('accepts a TradingView-style alert with the token in the body and hands the engine a signal', async () => {
    const h = await startSource();
    const res = await send(h.url, {
      body: alert({ id: 'Long', time: '2025-11-24T14:30:05Z' }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(res.status).toBe(202);
    expect(res.body.ok).toBe(true);
    expect(h.submitted).toHaveLength(1);
    expect(h.submitted[0]).toMatchObject({
      action: 'new',
      instrument: 'MNQ',
      side: 'buy',
      qty: 2,
      orderType: 'market',
      fillPrice: '21000.25',
      leaderOrderId: 'Long',
      signalId: res.body.signalId,
    });
    // The token never travels on into the signal.
    expect(JSON.stringify(h.submitted[0])).not.toContain(TOKEN);
    expect(h.recorded).toEqual([]);
  });

  it('accepts the token as a Bearer header and the native signal format', async () => {
    const h = await startSource();
    const res = await send(h.url, {
      body: JSON.stringify({ signalId: 's-9', action: 'flatten', instrument: 'MESZ5' }),
      headers: { ...json, authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(202);
    expect(h.submitted[0]).toMatchObject({ signalId: 's-9', action: 'flatten', instrument: 'MESZ5' });
  });

  it('refuses each kind of bad request with its status, names the field, and records every refusal', async () => {
    const h = await startSource({ maxBodyBytes: 1024 });
    const cases: [
      string,
      Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }>,
      number,
      string,
    ][] = [
      [
        'wrong token',
        send(h.url, { body: alert({ token: 'tok-wrong-wrong-wrong-wrong' }), headers: json }),
        401,
        'token',
      ],
      [
        'no token',
        send(h.url, {
          body: JSON.stringify({ ticker: 'MNQ1!', action: 'buy', contracts: 1 }),
          headers: json,
        }),
        401,
        'token',
      ],
      [
        'bad header token',
        send(h.url, { body: alert(), headers: { ...json, 'x-tradenova-token': 'nope' } }),
        401,
        'token',
      ],
      ['other path', send(`${h.url}x`, { body: alert(), headers: json }), 404, 'path'],
      ['GET', send(h.url, { method: 'GET' }), 405, 'method'],
      [
        'form body',
        send(h.url, { body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        415,
        'content-type',
      ],
      ['too large', send(h.url, { body: alert({ note: 'x'.repeat(2000) }), headers: json }), 413, 'body'],
      [
        'not JSON',
        send(h.url, {
          body: `{"token":"${TOKEN}", "action": buy}`,
          headers: { 'content-type': 'text/plain' },
        }),
        400,
        '(body)',
      ],
      ['bad contracts', send(h.url, { body: alert({ contracts: 1.5 }), headers: json }), 400, 'contracts'],
      ['unknown ticker', send(h.url, { body: alert({ ticker: 'ZZZ1!' }), headers: json }), 400, 'ticker'],
      ['bad action', send(h.url, { body: alert({ action: 'hold' }), headers: json }), 400, 'action'],
      [
        'native, bad side',
        send(h.url, {
          body: JSON.stringify({
            token: TOKEN,
            signalId: 'n1',
            action: 'new',
            leaderOrderId: 'o',
            instrument: 'MNQ',
            side: 'up',
            qty: 1,
            orderType: 'market',
          }),
          headers: json,
        }),
        400,
        'side',
      ],
    ];
    for (const [what, pending, status, field] of cases) {
      const res = await pending;
      expect({ what, status: res.status, field: res.body.field }).toEqual({ what, status, field });
      expect(typeof res.body.error).toBe('string');
    }
    expect(h.submitted).toEqual([]);
    expect(h.recorded.map((e) => [e.field, e.message.slice(0, 11)])).toEqual(
      cases.map(([, , status, field]) => [field, `webhook ${status}`]),
    );
    // 401s carry the webhook code; bad alerts the signal code.
    expect(h.recorded[0]!.code).toBe('TN_ERR_WEBHOOK_REJECTED');
    expect(h.recorded.find((e) => e.field === 'contracts')!.code).toBe('TN_ERR_SIGNAL_INVALID');
    // No refusal, answer or event repeats the token (the bad-JSON one quotes nothing of the body).
    expect(JSON.stringify(h.recorded)).not.toContain(TOKEN);
  });

  it('answers 405 with Allow: POST and 401 with WWW-Authenticate', async () => {
    const h = await startSource();
    expect((await send(h.url, { method: 'PUT', body: alert(), headers: json })).headers.allow).toBe('POST');
    expect(
      (await send(h.url, { body: alert({ token: 'x' }), headers: json })).headers['www-authenticate'],
    ).toBe('Bearer');
  });
});

describe('turning alerts into signals', () => {
  const ctx = { now: Date.parse('2025-11-24T15:00:00Z'), sequence: 1 };
  it('maps TradingView fields: exchange prefix, continuous ticker, limit price, brackets, flat', () => {
    expect(
      alertToSignal(
        {
          ticker: 'CME_MINI:MES1!',
          action: 'SELL',
          contracts: '3',
          orderType: 'limit',
          price: 6000.5,
          stopLoss: { ticks: 8 },
        },
        ctx,
      ),
    ).toMatchObject({
      instrument: 'MES',
      side: 'sell',
      qty: 3,
      orderType: 'limit',
      limitPrice: '6000.5',
      bracket: { stopLoss: { ticks: 8 } },
    });
    expect(alertToSignal({ ticker: 'MNQZ2025', action: 'flat' }, ctx)).toMatchObject({
      action: 'flatten',
      instrument: 'MNQZ2025',
    });
  });

  it('reads position as the signed leader position after a market order, and refuses it elsewhere by name', () => {
    const base = { ticker: 'MNQ1!', action: 'sell', contracts: 3, price: '21000.25' };
    expect(alertToSignal({ ...base, position: '-1' }, ctx)).toMatchObject({ leaderPosition: -1 });
    expect(alertToSignal({ ...base, position: 0 }, ctx)).toMatchObject({ leaderPosition: 0 });
    expect(alertToSignal(base, ctx)).not.toHaveProperty('leaderPosition');
    expect(() => alertToSignal({ ...base, position: '1.5' }, ctx)).toThrow(/position.*whole, signed number/);
    expect(() => alertToSignal({ ...base, orderType: 'limit', position: 1 }, ctx)).toThrow(
      /position.*only on a market alert/,
    );
  });

  it('gives the same alert with a time the same id (a repeat is a duplicate) and alerts without a time distinct ids', () => {
    const a = { ticker: 'MNQ1!', action: 'buy', contracts: 1, time: '2025-11-24T14:30:05Z' };
    expect(alertToSignal(a, ctx).signalId).toBe(alertToSignal(a, { ...ctx, sequence: 2 }).signalId);
    const b = { ticker: 'MNQ1!', action: 'buy', contracts: 1 };
    expect(alertToSignal(b, ctx).signalId).not.toBe(alertToSignal(b, { ...ctx, sequence: 2 }).signalId);
  });
});

describe('a webhook in a live session', () => {
  let session: Session | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });

  it('copies an alert to every follower, and a bad alert becomes a signal-rejected event', async () => {
    const port = await freePort();
    const config = parseEngineConfig({
      leader: { account: 'L1' },
      followers: [
        { name: 'a', account: 'A1' },
        { name: 'b', account: 'B1', scaling: { mode: 'multiplier', factor: 2 } },
      ],
      sources: [{ kind: 'webhook', port, path: '/tv', token: TOKEN }],
    });
    session = await openSession(config);
    const events: EngineEvent[] = [];
    session.engine.on((e) => events.push(e));
    await session.engine.start();
    const mnq = frontMonth(defaultInstruments.get('MNQ'), Date.now());
    session.exchanges[0]!.updateQuote(mnq, { bidTicks: 84_000, askTicks: 84_001 });
    const url = `http://127.0.0.1:${port}/tv`;
    // What `run` prints at start so the user knows where to point TradingView (no token in it).
    expect(session.webhookUrls()).toEqual([url]);
    expect((await send(url, { body: alert({ contracts: 1 }), headers: json })).status).toBe(202);
    expect((await send(url, { body: alert({ contracts: 0 }), headers: json })).status).toBe(400);
    await waitFor(() => events.filter((e) => e.type === 'order-filled').length >= 2, {
      message: 'two fills',
    });
    const fills = events.flatMap((e) => (e.type === 'order-filled' ? [[e.follower, e.execution.qty]] : []));
    expect(fills.sort()).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    const rejected = events.filter((e) => e.type === 'signal-rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ field: 'contracts', code: 'TN_ERR_SIGNAL_INVALID' });
    await session.close();
    // After close the port is free again: the source stopped with the engine.
    await expect(send(url, { body: alert(), headers: json })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('webhook alerts and the leader position', () => {
  let session: Session | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });

  /**
   * A live session with a webhook: follower a fixed 1, b ×2, on a paper market at 21000.
   * `holding` is what the accounts hold before it starts (an earlier run's positions).
   */
  async function webhookSession(holding: Record<string, number> = {}) {
    const port = await freePort();
    const config = parseEngineConfig({
      leader: { account: 'L1' },
      followers: [
        { name: 'a', account: 'A1' },
        { name: 'b', account: 'B1', scaling: { mode: 'multiplier', factor: 2 } },
      ],
      sources: [{ kind: 'webhook', port, path: '/tv', token: TOKEN }],
    });
    config.followers[0]!.scaling = { mode: 'fixed', qty: 1 };
    const opened = await openSession(config);
    session = opened;
    const mnq = frontMonth(defaultInstruments.get('MNQ'), Date.now());
    const exchange = opened.exchanges[0]!;
    exchange.updateQuote(mnq, { bidTicks: 84_000, askTicks: 84_001 });
    for (const [accountId, qty] of Object.entries(holding)) {
      await exchange.placeOrder({
        accountId,
        clientOrderId: `before-${accountId}`,
        contract: mnq,
        side: 'buy',
        qty,
        orderType: 'market',
      });
    }
    await opened.engine.start();
    const url = `http://127.0.0.1:${port}/tv`;
    const net = (name: string) =>
      opened.engine.positions(name).find((p) => p.contract.root === 'MNQ')?.netQty ?? 0;
    const post = async (body: string) => expect((await send(url, { body, headers: json })).status).toBe(202);
    return { engine: opened.engine, net, post };
  }

  it('a sell alert that reverses the strategy long reverses a fixed-size follower (it knows the leader position)', async () => {
    const { engine, net, post } = await webhookSession();
    await post(alert({ contracts: 2, id: 'long' }));
    await waitFor(() => net('a') === 1 && net('b') === 4, {
      message: 'a long 1 and b long 4',
      context: () => `a ${net('a')}, b ${net('b')}`,
    });
    // Leader 2 → -1. Read as a fresh entry (no leader position known) the fixed follower would sell 1 and end flat.
    await post(alert({ action: 'sell', contracts: 3, id: 'reverse' }));
    await waitFor(() => net('b') === -2, { message: 'b short 2', context: () => `b ${net('b')}` });
    await engine.idle();
    expect([net('a'), net('b')]).toEqual([-1, -2]);
    expect([...engine.leaderPositions().values()]).toEqual([-1]);
  });

  it('after a restart mid-trade, an alert with the strategy position reverses from the real leader position', async () => {
    // What the earlier run left: the strategy long 2, the followers long 1 and 4.
    const { engine, net, post } = await webhookSession({ A1: 1, B1: 4 });
    expect([net('a'), net('b')]).toEqual([1, 4]);
    await post(alert({ action: 'sell', contracts: 3, id: 'reverse', position: '-1' }));
    await waitFor(() => net('b') === -2, { message: 'b short 2', context: () => `b ${net('b')}` });
    await engine.idle();
    // Without the position the new run would read a fresh short 3: the fixed follower ends flat.
    expect([net('a'), net('b')]).toEqual([-1, -2]);
    expect([...engine.leaderPositions().values()]).toEqual([-1]);
  });
});

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('a request whose body does not arrive in time', () => {
  it('is answered 408 and recorded as 408, what the client received', async () => {
    const recorded: WebhookRejection[] = [];
    const source = new WebhookSource(
      { kind: 'webhook', port: 0, host: '127.0.0.1', path: '/tv', token: TOKEN, maxBodyBytes: 4096 },
      { leaderAccount: 'L1', record: (e) => recorded.push(e), bodyTimeoutMs: 300 },
    );
    await source.start(
      async (s): Promise<SignalResult> => ({
        ok: true,
        signalId: (s as { signalId: string }).signalId,
        outcomes: [],
      }),
    );
    running.push(source);
    const { port } = source.address;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        // Headers and half the declared body, then nothing.
        socket.write(
          'POST /tv HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"tok',
        );
      });
      let text = '';
      socket.on('data', (d) => {
        text += String(d);
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      field: 'body',
      message: expect.stringMatching(/^webhook 408: the body did not arrive/),
    });
  });
});
