import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerEvent, type Contract, systemClock } from '@tradenova/core';
import { SimulatedExchange } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { FixConnection } from '../../src/fix/connection.js';
import { type FixSimulator, startFixSimulator } from '../../src/fix/simulator/index.js';
import { firstClOrdId } from '../../src/fix/status.js';
import { connectionTo, until } from './helpers.js';

/*
 * A restarted copier: a NEW connection object (a new process) logs on with the same
 * CompIDs and sequence store and must know, and be able to cancel, the orders the
 * earlier one placed, and hold the positions its fills made.
 */

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: new Date().getUTCFullYear() + 1 };

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
  cleanup = [];
});

async function setUp(version: '4.2' | '4.4') {
  const exchange = new SimulatedExchange({ clock: systemClock });
  const sim = await startFixSimulator({ version, exchange });
  exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
  const dir = await mkdtemp(join(tmpdir(), 'tn-fix-restart-'));
  cleanup.push(
    () => sim.close(),
    () => rm(dir, { recursive: true, force: true }),
  );
  const open = async (s: FixSimulator = sim) => {
    const c = connectionTo(s, { accounts: ['FIX1', 'FIX2'], storeDirectory: dir });
    cleanup.push(() => c.disconnect());
    await c.connect();
    return c;
  };
  return { exchange, sim, open };
}

/** Two resting limit buys, a replaced limit sell (so its ClOrdID is no longer the first), a filled market buy. */
async function placeOrders(c: FixConnection) {
  const gtc = { contract: MNQ, qty: 1, orderType: 'limit', timeInForce: 'gtc' } as const;
  const limit = (clientOrderId: string, accountId: string, side: 'buy' | 'sell', limitTicks: number) =>
    c.placeOrder({ ...gtc, accountId, clientOrderId, side, limitTicks });
  const a = await limit('copy-a', 'FIX1', 'buy', 79_000);
  const b = await limit('copy-b', 'FIX2', 'buy', 79_100);
  const s = await limit('copy-s', 'FIX1', 'sell', 81_000);
  await c.modifyOrder({ accountId: 'FIX1', orderId: s.orderId, limitTicks: 81_004 });
  const m = await c.placeOrder({
    accountId: 'FIX1',
    clientOrderId: 'copy-m',
    contract: MNQ,
    side: 'buy',
    qty: 2,
    orderType: 'market',
  });
  return { a, b, s, m };
}

