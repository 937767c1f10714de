import { HttpTransportType, HubConnectionBuilder } from '@microsoft/signalr';
import {
  type BrokerEvent,
  BUILTIN_INSTRUMENTS,
  type Contract,
  ErrorCode,
  type Logger,
  MONTH_CODES,
  TradeNovaError,
} from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { listProjectXAccounts } from '../src/accounts.js';
import type { ProjectXConnection } from '../src/connection.js';
import { errorFromEnvelope } from '../src/errors.js';
import type { ProjectXSimulator, SimAccountSpec } from '../src/simulator/index.js';
import { fromProjectXContractId, toProjectXContractId, toProjectXName } from '../src/symbols.js';
import { RECORD_SEPARATOR, unwrapHubPayload } from '../src/wire.js';
import { context, FAST_HUB, startPair } from './helpers.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: new Date().getUTCFullYear() + 1 };
const RS = RECORD_SEPARATOR;

/** Everything started in a test, stopped after it. */
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
});

async function connected(...args: Parameters<typeof startPair>): Promise<{
  sim: ProjectXSimulator;
  connection: ProjectXConnection;
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

async function until(what: string, check: () => boolean, timeout = 5_000): Promise<void> {
  await waitFor(check, { message: what, timeout });
}

const fillsOf = (events: BrokerEvent[], orderId: string) =>
  events.flatMap((e) => (e.type === 'order-filled' && e.fill.orderId === orderId ? [e.fill] : []));

/** A REST call to the simulator with a fresh login, bypassing the adapter. */
async function rawRest(
  sim: ProjectXSimulator,
  endpoint: string,
  body: object,
  token?: string,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${sim.url}/api/${endpoint}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function rawLogin(sim: ProjectXSimulator): Promise<string> {
  const answer = await rawRest(sim, 'Auth/loginKey', { userName: 'raw', apiKey: 'k' });
  expect(answer.success).toBe(true);
  return answer.token as string;
}

describe('symbols', () => {
  it('round-trips every built-in product and month through the contract id', () => {
    for (const spec of BUILTIN_INSTRUMENTS) {
      for (const month of MONTH_CODES) {
        for (const year of [2025, 2026, 2031]) {
          const contract: Contract = { root: spec.root, month, year };
          expect(fromProjectXContractId(toProjectXContractId(contract))).toEqual(contract);
        }
      }
    }
  });

  it('uses ProjectX roots and the documented id form', () => {
    expect(toProjectXContractId({ root: 'MNQ', month: 'Z', year: 2025 })).toBe('CON.F.US.MNQ.Z25');
    expect(toProjectXContractId({ root: 'ES', month: 'U', year: 2025 })).toBe('CON.F.US.EP.U25');
    expect(toProjectXContractId({ root: 'NQ', month: 'U', year: 2025 })).toBe('CON.F.US.ENQ.U25');
    expect(fromProjectXContractId('CON.F.US.EU6.H26')).toEqual({ root: '6E', month: 'H', year: 2026 });
    expect(toProjectXName({ root: 'MNQ', month: 'Z', year: 2025 })).toBe('MNQZ5');
    expect(fromProjectXContractId('CON.F.US.XYZ.M27', { XY: 'XYZ' })).toEqual({
      root: 'XY',
      month: 'M',
      year: 2027,
    });
  });

  it('refuses what is not a contract id', () => {
    for (const bad of ['MNQZ5', 'CON.F.US.MNQ.Z5', 'CON.F.US.MNQ.A25', 'con.f.us.mnq.z25', 'F.US.MNQ']) {
      expect(() => fromProjectXContractId(bad)).toThrow(TradeNovaError);
    }
  });
});

describe('envelope mapping', () => {
  it('maps per-endpoint error codes to typed errors', () => {
    const cancel = errorFromEnvelope(
      { errorCode: 6, errorMessage: 'Follower accounts cannot cancel orders' },
      { endpoint: 'Order/cancel' },
    );
    expect(cancel.code).toBe(ErrorCode.BrokerRejected);
    expect(cancel.message).toContain('AccountRejected: Follower accounts cannot cancel orders');
    expect(errorFromEnvelope({ errorCode: 3, errorMessage: null }, { endpoint: 'Auth/loginKey' }).code).toBe(
      ErrorCode.BrokerAuth,
    );
    expect(
      errorFromEnvelope({ errorCode: 2, errorMessage: null }, { endpoint: 'Order/modify', orderId: '9' })
        .code,
    ).toBe(ErrorCode.BrokerUnknownOrder);
    // The same integer means different things on different endpoints.
    expect(errorFromEnvelope({ errorCode: 6, errorMessage: null }, { endpoint: 'Order/place' }).code).toBe(
      ErrorCode.BrokerUnavailable,
    );
    expect(errorFromEnvelope({ errorCode: 3, errorMessage: null }, { endpoint: 'Auth/validate' }).code).toBe(
      ErrorCode.BrokerTokenExpired,
    );
  });

  it('unwraps both hub event shapes', () => {
    expect(unwrapHubPayload({ action: 1, data: { id: 7 } })).toEqual({ id: 7 });
    expect(unwrapHubPayload({ id: 7, accountId: 1 })).toEqual({ id: 7, accountId: 1 });
    expect(unwrapHubPayload(null)).toBeUndefined();
  });
});

describe('simulator speaks SignalR', () => {
  for (const skipNegotiation of [false, true]) {
    it(`the official @microsoft/signalr client subscribes and receives events (${skipNegotiation ? 'skipNegotiation' : 'negotiate'})`, async () => {
      const { sim } = await startPair();
      cleanup.push(() => sim.close());
      const token = await rawLogin(sim);
      const hub = new HubConnectionBuilder()
        .withUrl(`${sim.hubUrl}?access_token=${token}`, {
          skipNegotiation,
          transport: HttpTransportType.WebSockets,
          WebSocket,
        } as never)
        .build();
      const trades: unknown[] = [];
      const orders: unknown[] = [];
      hub.on('GatewayUserTrade', (arg: unknown) => trades.push(arg));
      hub.on('GatewayUserOrder', (arg: unknown) => orders.push(arg));
      await hub.start();
      cleanup.push(() => hub.stop());
      await hub.invoke('SubscribeAccounts');
      await hub.invoke('SubscribeOrders', 536);
      await hub.invoke('SubscribeTrades', 536);
      // A signature mismatch comes back as a Completion with an error (§7.2).
      await expect(hub.invoke('SubscribeAccounts', 536)).rejects.toThrow(/argument/);
      await expect(hub.invoke('NoSuchMethod')).rejects.toThrow(/Unknown hub method/);
      sim.exchange.updateQuote(MNQ, { bidTicks: 84_000, askTicks: 84_001 });
      const placed = await rawRest(
        sim,
        'Order/place',
        {
          accountId: 536,
          contractId: toProjectXContractId(MNQ),
          type: 2,
          side: 0,
          size: 1,
          customTag: 'hub-1',
        },
        token,
      );
      expect(placed.success).toBe(true);
      await until('the trade event', () => trades.length === 1);
      const trade = trades[0] as { action: number; data: { orderId: number; price: number; size: number } };
      expect(trade.data).toMatchObject({ orderId: placed.orderId, price: 21_000.25, size: 1 });
      expect(orders.some((o) => (o as { data: { status: number } }).data.status === 2)).toBe(true);
      // Another account's events are not sent to a connection that did not subscribe to it.
      await rawRest(
        sim,
        'Order/place',
        { accountId: 537, contractId: toProjectXContractId(MNQ), type: 2, side: 0, size: 1 },
        token,
      );
      // The hub sends in order: once a later trade of 536 is here, one of 537 would have been too.
      const later = await rawRest(
        sim,
        'Order/place',
        {
          accountId: 536,
          contractId: toProjectXContractId(MNQ),
          type: 2,
          side: 1,
          size: 1,
          customTag: 'hub-2',
        },
        token,
      );
      await until('the trade of a later order on 536', () => trades.length >= 2);
      expect(trades.map((t) => (t as { data: { orderId: number } }).data.orderId)).toEqual([
        placed.orderId,
        later.orderId,
      ]);
    });
  }

  it('frames by hand: handshake, 0x1E records split and batched, completions, pings, bad handshake', async () => {
    const { sim } = await startPair({ hubPingIntervalMs: 100 });
    cleanup.push(() => sim.close());
    const token = await rawLogin(sim);
    const open = async () => {
      const socket = new WebSocket(`${sim.hubUrl.replace('http', 'ws')}?access_token=${token}`);
      const frames: string[] = [];
      socket.on('message', (d) => frames.push(d.toString()));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      cleanup.push(async () => socket.terminate());
      return { socket, frames, closed };
    };
    const a = await open();
    a.socket.send(`{"protocol":"json",`);
    a.socket.send(`"version":1}${RS}`);
    await until('handshake answer', () => a.frames.includes(`{}${RS}`));
    // Two invocations in one frame, one fire-and-forget (no answer).
    a.socket.send(
      `{"type":1,"invocationId":"0","target":"SubscribeTrades","arguments":[536]}${RS}{"type":1,"target":"SubscribeOrders","arguments":[536]}${RS}`,
    );
    await until('the completion', () => a.frames.some((f) => f.includes('"type":3')));
    expect(a.frames.join('')).toContain(`{"type":3,"invocationId":"0"}${RS}`);
    await until('a server ping', () => a.frames.some((f) => f === `{"type":6}${RS}`));
    expect(a.frames.filter((f) => f.includes('"type":3'))).toHaveLength(1);
    const b = await open();
    b.socket.send(`{"protocol":"messagepack","version":1}${RS}`);
    await b.closed;
    expect(b.frames.join('')).toContain(`Requested protocol 'messagepack' is not available.`);
    // An unknown negotiated id is refused at the upgrade.
    const refused = new WebSocket(`${sim.hubUrl.replace('http', 'ws')}?id=nope&access_token=${token}`);
    refused.on('error', () => {});
    const status = await new Promise<number>((resolve) =>
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(404);
    const unauthorized = await fetch(`${sim.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    expect(unauthorized.status).toBe(401);
  });
});

describe('projectx adapter', () => {
  it('streams through the hub in either event shape, without polling', async () => {
    for (const eventShape of ['wrapped', 'bare'] as const) {
      const { sim, connection, accountId, events } = await connected({ eventShape });
      const ack = await connection.placeOrder({
        accountId,
        clientOrderId: `shape-${eventShape}`,
        contract: MNQ,
        side: 'buy',
        qty: 2,
        orderType: 'market',
      });
      await until('the fill', () => fillsOf(events, ack.orderId).reduce((s, f) => s + f.qty, 0) === 2);
      expect(fillsOf(events, ack.orderId)[0]).toMatchObject({
        clientOrderId: `shape-${eventShape}`,
        priceTicks: 84_001,
      });
      expect(connection.polls).toBe(0);
      expect(sim.hubClients()).toBe(1);
    }
  });

  it('falls back to polling REST while the hub is down and returns to it, with no missed or doubled fill', async () => {
    // A fast window so the poll interval the adapter derives from it (3 requests per account, half the limit) is short.
    const limit = { requests: 100, perMs: 1_000 };
    const { sim, connection, accountId, events } = await connected(
      { rateLimit: limit },
      { rateLimit: limit, accounts: ['PRAC-V2-12345-00001'], pollIntervalMs: 50, reservedRequests: 10 },
    );
    const resting = await connection.placeOrder({
      accountId,
      clientOrderId: 'poll-limit',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitTicks: 83_990,
    });
    await until('working', () =>
      events.some(
        (e) =>
          e.type === 'order-updated' && e.order.orderId === resting.orderId && e.order.status === 'working',
      ),
    );
    const seen = events.length;
    sim.faults.hubOutage();
    await until('the fallback event', () =>
      events
        .slice(seen)
        .some(
          (e) =>
            e.type === 'connection-changed' &&
            e.state === 'reconnecting' &&
            /polling REST/.test(e.reason ?? ''),
        ),
    );
    expect(connection.pollingFallback).toBe(true);
    // Fills while the hub is down: only the polls can tell.
    sim.exchange.updateQuote(MNQ, { bidTicks: 83_989, askTicks: 83_990 });
    await until('the limit fill by polling', () => fillsOf(events, resting.orderId).length === 1);
    await until('long 1 by polling', () =>
      events.some((e) => e.type === 'position-updated' && e.position.netQty === 1),
    );
    const during = await connection.placeOrder({
      accountId,
      clientOrderId: 'poll-market',
      contract: MNQ,
      side: 'sell',
      qty: 1,
      orderType: 'market',
    });
    await until('the market fill by polling', () => fillsOf(events, during.orderId).length === 1);
    // Each polled fill names its intent, whether or not an order event came before it: the
    // engine books a fill to its copy's leg by that id (chaos seed 670287131).
    expect(fillsOf(events, resting.orderId).map((f) => f.clientOrderId)).toEqual(['poll-limit']);
    expect(fillsOf(events, during.orderId).map((f) => f.clientOrderId)).toEqual(['poll-market']);
    await until('flat by polling', () =>
      events.some((e) => e.type === 'position-updated' && e.position.netQty === 0),
    );
    expect(sim.hubClients()).toBe(0);
    expect(connection.polls).toBeGreaterThan(0);
    sim.faults.restoreHub();
    await until('back on the hub', () =>
      events
        .slice(seen)
        .some(
          (e) =>
            e.type === 'connection-changed' && e.state === 'connected' && /hub back/.test(e.reason ?? ''),
        ),
    );
    expect(connection.pollingFallback).toBe(false);
    expect(connection.health().state).toBe('connected');
    const polls = connection.polls;
    const after = await connection.placeOrder({
      accountId,
      clientOrderId: 'hub-again',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'market',
    });
    await until('a fill through the hub', () => fillsOf(events, after.orderId).length === 1);
    await new Promise((r) => setTimeout(r, 400));
    expect(connection.polls).toBe(polls);
    const fills = events.flatMap((e) => (e.type === 'order-filled' ? [e.fill] : []));
    expect(new Set(fills.map((f) => f.fillId)).size).toBe(fills.length);
    expect(fills.map((f) => f.orderId).sort()).toEqual(
      [resting.orderId, during.orderId, after.orderId].sort(),
    );
  });

  it('queues a burst within the declared rate limit instead of failing', async () => {
    const limit = { requests: 20, perMs: 1_000 };
    const { sim, connection, accountId } = await connected(
      { rateLimit: limit },
      { rateLimit: limit, reservedRequests: 2 },
    );
    expect(connection.budget).toEqual({ requests: 18, perMs: 1_000 });
    const started = Date.now();
    const acks = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        connection.placeOrder({
          accountId,
          clientOrderId: `burst-${i}`,
          contract: MNQ,
          side: 'buy',
          qty: 1,
          orderType: 'limit',
          limitTicks: 80_000 - i,
        }),
      ),
    );
    expect(new Set(acks.map((a) => a.orderId)).size).toBe(30);
    expect(sim.stats().rateLimited).toBe(0);
    expect(connection.limiter.queued).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('without the limiter the same burst earns 429s as typed rate-limit errors', async () => {
    const { sim, connection, accountId } = await connected(
      { rateLimit: { requests: 20, perMs: 1_000 } },
      { rateLimit: { requests: 1_000, perMs: 1_000 } },
    );
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        connection.placeOrder({
          accountId,
          clientOrderId: `flood-${i}`,
          contract: MNQ,
          side: 'buy',
          qty: 1,
          orderType: 'limit',
          limitTicks: 80_000 - i,
        }),
      ),
    );
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as TradeNovaError] : []));
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e) => e.code === ErrorCode.BrokerRateLimited && e.disposition === 'retryable')).toBe(
      true,
    );
    expect(sim.stats().rateLimited).toBeGreaterThan(0);
  });

  it('surfaces the cancel restrictions of follower and live accounts as typed rejects', async () => {
    const accounts: SimAccountSpec[] = [
      { id: 601, name: 'PRAC-FOLLOWER', follower: true },
      { id: 602, name: 'LIVE-FUNDED', simulated: false },
    ];
    const { connection } = await connected({ accounts });
    for (const [accountId, reason] of [
      ['PRAC-FOLLOWER', 'Follower accounts cannot cancel orders'],
      ['LIVE-FUNDED', 'Live accounts not supported'],
    ] as const) {
      const ack = await connection.placeOrder({
        accountId,
        clientOrderId: `c-${accountId}`,
        contract: MNQ,
        side: 'buy',
        qty: 1,
        orderType: 'limit',
        limitTicks: 80_000,
      });
      const error = await failureOf(connection.cancelOrder({ accountId, orderId: ack.orderId }));
      expect(error.code).toBe(ErrorCode.BrokerRejected);
      expect(error.disposition).toBe('not-retryable');
      expect((error as TradeNovaError & { reason: string }).reason).toContain(reason);
      expect((await connection.getOpenOrders(accountId)).map((o) => o.orderId)).toContain(ack.orderId);
    }
  });

  it('treats a rejected placement that carries an orderId as a reject, and refuses brackets before sending', async () => {
    const { sim, connection, accountId } = await connected();
    const token = await rawLogin(sim);
    const raw = await rawRest(
      sim,
      'Order/place',
      {
        accountId: 536,
        contractId: toProjectXContractId(MNQ),
        type: 2,
        side: 0,
        size: 1,
        stopLossBracket: { ticks: 40, type: 4 },
      },
      token,
    );
    expect(raw).toMatchObject({ success: false, errorCode: 2 });
    expect(typeof raw.orderId).toBe('number');
    sim.faults.rejectNext(1, 'Order rejected: daily loss limit');
    const error = await failureOf(
      connection.placeOrder({
        accountId,
        clientOrderId: 'rej-1',
        contract: MNQ,
        side: 'buy',
        qty: 1,
        orderType: 'market',
      }),
    );
    expect(error.code).toBe(ErrorCode.BrokerRejected);
    expect(error.message).toMatch(/daily loss limit \(order \d+\)/);
    const before = sim.stats().byEndpoint['Order/place'] ?? 0;
    const bracket = await failureOf(
      connection.placeOrder({
        accountId,
        clientOrderId: 'br-1',
        contract: MNQ,
        side: 'buy',
        qty: 1,
        orderType: 'market',
        bracket: { stopLossTicks: 83_960 },
      }),
    );
    expect(bracket.code).toBe(ErrorCode.BrokerRejected);
    expect(sim.stats().byEndpoint['Order/place'] ?? 0).toBe(before);
  });

  it('a restarted connection finds its orders by customTag and never places a tag twice', async () => {
    const { sim, connection, accountId } = await connected();
    const first = await connection.placeOrder({
      accountId,
      clientOrderId: 'restart-1',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitTicks: 80_000,
    });
    const { connection: restarted } = await startPairOn(sim);
    await restarted.connect();
    cleanup.push(() => restarted.disconnect());
    expect((await restarted.findOrderByClientId(accountId, 'restart-1'))?.orderId).toBe(first.orderId);
    // The engine retries without asking: the duplicate tag is answered with the existing order.
    const again = await restarted.placeOrder({
      accountId,
      clientOrderId: 'restart-1',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitTicks: 80_000,
    });
    expect(again.orderId).toBe(first.orderId);
    expect(
      (await restarted.getOpenOrders(accountId)).filter((o) => o.clientOrderId === 'restart-1'),
    ).toHaveLength(1);
  });

  it('lists the accounts of a key for `tradenova accounts`, and keeps the key out of errors and logs', async () => {
    const { sim } = await startPair({ users: { trader: 'the-real-key' } });
    cleanup.push(() => sim.close());
    const accounts = await listProjectXAccounts({
      baseUrl: sim.url,
      userName: 'trader',
      apiKey: 'the-real-key',
    });
    expect(accounts.map((a) => a.name)).toEqual(sim.accounts.map((a) => a.name));
    expect(accounts[0]).toMatchObject({
      accountId: 'PRAC-V2-12345-00001',
      id: 536,
      canTrade: true,
      simulated: true,
      balance: 50_000_000,
    });
    const lines: string[] = [];
    const record = (obj: object, msg?: string) => lines.push(JSON.stringify(obj) + (msg ?? ''));
    const logger: Logger = { debug: record, info: record, warn: record, error: record, child: () => logger };
    const error = await failureOf(
      listProjectXAccounts({ baseUrl: sim.url, userName: 'trader', apiKey: 'wrong-secret-key' }, { logger }),
    );
    expect(error.code).toBe(ErrorCode.BrokerAuth);
    expect(error.message).not.toContain('wrong-secret-key');
    const { connection } = await startPairOn(sim, { userName: 'trader', apiKey: 'the-real-key' }, logger);
    await connection.connect();
    cleanup.push(() => connection.disconnect());
    sim.faults.hubOutage();
    // The outage is noticed and a refused reconnect is logged: the lines most likely to carry a token.
    await until('a refused hub reconnect logged', () =>
      lines.some((line) => line.includes('projectx hub reconnect failed')),
    );
    sim.faults.restoreHub();
    const token = connection.rest.session!.token;
    expect(lines.join('\n')).not.toContain('the-real-key');
    expect(lines.join('\n')).not.toContain(token);
  });
});

/** A second connection to a running simulator (a restarted process). */
async function startPairOn(
  sim: ProjectXSimulator,
  config: Record<string, unknown> = {},
  logger?: Logger,
): Promise<{ connection: ProjectXConnection }> {
  const { projectxConfigSchema } = await import('../src/config.js');
  const { ProjectXConnection } = await import('../src/connection.js');
  const parsed = projectxConfigSchema.parse({
    baseUrl: sim.url,
    userName: 'conformance',
    apiKey: 'not-a-real-key',
    hub: FAST_HUB,
    pollIntervalMs: 200,
    ...config,
  });
  return { connection: new ProjectXConnection(parsed, logger ? { ...context, logger } : context) };
}
