import { type BrokerEvent, type Contract, SimulatedExchange, systemClock } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { tradovateConfigSchema } from '../src/config.js';
import { TradovateConnection } from '../src/connection.js';
import { startTradovateSimulator, type TradovateSimulator } from '../src/simulator/index.js';
import { context } from './helpers.js';

/**
 * A Tradovate restart: the simulator's front end stops (every socket drops) and a new one
 * starts on the same port in front of the same exchange, as the broker's API servers come
 * back to the same back end. A client logging in again must find what it was told before.
 */

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: new Date().getUTCFullYear() + 1 };
const SYMBOL = `MNQZ${MNQ.year % 10}`;
const ACCOUNT = { id: 701_001, name: 'DEMO701001' };

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
});

/** A simulator on `port` (0: a free one) in front of `exchange`. */
async function front(exchange: SimulatedExchange, port = 0): Promise<TradovateSimulator> {
  const sim = await startTradovateSimulator({ exchange, port, accounts: [ACCOUNT] });
  cleanup.push(() => sim.close());
  return sim;
}

/** A REST client of one login, speaking JSON over HTTP. */
async function login(sim: TradovateSimulator) {
  const response = await fetch(`${sim.url}/auth/accesstokenrequest`, {
    method: 'POST',
    // No kept-alive socket: the restart cuts every connection, and a pooled one would be dead.
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify({ name: 'trader', password: 'x', appId: 'test', appVersion: '1', deviceId: 'd' }),
  });
  const { accessToken, userId } = (await response.json()) as { accessToken: string; userId: number };
  const call = async <T>(endpoint: string, body?: object): Promise<T> => {
    const res = await fetch(`${sim.url}/${endpoint}`, {
      method: body ? 'POST' : 'GET',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        connection: 'close',
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  return { userId, call };
}

interface Row {
  id: number;
  [field: string]: unknown;
}

/** Every entity a user can list, by entity name, sorted by id. */
async function everything(sim: TradovateSimulator): Promise<Record<string, Row[]>> {
  const { call } = await login(sim);
  const out: Record<string, Row[]> = {};
  for (const entity of ['order', 'orderVersion', 'fill', 'position']) {
    const rows = await call<Row[]>(`${entity}/list`);
    // A position's timestamp is when it was last reported; the rest must be the same.
    out[entity] = rows
      .map((r) => (entity === 'position' ? { ...r, timestamp: '' } : r))
      .sort((a, b) => a.id - b.id);
  }
  return out;
}

function placement(clOrdId: string, fields: object): object {
  return {
    accountSpec: ACCOUNT.name,
    accountId: ACCOUNT.id,
    clOrdId,
    text: clOrdId,
    symbol: SYMBOL,
    orderQty: 1,
    isAutomated: true,
    ...fields,
  };
}

describe('Tradovate simulator restart', () => {
  it('a new front end on the same exchange and port reports the same orders, versions, fills and positions, and what happened while it was down', async () => {
    const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: 'tradovate-' });
    exchange.updateQuote(MNQ, { bidTicks: 84_000, askTicks: 84_001 });
    const first = await front(exchange);
    const { call } = await login(first);
    const bought = await call<{ orderId: number }>(
      'order/placeorder',
      placement('c-market', { action: 'Buy', orderType: 'Market' }),
    );
    const resting = await call<{ orderId: number }>(
      'order/placeorder',
      placement('c-limit', { action: 'Sell', orderType: 'Limit', price: 21_010 }),
    );
    const bracket = await call<{ orderId: number; oso1Id: number }>(
      'order/placeoso',
      placement('c-oso', {
        action: 'Buy',
        orderType: 'Limit',
        price: 20_990,
        bracket1: { action: 'Sell', orderType: 'Stop', stopPrice: 20_980, text: 'c-oso:sl' },
      }),
    );
    await call('order/modifyorder', {
      orderId: resting.orderId,
      orderQty: 2,
      orderType: 'Limit',
      price: 21_011,
      text: 'c-limit',
      isAutomated: true,
    });
    const before = await everything(first);
    expect(before.order!.map((o) => o.id)).toEqual(
      [bought.orderId, resting.orderId, bracket.orderId, bracket.oso1Id].sort((a, b) => a - b),
    );

    await first.close();
    // While the front end is down the market reaches the resting sell: the broker fills it.
    exchange.updateQuote(MNQ, { bidTicks: 84_044, askTicks: 84_045 });
    const second = await front(exchange, first.port);
    expect(second.port).toBe(first.port);
    const after = await everything(second);

    // Every order and version it reported keeps its id and fields; the filled sell changed status only.
    const sold = after.order!.find((o) => o.id === resting.orderId)!;
    expect(sold.ordStatus).toBe('Filled');
    expect(after.order!.map((o) => (o.id === resting.orderId ? { ...o, ordStatus: 'Working' } : o))).toEqual(
      before.order,
    );
    expect(after.orderVersion).toEqual(before.orderVersion);
    expect(after.orderVersion!.filter((v) => v.orderId === resting.orderId).map((v) => v.text)).toEqual([
      'c-limit',
      'c-limit',
    ]);
    // The fills it reported keep their ids, and the fill made while it was down has a new one.
    expect(after.fill!.slice(0, before.fill!.length)).toEqual(before.fill);
    const downFills = after.fill!.slice(before.fill!.length);
    expect(downFills.map((f) => [f.orderId, f.qty])).toEqual([[resting.orderId, 2]]);
    expect(new Set(after.fill!.map((f) => f.id)).size).toBe(after.fill!.length);
    // One position entity for the account and contract, under the same id, now net short 1.
    expect(after.position!.map((p) => [p.id, p.netPos])).toEqual([[before.position![0]!.id, -1]]);

    // The exchange keeps the client's clOrdId on each order it placed for it.
    expect(
      exchange
        .getOrders(ACCOUNT.name)
        .filter((o) => o.parentOrderId === undefined)
        .map((o) => o.clientOrderId),
    ).toEqual(['c-market', 'c-limit', 'c-oso']);
  });

  it('a placement repeated with one clOrdId makes two orders that both carry it (uniqueness is not enforced)', async () => {
    const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: 'tradovate-' });
    exchange.updateQuote(MNQ, { bidTicks: 84_000, askTicks: 84_001 });
    const sim = await front(exchange);
    const { call } = await login(sim);
    const body = placement('c-twice', { action: 'Buy', orderType: 'Limit', price: 20_900 });
    const a = await call<{ orderId: number }>('order/placeorder', body);
    const b = await call<{ orderId: number }>('order/placeorder', body);
    expect(b.orderId).not.toBe(a.orderId);
    expect(exchange.getOpenOrders(ACCOUNT.name).map((o) => o.clientOrderId)).toEqual(['c-twice', 'c-twice']);
  });

  it('the adapter reconnects after the restart, finds its orders by client id, and reports the fill made while the broker was down', async () => {
    const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: 'tradovate-' });
    exchange.updateQuote(MNQ, { bidTicks: 84_000, askTicks: 84_001 });
    const first = await front(exchange);
    const connection = new TradovateConnection(
      tradovateConfigSchema.parse({
        baseUrl: first.url,
        wsUrl: first.wsUrl,
        username: 'trader',
        password: 'not-a-real-password',
        deviceId: 'test-device',
        accounts: [ACCOUNT.name],
        reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
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
    const openBefore = await connection.getOpenOrders(ACCOUNT.name);
    expect(openBefore.map((o) => [o.orderId, o.clientOrderId]).sort()).toEqual(
      [
        [resting.orderId, 'tn-resting'],
        [filling.orderId, 'tn-filling'],
      ].sort(),
    );

    await first.close();
    await waitFor(() => connection.health().state === 'reconnecting', { message: 'the drop to be seen' });
    exchange.updateQuote(MNQ, { bidTicks: 84_044, askTicks: 84_045 });
    await front(exchange, first.port);

    const filled = await waitFor(
      () =>
        events.find((e) => e.type === 'order-filled' && e.fill.orderId === filling.orderId) as
          | Extract<BrokerEvent, { type: 'order-filled' }>
          | undefined,
      { message: 'the fill made while the broker was down, after the resync', timeout: 10_000 },
    );
    expect(filled.fill.clientOrderId).toBe('tn-filling');
    expect(connection.health().state).toBe('connected');
    expect((await connection.findOrderByClientId(ACCOUNT.name, 'tn-resting'))?.orderId).toBe(resting.orderId);
    expect((await connection.findOrderByClientId(ACCOUNT.name, 'tn-filling'))?.status).toBe('filled');
    const open = await connection.getOpenOrders(ACCOUNT.name);
    expect(open.map((o) => [o.orderId, o.clientOrderId])).toEqual([[resting.orderId, 'tn-resting']]);
    const positions = await connection.getPositions(ACCOUNT.name);
    expect(positions.map((p) => p.netQty)).toEqual([-1]);
  });
});
