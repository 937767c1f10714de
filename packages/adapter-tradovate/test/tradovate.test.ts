import {
  type BrokerEvent,
  BUILTIN_INSTRUMENTS,
  type Contract,
  ErrorCode,
  TradeNovaError,
} from '@tradenova/core';
import { MONTH_CODES } from '@tradenova/core/instruments';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { tradovateConfigSchema } from '../src/config.js';
import type { TradovateConnection } from '../src/connection.js';
import { errorFromBody } from '../src/errors.js';
import { averagePriceToTicks } from '../src/parse.js';
import type { TradovateSimulator } from '../src/simulator/index.js';
import { fromTradovateSymbol, toTradovateSymbol } from '../src/symbols.js';
import {
  decodeClientFrame,
  decodeServerFrame,
  encodeClientRequest,
  parseJsonExact,
  stringifyExact,
} from '../src/wire.js';
import { startPair } from './helpers.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: new Date().getUTCFullYear() + 1 };

/** Everything started in a test, stopped after it. */
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
});

async function connected(...args: Parameters<typeof startPair>): Promise<{
  sim: TradovateSimulator;
  connection: TradovateConnection;
  accountId: string;
  events: BrokerEvent[];
}> {
  const pair = await startPair(...args);
  cleanup.push(() => pair.sim.close());
  const events: BrokerEvent[] = [];
  pair.connection.onEvent((e) => events.push(e));
  pair.sim.exchange.updateQuote(MNQ, { bidTicks: 84_000, askTicks: 84_001 });
  await pair.connection.connect();
  cleanup.push(() => pair.connection.disconnect());
  return { ...pair, events };
}

async function failureOf(promise: Promise<unknown>): Promise<TradeNovaError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TradeNovaError);
  return error as TradeNovaError;
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A bare socket client speaking the frames by hand. */
async function rawSocket(
  url: string,
): Promise<{ socket: WebSocket; frames: string[]; closed: Promise<number> }> {
  const socket = new WebSocket(url);
  const frames: string[] = [];
  socket.on('message', (data) => frames.push(data.toString()));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  cleanup.push(async () => socket.terminate());
  return { socket, frames, closed };
}

