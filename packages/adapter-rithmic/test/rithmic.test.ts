import { BrokerAuthError, type BrokerEvent, contractKey, defaultInstruments } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rithmicConfigSchema } from '../src/config.js';
import { RithmicConnection } from '../src/connection.js';
import { FORCED_LOGOUT_REASON } from '../src/errors.js';
import { type RithmicSimulator, startRithmicSimulator } from '../src/simulator/index.js';
import { fromRithmicSymbol, toRithmicSymbol } from '../src/symbols.js';
import {
  decodeMessage,
  encodeMessage,
  type Framing,
  frame,
  InfraType,
  type MessageName,
  type RithmicMessage,
  unframe,
} from '../src/wire.js';
import { context, startPair } from './helpers.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A bare protocol client: what a test needs to look at the wire itself. */
async function rawClient(sim: RithmicSimulator, framing: Framing) {
  const socket = new WebSocket(sim.url);
  const inbox: { framing: Framing; message: RithmicMessage; first: number }[] = [];
  socket.on('message', (data: Buffer) => {
    const { payload, framing: f } = unframe(new Uint8Array(data));
    inbox.push({ framing: f, message: decodeMessage(payload).message, first: data[0]! });
  });
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  await new Promise((r) => socket.once('open', r));
  cleanups.push(() => socket.terminate());
  const send = (name: MessageName, fields: Record<string, unknown> = {}) =>
    socket.send(frame(encodeMessage(name, fields), framing));
  const until = (check: () => boolean, what: string) => waitFor(check, { message: what, timeout: 3_000 });
  const login = async (infra: number) => {
    send('RequestLogin', {
      user: 'raw',
      password: 'x',
      system_name: 'Rithmic Test',
      infra_type: infra,
      user_msg: ['login'],
    });
    await until(() => inbox.some((m) => m.message.template_id === 11), 'the login answer');
  };
  return { socket, inbox, send, until, login, isClosed: () => closed };
}

describe('rithmic wire', () => {
  it('answers in the framing the client used, both framings', async () => {
    const sim = await startRithmicSimulator();
    cleanups.push(() => sim.close());
    for (const framing of ['prefixed', 'raw'] as const) {
      const c = await rawClient(sim, framing);
      await c.login(InfraType.ORDER_PLANT);
      expect(c.inbox[0]!.framing).toBe(framing);
      // A bare message starts with a tag byte, a prefixed one with 0x00.
      expect(c.inbox[0]!.first === 0).toBe(framing === 'prefixed');
      expect(c.inbox[0]!.message).toMatchObject({
        rp_code: ['0'],
        user_msg: ['login'],
        heartbeat_interval: 60,
      });
    }
    expect(sim.stats().framings).toEqual(['prefixed', 'raw']);
  });

  it('list answers: N data messages with rq_handler_rp_code, then one final message carrying rp_code', async () => {
    const sim = await startRithmicSimulator();
    cleanups.push(() => sim.close());
    const c = await rawClient(sim, 'prefixed');
    await c.login(InfraType.ORDER_PLANT);
    c.send('RequestAccountList', {
      user_msg: ['acc'],
      fcm_id: 'TradeNovaSim',
      ib_id: 'TradeNovaSim',
      user_type: 3,
    });
    await c.until(
      () => c.inbox.some((m) => m.message.template_id === 303 && m.message.rp_code !== undefined),
      'the terminator',
    );
    const answers = c.inbox.filter((m) => m.message.template_id === 303).map((m) => m.message);
    expect(answers).toHaveLength(sim.accounts.length + 1);
    for (const data of answers.slice(0, -1)) {
      expect(data.rq_handler_rp_code).toEqual(['0']);
      expect(data.rp_code).toBeUndefined();
      expect(data.user_msg).toEqual(['acc']);
    }
    expect(answers.slice(0, -1).map((m) => m.account_id)).toEqual(sim.accounts.map((a) => a.id));
    expect(answers.at(-1)).toMatchObject({ rp_code: ['0'], user_msg: ['acc'] });
    expect(answers.at(-1)!.account_id).toBeUndefined();
  });

  it('system info lists the systems and closes; plants are kept apart', async () => {
    const sim = await startRithmicSimulator();
    cleanups.push(() => sim.close());
    const info = await rawClient(sim, 'raw');
    info.send('RequestRithmicSystemInfo', { user_msg: ['s'] });
    await info.until(() => info.isClosed(), 'the server to close after system info');
    expect(info.inbox[0]!.message).toMatchObject({
      template_id: 17,
      rp_code: ['0'],
      system_name: ['Rithmic Test', 'Rithmic Paper Trading'],
    });
    const pnl = await rawClient(sim, 'raw');
    await pnl.login(InfraType.PNL_PLANT);
    pnl.send('RequestAccountList', { user_msg: ['wrong'] });
    await pnl.until(() => pnl.inbox.some((m) => m.message.template_id === 75), 'a Reject');
    expect(pnl.inbox.find((m) => m.message.template_id === 75)!.message.user_msg).toEqual(['wrong']);
  });

  it('heartbeats: the adapter keeps a short-interval session alive; a silent client is dropped', async () => {
    const { sim, connection } = await startPair({ heartbeatIntervalSec: 0.2, heartbeatTimeoutMs: 500 });
    cleanups.push(
      () => sim.close(),
      () => connection.disconnect(),
    );
    await connection.connect();
    const silent = await rawClient(sim, 'prefixed');
    await silent.login(InfraType.ORDER_PLANT);
    // The silent client is dropped while the adapter's session, heartbeating, stays.
    await waitFor(() => silent.isClosed() && sim.stats().heartbeats > 4, {
      message: 'the silent client dropped after more than four heartbeats',
    });
    expect(connection.health().state).toBe('connected');
    expect(sim.stats().heartbeats).toBeGreaterThan(4);
    expect(sim.stats().heartbeatDrops).toBe(1);
    expect(await connection.listAccounts()).toHaveLength(3);
  });
});

