import { HttpTransportType, HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import { type BrokerEvent, type Contract, SimulatedExchange, systemClock } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { projectxConfigSchema } from '../src/config.js';
import { ProjectXConnection } from '../src/connection.js';
import { type ProjectXSimulator, startProjectXSimulator } from '../src/simulator/index.js';
import { toProjectXContractId } from '../src/symbols.js';
import { context, FAST_HUB } from './helpers.js';

/**
 * A ProjectX restart: the gateway's front end stops (REST and every hub socket drop) and a
 * new one starts on the same port in front of the same exchange, as the platform's servers
 * come back to the same back end. A client logging in again must find what it was told.
 */

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: new Date().getUTCFullYear() + 1 };
const ACCOUNT = { id: 536, name: 'PRAC-V2-12345-00001' };
const SINCE = '2000-01-01T00:00:00Z';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
});

async function front(exchange: SimulatedExchange, port = 0): Promise<ProjectXSimulator> {
  const sim = await startProjectXSimulator({ exchange, port, accounts: [ACCOUNT] });
  cleanup.push(() => sim.close());
  return sim;
}

/** One login's REST calls (no kept-alive socket: the restart cuts every connection). */
async function login(sim: ProjectXSimulator) {
  const post = async (endpoint: string, body: object, token?: string) => {
    const response = await fetch(`${sim.url}/api/${endpoint}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        connection: 'close',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  const { token } = (await post('Auth/loginKey', { userName: 'trader', apiKey: 'k' })) as { token: string };
  return { token, call: (endpoint: string, body: object) => post(endpoint, body, token) };
}

type Row = Record<string, unknown> & { id: number };

/** Open orders, all orders, open positions and trades of the account, sorted by id. */
async function everything(
  sim: ProjectXSimulator,
): Promise<{ open: Row[]; all: Row[]; positions: Row[]; trades: Row[] }> {
  const { call } = await login(sim);
  const account = { accountId: ACCOUNT.id };
  const window = { ...account, startTimestamp: SINCE };
  const sorted = (rows: unknown) => (rows as Row[]).sort((a, b) => a.id - b.id);
  return {
    open: sorted((await call('Order/searchOpen', account)).orders),
    all: sorted((await call('Order/search', window)).orders),
    positions: sorted((await call('Position/searchOpen', account)).positions),
    trades: sorted((await call('Trade/search', window)).trades),
  };
}

const contractId = toProjectXContractId(MNQ);

describe('ProjectX simulator restart', () => {
  it('a new front end on the same exchange and port reports the same orders, customTags, trades and position, and the hub speaks of them', async () => {
    const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: 'projectx-' });
    exchange.updateQuote(MNQ, { bidTicks: 84_000, askTicks: 84_001 });
    const first = await front(exchange);
    const { call } = await login(first);
    const place = async (fields: object) => {
      const answer = await call('Order/place', { accountId: ACCOUNT.id, contractId, size: 1, ...fields });
      expect(answer.success).toBe(true);
      return answer.orderId as number;
    };
    const bought = await place({ type: 2, side: 0, customTag: 'c-market' });
    const resting = await place({ type: 1, side: 0, limitPrice: 20_900, customTag: 'c-rest' });
    const selling = await place({ type: 1, side: 1, limitPrice: 21_011, size: 2, customTag: 'c-sell' });
    const untagged = await place({ type: 1, side: 0, limitPrice: 20_800 });
    const before = await everything(first);
    expect(before.open.map((o) => [o.id, o.customTag])).toEqual([
      [resting, 'c-rest'],
      [selling, 'c-sell'],
      [untagged, null],
    ]);

    await first.close();
    // While the gateway is down the market reaches the resting sell: the broker fills it.
    exchange.updateQuote(MNQ, { bidTicks: 84_044, askTicks: 84_045 });
    const second = await front(exchange, first.port);
    expect(second.port).toBe(first.port);
    const after = await everything(second);

    expect(after.open.map((o) => [o.id, o.customTag])).toEqual([
      [resting, 'c-rest'],
      [untagged, null],
    ]);
    expect(after.all.map((o) => [o.id, o.customTag, o.status])).toEqual([
      [bought, 'c-market', 2],
      [resting, 'c-rest', 1],
      [selling, 'c-sell', 2],
      [untagged, null, 1],
    ]);
    // Creation timestamps are what the first front end said.
    expect(after.all.map((o) => o.creationTimestamp)).toEqual(before.all.map((o) => o.creationTimestamp));
    // The trades it reported keep their ids; the fill made while it was down is one more.
    expect(after.trades.slice(0, before.trades.length)).toEqual(before.trades);
    expect(after.trades.slice(before.trades.length).map((t) => [t.orderId, t.size])).toEqual([[selling, 2]]);
    // The same position entity, now short 1.
    expect(after.positions.map((p) => [p.id, p.type, p.size])).toEqual([[before.positions[0]!.id, 2, 1]]);
    // A tag stays used across the restart, as the platform keeps it.
    const reused = await (await login(second)).call('Order/place', {
      accountId: ACCOUNT.id,
      contractId,
      size: 1,
      type: 1,
      side: 0,
      limitPrice: 20_700,
      customTag: 'c-rest',
    });
    expect(reused.success).toBe(false);

    // The official SignalR client, connected to the new front end, hears of the old order under its id and tag.
    const { token, call: callAgain } = await login(second);
    const hub = new HubConnectionBuilder()
      .withUrl(`${second.hubUrl}?access_token=${token}`, {
        skipNegotiation: true,
        transport: HttpTransportType.WebSockets,
        WebSocket,
      } as never)
      .configureLogging(LogLevel.None)
      .build();
    const orders: { data: Row }[] = [];
    hub.on('GatewayUserOrder', (arg: { data: Row }) => orders.push(arg));
    await hub.start();
    cleanup.push(() => hub.stop());
    await hub.invoke('SubscribeOrders', ACCOUNT.id);
    expect((await callAgain('Order/cancel', { accountId: ACCOUNT.id, orderId: resting })).success).toBe(true);
    const cancelled = await waitFor(() => orders.find((o) => o.data.id === resting && o.data.status === 3), {
      message: 'the hub event of the cancelled order',
    });
    expect(cancelled.data.customTag).toBe('c-rest');
  });

  it('the adapter reconnects after the restart, finds its orders by client id, and reports the fill made while the broker was down', async () => {
    const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: 'projectx-' });
    exchange.updateQuote(MNQ, { bidTicks: 84_000, askTicks: 84_001 });
    const first = await front(exchange);
    const connection = new ProjectXConnection(
      projectxConfigSchema.parse({
        baseUrl: first.url,
        hubUrl: first.hubUrl,
        userName: 'trader',
        apiKey: 'not-a-real-key',
        accounts: [ACCOUNT.name],
        hub: FAST_HUB,
        pollIntervalMs: 200,
      }),
      context,
    );
    const events: BrokerEvent[] = [];
    connection.onEvent((e) => events.push(e));
    await connection.connect();
    cleanup.push(() => connection.disconnect());
    const place = (clientOrderId: string, side: 'buy' | 'sell', limitTicks: number) =>
      connection.placeOrder({
        accountId: ACCOUNT.name,
        clientOrderId,
        contract: MNQ,
        side,
        qty: 1,
        orderType: 'limit',
        limitTicks,
      });
    const resting = await place('tn-resting', 'buy', 83_900);
    const filling = await place('tn-filling', 'sell', 84_040);

    await first.close();
    await waitFor(() => connection.health().state !== 'connected', { message: 'the drop to be seen' });
    exchange.updateQuote(MNQ, { bidTicks: 84_044, askTicks: 84_045 });
    await front(exchange, first.port);

    const filled = await waitFor(
      () =>
        events.find((e) => e.type === 'order-filled' && e.fill.orderId === filling.orderId) as
          | Extract<BrokerEvent, { type: 'order-filled' }>
          | undefined,
      { message: 'the fill made while the broker was down, after the reconnect', timeout: 10_000 },
    );
    expect(filled.fill.clientOrderId).toBe('tn-filling');
    await waitFor(() => connection.health().state === 'connected', { message: 'connected again' });
    expect((await connection.findOrderByClientId(ACCOUNT.name, 'tn-resting'))?.orderId).toBe(resting.orderId);
    expect((await connection.findOrderByClientId(ACCOUNT.name, 'tn-filling'))?.status).toBe('filled');
    const open = await connection.getOpenOrders(ACCOUNT.name);
    expect(open.map((o) => [o.orderId, o.clientOrderId])).toEqual([[resting.orderId, 'tn-resting']]);
    const positions = await connection.getPositions(ACCOUNT.name);
    expect(positions.map((p) => p.netQty)).toEqual([-1]);
  });

  it('dropConnections cuts the hub and REST connections while the server stays up', async () => {
    const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: 'projectx-' });
    const sim = await front(exchange);
    const { token } = await login(sim);
    const hub = new HubConnectionBuilder()
      .withUrl(`${sim.hubUrl}?access_token=${token}`, {
        skipNegotiation: true,
        transport: HttpTransportType.WebSockets,
        WebSocket,
      } as never)
      .configureLogging(LogLevel.None)
      .build();
    const closed = new Promise<unknown>((resolve) => hub.onclose(resolve));
    await hub.start();
    cleanup.push(() => hub.stop());
    sim.faults.dropConnections();
    await closed;
    // The server still answers.
    expect((await (await login(sim)).call('Account/search', {})).success).toBe(true);
  });
});