async function token(sim: TradovateSimulator): Promise<string> {
  const response = await fetch(`${sim.url}/auth/accesstokenrequest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'raw', password: 'x', appId: 'test', appVersion: '1', deviceId: 'd' }),
  });
  return ((await response.json()) as { accessToken: string }).accessToken;
}

describe('symbols', () => {
  it('round-trips every built-in product, month and year of the decade', () => {
    const at = Date.UTC(2025, 5, 1);
    for (const spec of BUILTIN_INSTRUMENTS) {
      for (const month of MONTH_CODES) {
        for (let year = 2025; year <= 2033; year++) {
          const contract: Contract = { root: spec.root, month, year };
          const name = toTradovateSymbol(contract);
          expect(name).toBe(`${spec.root}${month}${year % 10}`);
          expect(fromTradovateSymbol(name, { at })).toEqual(contract);
        }
      }
    }
  });

  it('reads MNQZ5 as December 2025 and refuses names Tradovate never uses', () => {
    expect(fromTradovateSymbol('MNQZ5', { at: Date.UTC(2025, 10, 1) })).toEqual({
      root: 'MNQ',
      month: 'Z',
      year: 2025,
    });
    expect(fromTradovateSymbol('M2KH6', { at: Date.UTC(2025, 10, 1) })).toEqual({
      root: 'M2K',
      month: 'H',
      year: 2026,
    });
    for (const bad of ['MNQZ25', 'MNQ 12-25', 'MNQ', 'XXXZ5', 'mnqz5'])
      expect(() => fromTradovateSymbol(bad)).toThrow();
  });
});

describe('wire format', () => {
  it('keeps prices exact in both directions', () => {
    expect(parseJsonExact('{"price":21000.10,"qty":2,"d":[{"stopPrice":0.00005}]}')).toEqual({
      price: '21000.10',
      qty: 2,
      d: [{ stopPrice: '0.00005' }],
    });
    expect(stringifyExact({ price: '21000.25', text: '1.5', orderQty: 1 })).toBe(
      '{"price":21000.25,"text":"1.5","orderQty":1}',
    );
    expect(averagePriceToTicks('21000.125', '0.25')).toBe(84_000.5);
    expect(averagePriceToTicks('110.015625', '0.015625')).toBe(7041);
  });

  it('decodes the o / h / a / c frames and encodes requests with empty fields', () => {
    expect(decodeServerFrame('o')).toEqual({ type: 'open' });
    expect(decodeServerFrame('h')).toEqual({ type: 'heartbeat' });
    expect(decodeServerFrame('a[{"s":200,"i":6,"d":{"orderId":1}},{"e":"props","d":{}}]')).toEqual({
      type: 'data',
      messages: [
        { s: 200, i: 6, d: { orderId: 1 } },
        { e: 'props', d: {} },
      ],
    });
    expect(decodeServerFrame('c[3000,"Go away!"]')).toEqual({
      type: 'close',
      code: 3000,
      reason: 'Go away!',
    });
    const text = encodeClientRequest({ endpoint: 'account/list', id: 4, query: '', body: '' });
    expect(text).toBe('account/list\n4\n\n');
    expect(decodeClientFrame(text)).toEqual({
      type: 'request',
      request: { endpoint: 'account/list', id: 4, query: '', body: '' },
    });
    expect(decodeClientFrame('[]')).toEqual({ type: 'heartbeat' });
  });
});

describe('HTTP-200 rejections', () => {
  it('maps failureReason, violations and errorText by table', () => {
    const reject = errorFromBody(
      { failureReason: 'MaxPosLimitReached', failureText: 'Max position limit reached' },
      { endpoint: 'order/placeorder' },
    );
    expect(reject?.code).toBe(ErrorCode.BrokerRejected);
    expect(reject?.message).toContain('MaxPosLimitReached');
    expect(
      errorFromBody({ failureReason: 'ExecutionProviderUnavailable' }, { endpoint: 'order/placeorder' })
        ?.code,
    ).toBe(ErrorCode.BrokerUnavailable);
    expect(
      errorFromBody(
        { violations: [{ description: 'accountId is required' }] },
        { endpoint: 'order/placeorder' },
      )?.message,
    ).toContain('accountId is required');
    expect(
      errorFromBody({ errorText: 'Incorrect username or password' }, { endpoint: 'auth/accesstokenrequest' })
        ?.code,
    ).toBe(ErrorCode.BrokerAuth);
    expect(errorFromBody({ orderId: 5 }, { endpoint: 'order/placeorder' })).toBeUndefined();
    expect(
      errorFromBody({ orderId: 5, failureReason: 'Success' }, { endpoint: 'order/placeorder' }),
    ).toBeUndefined();
  });

  it('the simulator answers a refused order with HTTP 200 and failureReason; the adapter throws BrokerRejectedError', async () => {
    const { sim, connection, accountId } = await connected();
    sim.faults.rejectNext(1, 'MaxPosLimitReached');
    const error = await failureOf(
      connection.placeOrder({
        accountId,
        clientOrderId: 'r1',
        contract: MNQ,
        side: 'buy',
        qty: 1,
        orderType: 'market',
      }),
    );
    expect(error.code).toBe(ErrorCode.BrokerRejected);
    expect((error as TradeNovaError & { reason: string }).reason).toContain('MaxPosLimitReached');

    // The same answer seen on the wire: 200, not 4xx.
    const tok = await token(sim);
    const account = sim.accounts[0]!;
    const response = await fetch(`${sim.url}/order/placeorder`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
      body: JSON.stringify({
        accountSpec: account.name,
        accountId: account.id,
        action: 'Buy',
        symbol: 'NOPEZ5',
        orderQty: 1,
        orderType: 'Market',
        isAutomated: true,
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ failureReason: 'InvalidContract' });
  });

  it('a cancel of an unknown order is BrokerUnknownOrderError', async () => {
    const { connection, accountId } = await connected();
    const error = await failureOf(connection.cancelOrder({ accountId, orderId: '999' }));
    expect(error.code).toBe(ErrorCode.BrokerUnknownOrder);
  });

  it('the simulator answers a cancel or modify of an unknown order in the CommandResult failure shape (HTTP 200 JSON)', async () => {
    const { sim } = await connected();
    const tok = await token(sim);
    for (const [endpoint, body] of [
      ['order/cancelorder', { orderId: 999 }],
      ['order/modifyorder', { orderId: 999, orderQty: 1, orderType: 'Market' }],
    ] as const) {
      const response = await fetch(`${sim.url}/${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(await response.json()).toEqual({
        failureReason: 'UnknownReason',
        failureText: 'Order 999 not found',
      });
    }
  });

  it('every order is sent with isAutomated: true', async () => {
    const { sim, connection, accountId } = await connected();
    await connection.placeOrder({
      accountId,
      clientOrderId: 'a1',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'market',
    });
    await connection.placeOrder({
      accountId,
      clientOrderId: 'a2',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'market',
      bracket: { stopLossTicks: 83_000, takeProfitTicks: 85_000 },
    });
    expect(sim.stats().nonAutomatedOrders).toBe(0);
  });
});