describe('rithmic adapter', () => {
  it('forced logout ends the session as a typed disconnect the user sees', async () => {
    const { sim, connection } = await startPair();
    cleanups.push(
      () => sim.close(),
      () => connection.disconnect(),
    );
    const events: BrokerEvent[] = [];
    connection.onEvent((e) => events.push(e));
    await connection.connect();
    expect(sim.forceLogout('conformance')).toBe(2); // order plant and PnL plant
    await waitFor(() => connection.health().state === 'disconnected', {
      message: 'the forced logout to disconnect',
    });
    expect(events.at(-1)).toEqual({
      type: 'connection-changed',
      state: 'disconnected',
      reason: FORCED_LOGOUT_REASON,
    });
    expect(connection.health().lastError).toMatch(/forced logout/);
    // It stays down (no fight over the login) until the user connects again.
    await new Promise((r) => setTimeout(r, 300));
    expect(connection.health().state).toBe('disconnected');
  });

  it('a second session on the same login pushes the first out (maxSessionsPerPlant)', async () => {
    const { sim, connection } = await startPair({ maxSessionsPerPlant: 1 });
    const second = new RithmicConnection(
      rithmicConfigSchema.parse({ gatewayUrl: sim.url, user: 'conformance', password: 'x' }),
      context,
    );
    cleanups.push(
      () => sim.close(),
      () => connection.disconnect(),
      () => second.disconnect(),
    );
    await connection.connect();
    await second.connect();
    await waitFor(() => connection.health().state === 'disconnected', {
      message: 'the first session pushed out',
    });
    expect(second.health().state).toBe('connected');
    // The order plant goes first; the first connection then drops its PnL plant itself.
    expect(sim.stats().forcedLogouts).toBeGreaterThanOrEqual(1);
  });

  it('refuses bad credentials as an auth error without echoing the password', async () => {
    const { sim, connection } = await startPair(
      { users: { conformance: 'right' } },
      { password: 'hunter2-secret' },
    );
    cleanups.push(() => sim.close());
    const error = await connection.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BrokerAuthError);
    expect(String((error as Error).message)).not.toContain('hunter2-secret');
  });

  it('PnL plant positions match the order plant fills', async () => {
    const { sim, connection, accountId } = await startPair({
      exchangeOptions: { partialFills: true, seed: 3 },
    });
    cleanups.push(
      () => sim.close(),
      () => connection.disconnect(),
    );
    const contract = { root: 'MNQ', month: 'Z' as const, year: new Date().getUTCFullYear() + 1 };
    sim.exchange.updateQuote(contract, { bidTicks: 80_000, askTicks: 80_001 });
    const events: BrokerEvent[] = [];
    connection.onEvent((e) => events.push(e));
    await connection.connect();
    await connection.placeOrder({
      accountId,
      clientOrderId: 'p1',
      contract,
      side: 'buy',
      qty: 5,
      orderType: 'market',
    });
    await connection.placeOrder({
      accountId,
      clientOrderId: 'p2',
      contract,
      side: 'sell',
      qty: 2,
      orderType: 'market',
    });
    const signed = () =>
      events.reduce(
        (s, e) => (e.type === 'order-filled' ? s + (e.fill.side === 'buy' ? e.fill.qty : -e.fill.qty) : s),
        0,
      );
    const lastPosition = () => events.filter((e) => e.type === 'position-updated').at(-1);
    await waitFor(
      () =>
        signed() === 3 &&
        (lastPosition() as { position: { netQty: number } } | undefined)?.position.netQty === 3,
      { message: 'fills and a position of 3' },
    );
    expect(events.filter((e) => e.type === 'order-filled').length).toBeGreaterThan(2); // partial fills
    expect(lastPosition()).toMatchObject({ position: { accountId, netQty: 3 } });
    const positions = await connection.getPositions(accountId);
    expect(positions.map((p) => [contractKey(p.contract), p.netQty])).toEqual([[contractKey(contract), 3]]);
    expect(sim.exchange.getPositions(accountId)[0]!.netQty).toBe(3);
  });

  it('the PnL plant reports the account balance and realized P&L exactly, in mils', async () => {
    const { sim, connection, accountId } = await startPair();
    cleanups.push(
      () => sim.close(),
      () => connection.disconnect(),
    );
    const contract = { root: 'MNQ', month: 'Z' as const, year: new Date().getUTCFullYear() + 1 };
    sim.exchange.updateQuote(contract, { bidTicks: 80_000, askTicks: 80_001 });
    const events: BrokerEvent[] = [];
    connection.onEvent((e) => events.push(e));
    await connection.connect();
    const trade = (id: string, side: 'buy' | 'sell') =>
      connection.placeOrder({ accountId, clientOrderId: id, contract, side, qty: 2, orderType: 'market' });
    await trade('a1', 'buy');
    sim.exchange.updateQuote(contract, { bidTicks: 80_041, askTicks: 80_042 });
    await trade('a2', 'sell');
    const expected = sim.exchange.account(accountId);
    // 2 MNQ bought at 80,001 ticks and sold at 80,041: 40 ticks × 0.50 USD × 2 = 40 USD.
    expect(expected.realizedPnl).toBe(40_000);
    const last = () => events.filter((e) => e.type === 'account-updated').at(-1);
    await waitFor(
      () => (last() as { account: { realizedPnl?: number } } | undefined)?.account.realizedPnl === 40_000,
      { message: 'an account update with 40 USD realized' },
    );
    expect(last()).toMatchObject({
      type: 'account-updated',
      account: { accountId, realizedPnl: 40_000, balance: expected.balance },
    });
  });

  it('modifies and cancels an order as soon as 313 names its basket id, before any notification of it (issue 13, defect 5)', async () => {
    const { sim, connection, accountId } = await startPair();
    cleanups.push(
      () => sim.close(),
      () => connection.disconnect(),
    );
    const contract = { root: 'MNQ', month: 'Z' as const, year: new Date().getUTCFullYear() + 1 };
    sim.exchange.updateQuote(contract, { bidTicks: 80_000, askTicks: 80_001 });
    await connection.connect();
    // The gateway answers first and notifies later: the adapter must know the order from 313 alone.
    sim.faults.notificationDelayMs = 400;
    const ack = await connection.placeOrder({
      accountId,
      clientOrderId: 'w1',
      contract,
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitTicks: 79_960,
    });
    await connection.modifyOrder({ accountId, orderId: ack.orderId, limitTicks: 79_980 });
    // A second modify before the first one's MODIFIED arrives restates the new price, not the old.
    await connection.modifyOrder({ accountId, orderId: ack.orderId, qty: 3 });
    expect(sim.exchange.getOrder(ack.orderId)).toMatchObject({ qty: 3, limitTicks: 79_980 });
    const second = await connection.placeOrder({
      accountId,
      clientOrderId: 'w2',
      contract,
      side: 'sell',
      qty: 1,
      orderType: 'stop',
      stopTicks: 79_900,
    });
    await connection.cancelOrder({ accountId, orderId: second.orderId });
    expect(sim.exchange.getOrder(second.orderId)?.status).toBe('cancelled');
    // Once the notifications land, the adapter's picture agrees with the exchange's.
    const working = async () => (await connection.getOpenOrders(accountId)).map((o) => o.orderId);
    await waitFor(async () => (await working()).join() === ack.orderId, {
      message: 'only the modified order working',
    });
    const [open] = await connection.getOpenOrders(accountId);
    expect(open).toMatchObject({ orderId: ack.orderId, qty: 3, limitTicks: 79_980, status: 'working' });
  });
});