describe('fix 4.4: a new connection after a restart reads back orders and positions', () => {
  it('finds the earlier copies by client order id, lists them, holds the position, and cancels one', async () => {
    const { exchange, open } = await setUp('4.4');
    const first = await open();
    const { a, b, s, m } = await placeOrders(first);
    await until('the market copy filled', () => exchange.getPositions('FIX1')[0]?.netQty === 2);
    await first.disconnect();

    const second = await open();
    // Working, from the mass status at logon; the replaced one under its first id.
    expect(await second.findOrderByClientId('FIX1', 'copy-a')).toMatchObject({
      orderId: a.orderId,
      status: 'working',
      side: 'buy',
      limitTicks: 79_000,
      contract: MNQ,
    });
    expect(await second.findOrderByClientId('FIX1', 'copy-s')).toMatchObject({
      orderId: s.orderId,
      limitTicks: 81_004,
    });
    expect((await second.getOpenOrders('FIX1')).map((o) => o.clientOrderId).sort()).toEqual([
      'copy-a',
      'copy-s',
    ]);
    expect((await second.getOpenOrders('FIX2')).map((o) => o.orderId)).toEqual([b.orderId]);
    // Filled before the restart: not working, found by an OrderStatusRequest.
    expect(await second.findOrderByClientId('FIX1', 'copy-m')).toMatchObject({
      orderId: m.orderId,
      status: 'filled',
      filledQty: 2,
    });
    expect(await second.findOrderByClientId('FIX1', 'never-placed')).toBeUndefined();
    // Positions from RequestForPositions, at the fill price.
    const [position] = await second.getPositions('FIX1');
    expect(position).toMatchObject({ contract: MNQ, netQty: 2 });
    expect(position!.avgPriceTicks).toBe(exchange.getPositions('FIX1')[0]!.avgPriceTicks);

    // Cancels reach the orders the earlier process placed (41 = the ClOrdID the gateway knows).
    await second.cancelOrder({ accountId: 'FIX1', orderId: s.orderId });
    await second.cancelOrder({ accountId: 'FIX2', orderId: b.orderId });
    expect(exchange.getOrder(s.orderId)?.status).toBe('cancelled');
    expect(exchange.getOrder(b.orderId)?.status).toBe('cancelled');
    expect(exchange.getOrder(a.orderId)?.status).toBe('working');
    // Placing a copy again under its first id is idempotent: no second order.
    const again = await second.placeOrder({
      accountId: 'FIX1',
      clientOrderId: 'copy-a',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitTicks: 79_000,
    });
    expect(again.orderId).toBe(a.orderId);
    expect(exchange.getOrders('FIX1').filter((o) => o.clientOrderId === 'copy-a')).toHaveLength(1);
  });

  it('learns, after the gateway restarted, the fills and cancels that happened while it was down', async () => {
    const { exchange, sim, open } = await setUp('4.4');
    const c = await open();
    const events: BrokerEvent[] = [];
    c.onEvent((e) => events.push(e));
    const { a, s } = await placeOrders(c);
    const port = sim.port;
    await sim.close();
    await until('the drop seen', () => c.health().state !== 'connected');
    exchange.updateQuote(MNQ, { bidTicks: 78_999, askTicks: 79_000 });
    await exchange.cancelOrder({ accountId: 'FIX1', orderId: s.orderId });
    await until('copy-a filled at the exchange', () => exchange.getOrder(a.orderId)?.status === 'filled');
    const again = await startFixSimulator({ version: '4.4', exchange, port });
    cleanup.push(() => again.close());
    await until('reconnected', () => c.health().state === 'connected', 10_000);
    expect(await c.getOpenOrders('FIX1')).toEqual([]);
    expect((await c.getPositions('FIX1'))[0]?.netQty).toBe(3);
    expect(
      events.some((e) => e.type === 'order-filled' && e.fill.orderId === a.orderId && e.fill.qty === 1),
    ).toBe(true);
    expect(
      events.some(
        (e) => e.type === 'order-updated' && e.order.orderId === s.orderId && e.order.status === 'cancelled',
      ),
    ).toBe(true);
  });
});

describe('fix: a ClOrdID whose order was cancelled cannot be placed again', () => {
  it('refuses the placement with the reason, in the same process and in a restarted one, and sends no second order', async () => {
    const { exchange, open } = await setUp('4.4');
    const first = await open();
    const request = {
      accountId: 'FIX1',
      clientOrderId: 'copy-c',
      contract: MNQ,
      side: 'buy' as const,
      qty: 1,
      orderType: 'limit' as const,
      limitTicks: 79_000,
    };
    const placed = await first.placeOrder(request);
    await first.cancelOrder({ accountId: 'FIX1', orderId: placed.orderId });
    await expect(first.placeOrder(request)).rejects.toThrow(/copy-c names order .*, cancelled/);
    await first.disconnect();
    // A new process does not know the order (not working, so not in the mass status): the
    // gateway refuses the ClOrdID, the PossResend answer is the cancelled order.
    const second = await open();
    await expect(second.placeOrder(request)).rejects.toMatchObject({ code: 'TN_ERR_BROKER_REJECTED' });
    expect(exchange.getOrders('FIX1').filter((o) => o.clientOrderId === 'copy-c')).toHaveLength(1);
  });
});

describe('fix 4.2: no mass status or position query, but OrderStatusRequest', () => {
  it('finds an earlier copy by client order id and cancels it', async () => {
    const { exchange, open } = await setUp('4.2');
    const first = await open();
    const { a } = await placeOrders(first);
    await first.disconnect();
    const second = await open();
    const found = await second.findOrderByClientId('FIX1', 'copy-a');
    expect(found).toMatchObject({ orderId: a.orderId, status: 'working' });
    await second.cancelOrder({ accountId: 'FIX1', orderId: a.orderId });
    expect(exchange.getOrder(a.orderId)?.status).toBe('cancelled');
  });

  it('reads the first ClOrdID out of a cancel/replace ClOrdID', () => {
    expect(firstClOrdId('leader:A:1:new:1.r1-mabc12')).toBe('leader:A:1:new:1');
    expect(firstClOrdId('sig~replan-2.c3f-k9')).toBe('sig~replan-2');
    expect(firstClOrdId('plain-id')).toBe('plain-id');
  });
});