describe('penalty tickets', () => {
  it('waits p-time and resends with the ticket', async () => {
    const { sim, connection, accountId } = await connected();
    sim.faults.penaltyNext(1, 1);
    const started = Date.now();
    const ack = await connection.placeOrder({
      accountId,
      clientOrderId: 'p1',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'market',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(ack.orderId).toBeTruthy();
    expect(sim.stats().penalties).toBe(1);
  });

  it('the simulator only honours a ticket after its wait', async () => {
    const { sim } = await connected({ penaltyRequestsPerSecond: 1, penaltySeconds: 1 });
    // The limit counts per endpoint per second: let the adapter's own login age out first.
    await new Promise((r) => setTimeout(r, 1_050));
    const tok = await token(sim);
    const get = (ticket?: string) =>
      fetch(`${sim.url}/account/list${ticket ? `?p-ticket=${ticket}` : ''}`, {
        headers: { authorization: `Bearer ${tok}` },
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    await new Promise((r) => setTimeout(r, 1_050));
    expect(Array.isArray(await get())).toBe(true);
    const penalty = await get();
    expect(penalty).toMatchObject({ 'p-time': 1, 'p-captcha': false });
    const ticket = penalty['p-ticket'] as string;
    // Too early: another penalty.
    expect(await get(ticket)).toHaveProperty('p-ticket');
    await new Promise((r) => setTimeout(r, 1_050));
    expect(Array.isArray(await get(ticket))).toBe(true);
  });

  it('a penalty longer than maxPenaltyWaitMs, or one with a captcha, is BrokerRateLimitedError', async () => {
    const { sim, connection, accountId } = await connected({}, { maxPenaltyWaitMs: 500 });
    sim.faults.penaltyNext(1, 30);
    const long = await failureOf(connection.getPositions(accountId));
    expect(long.code).toBe(ErrorCode.BrokerRateLimited);
    expect((long as TradeNovaError & { retryAfterMs: number }).retryAfterMs).toBe(30_000);
    sim.faults.penaltyNext(1, 0, true);
    const captcha = await failureOf(connection.getPositions(accountId));
    expect((captcha as TradeNovaError & { retryAfterMs: number }).retryAfterMs).toBe(3_600_000);
  });

  it('a 429 is BrokerRateLimitedError with the documented one-hour lockout', async () => {
    const { sim, connection, accountId } = await connected();
    sim.faults.rateLimitNext();
    const error = await failureOf(connection.getOpenOrders(accountId));
    expect(error.code).toBe(ErrorCode.BrokerRateLimited);
    expect((error as TradeNovaError & { retryAfterMs: number }).retryAfterMs).toBe(3_600_000);
  });
});

describe('session', () => {
  it('an expired token gets one fresh login and the request goes through', async () => {
    const { sim, connection, accountId } = await connected();
    expect(sim.stats().logins).toBe(1);
    sim.faults.expireTokens();
    expect(await connection.getPositions(accountId)).toEqual([]);
    expect(sim.stats().logins).toBe(2);
  });

  it('wrong credentials are BrokerAuthError, without the password in the message', async () => {
    const pair = await startPair(
      { users: { alice: 'right-password' } },
      { username: 'alice', password: 'hunter2-wrong' },
    );
    cleanup.push(() => pair.sim.close());
    const error = await failureOf(pair.connection.connect());
    expect(error.code).toBe(ErrorCode.BrokerAuth);
    expect(error.message).not.toContain('hunter2');
    expect(pair.connection.health().state).toBe('disconnected');
  });

  it('live needs a deviceId: the config names the setting', () => {
    const result = tradovateConfigSchema.safeParse({ environment: 'live', username: 'u', password: 'p' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain('deviceId');
    expect(JSON.stringify(result.error?.issues)).not.toContain('"p"');
  });
});

describe('user socket', () => {
  it('speaks the frames: o first, authorize (plain or JSON-quoted token), a[...] answers, h when idle', async () => {
    const { sim } = await connected({ serverHeartbeatMs: 100 });
    const tok = await token(sim);
    const { socket, frames } = await rawSocket(sim.wsUrl);
    await until('o', () => frames.length > 0);
    expect(frames[0]).toBe('o');
    socket.send(`authorize\n0\n\n${JSON.stringify(tok)}`);
    await until('authorized', () => frames.includes('a[{"s":200,"i":0}]'));
    socket.send('account/list\n1\n\n');
    await until('account list', () => frames.some((f) => f.startsWith('a[{"s":200,"i":1,"d":[')));
    const beat = setInterval(() => socket.send('[]'), 50);
    cleanup.push(async () => clearInterval(beat));
    await until('a server heartbeat', () => frames.includes('h'));
  });

  it('drops a client that stops sending []', async () => {
    const { sim } = await connected({ heartbeatTimeoutMs: 300 });
    const tok = await token(sim);
    const silent = await rawSocket(sim.wsUrl);
    const beating = await rawSocket(sim.wsUrl);
    for (const s of [silent, beating]) s.socket.send(`authorize\n0\n\n${tok}`);
    const beat = setInterval(() => beating.socket.send('[]'), 100);
    cleanup.push(async () => clearInterval(beat));
    const started = Date.now();
    await silent.closed;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(silent.frames.some((f) => f.startsWith('c['))).toBe(true);
    expect(beating.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('the adapter heartbeat keeps it connected past the server timeout', async () => {
    const { connection, events } = await connected({ heartbeatTimeoutMs: 400 }, { heartbeatMs: 100 });
    await new Promise((r) => setTimeout(r, 1_200));
    expect(connection.health().state).toBe('connected');
    expect(events.filter((e) => e.type === 'connection-changed' && e.state === 'reconnecting')).toEqual([]);
  });

  it('a shutdown event makes the adapter reconnect and resync', async () => {
    const { sim, connection, accountId, events } = await connected();
    sim.faults.shutdown('Maintenance');
    await until('reconnected', () => {
      const states = events.flatMap((e) => (e.type === 'connection-changed' ? [e.state] : []));
      return states.includes('reconnecting') && states.at(-1) === 'connected';
    });
    const ack = await connection.placeOrder({
      accountId,
      clientOrderId: 's1',
      contract: MNQ,
      side: 'sell',
      qty: 1,
      orderType: 'market',
    });
    await until('fill after resync', () =>
      events.some((e) => e.type === 'order-filled' && e.fill.orderId === ack.orderId),
    );
  });
});