describe('rithmic order history', () => {
  it('a new session finds orders that ended before it by user_tag; a repeated user_tag is a new order', async () => {
    const { sim, connection: first, accountId } = await startPair();
    cleanups.push(() => sim.close());
    const contract = { root: 'MNQ', month: 'Z' as const, year: new Date().getUTCFullYear() + 1 };
    sim.exchange.updateQuote(contract, { bidTicks: 80_000, askTicks: 80_001 });
    await first.connect();
    await first.placeOrder({
      accountId,
      clientOrderId: 'h-filled',
      contract,
      side: 'buy',
      qty: 2,
      orderType: 'market',
    });
    const resting = await first.placeOrder({
      ...{ accountId, clientOrderId: 'h-cancelled', contract, side: 'sell', qty: 1 },
      ...{ orderType: 'limit', limitTicks: 80_400 },
    });
    await first.cancelOrder({ accountId, orderId: resting.orderId });
    await first.placeOrder({
      ...{ accountId, clientOrderId: 'h-working', contract, side: 'buy', qty: 1 },
      ...{ orderType: 'limit', limitTicks: 79_600 },
    });
    await first.disconnect();

    // A restarted copier: a new session that has heard of none of them.
    const second = new RithmicConnection(
      rithmicConfigSchema.parse({
        gatewayUrl: sim.url,
        user: 'conformance',
        password: 'not-a-real-password',
        requestTimeoutMs: 3_000,
      }),
      context,
    );
    cleanups.push(() => second.disconnect());
    await second.connect();
    // Show orders (320) names working orders only; the order history (324) names the rest.
    expect((await second.getOpenOrders(accountId)).map((o) => o.clientOrderId)).toEqual(['h-working']);
    expect(await second.findOrderByClientId(accountId, 'h-filled')).toMatchObject({
      status: 'filled',
      filledQty: 2,
      qty: 2,
      side: 'buy',
    });
    expect(await second.findOrderByClientId(accountId, 'h-cancelled')).toMatchObject({
      orderId: resting.orderId,
      status: 'cancelled',
    });
    expect(await second.findOrderByClientId(accountId, 'h-working')).toMatchObject({ status: 'working' });
    expect(await second.findOrderByClientId(accountId, 'never-placed')).toBeUndefined();

    // Why the lookup matters: Rithmic takes a repeated user_tag as a new order.
    const third = new RithmicConnection(
      rithmicConfigSchema.parse({ gatewayUrl: sim.url, user: 'other-session', password: 'x' }),
      context,
    );
    cleanups.push(() => third.disconnect());
    await third.connect();
    const again = await third.placeOrder({
      ...{ accountId, clientOrderId: 'h-cancelled', contract, side: 'sell', qty: 1 },
      ...{ orderType: 'limit', limitTicks: 80_400 },
    });
    expect(again.orderId).not.toBe(resting.orderId);
    expect(sim.exchange.getOrders(accountId).filter((o) => o.clientOrderId === 'h-cancelled')).toHaveLength(
      2,
    );
  });
});

describe('rithmic symbols', () => {
  it('round-trips canonical contracts through symbol + exchange', () => {
    const at = Date.UTC(2025, 5, 1);
    for (const [root, exchange] of [
      ['MNQ', 'CME'],
      ['ES', 'CME'],
      ['YM', 'CBOT'],
    ] as const) {
      const contract = { root, month: 'Z' as const, year: 2025 };
      const wire = toRithmicSymbol(contract);
      expect(wire.exchange).toBe(exchange);
      expect(fromRithmicSymbol(wire.symbol, wire.exchange, { at })).toEqual(contract);
    }
    expect(toRithmicSymbol({ root: 'MNQ', month: 'Z', year: 2025 })).toEqual({
      symbol: 'MNQZ5',
      exchange: 'CME',
    });
    expect(() => fromRithmicSymbol('MNQZ5', 'CBOT', { at })).toThrow(/CME/);
    expect(() => fromRithmicSymbol('MNQ Z5', 'CME', { at })).toThrow();
    expect(defaultInstruments.has('MNQ')).toBe(true);
  });
});
