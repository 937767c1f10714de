import {
  type BrokerEvent,
  BrokerUnavailableError,
  intentId,
  PaperBroker,
  type PlaceOrderRequest,
  parseContract,
  SimulatedExchange,
  systemClock,
} from '@tradenova/core';
import { describe, expect, it } from 'vitest';
import { AdoptedOrders } from '../../src/run/recovery-adopt.js';

const MNQ = parseContract('MNQZ26');
const SIGNAL = 'leader:LEAD:10000001:new:1';
const firstIds = ['entry', 'close', 'open'].map((leg) => intentId(SIGNAL, 'f1', leg));

async function broker() {
  const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: 'P' });
  exchange.updateTrade(MNQ, 84_000);
  const raw = new PaperBroker(exchange, ['A']);
  await raw.connect();
  const limit = (clientOrderId: string, qty = 3): PlaceOrderRequest => ({
    accountId: 'A',
    clientOrderId,
    contract: MNQ,
    side: 'buy',
    qty,
    orderType: 'limit',
    limitTicks: 83_979,
  });
  return { exchange, raw, limit };
}

describe('AdoptedOrders (start-up recovery hands found copies to the engine)', () => {
  it('answers the first-id placement with a copy working under a re-planned id, and tells its events under the engine id', async () => {
    const { exchange, raw, limit } = await broker();
    // The copy re-planned before a kill -9: it works under `<signal>~replan-1`.
    const replanId = intentId(`${SIGNAL}~replan-1`, 'f1', 'close');
    const ack = await raw.placeOrder(limit(replanId));
    const adopted = new AdoptedOrders();
    adopted.adopt('A', firstIds, await raw.getOpenOrders('A'), raw);
    const wrapped = adopted.wrap(raw);
    const seen: BrokerEvent[] = [];
    wrapped.onEvent((e) => seen.push(e));

    // The re-signal plans the copy as an entry now: the order found is that copy.
    const answer = await wrapped.placeOrder(limit(firstIds[0]!));
    expect(answer.orderId).toBe(ack.orderId);
    expect(exchange.getOpenOrders('A')).toHaveLength(1);
    expect(await adopted.cancelUnclaimed(() => undefined)).toBe(0);

    // Its fill reaches the engine under the id the engine placed it under.
    exchange.updateTrade(MNQ, 83_970);
    const fill = seen.find((e) => e.type === 'order-filled');
    expect(fill?.type === 'order-filled' && fill.fill.clientOrderId).toBe(firstIds[0]);
    expect((await wrapped.findOrderByClientId?.('A', firstIds[0]!))?.status).toBe('filled');
  });

  it('cancels a found copy the engine plans differently and fails the placement (recovery places it under a fresh id)', async () => {
    const { exchange, raw, limit } = await broker();
    // The first copy (cancelled by a re-plan), then the re-planned close and open legs.
    await raw.placeOrder(limit(firstIds[0]!, 2));
    await raw.cancelOrder({ accountId: 'A', orderId: exchange.getOpenOrders('A')[0]!.orderId });
    await raw.placeOrder(limit(intentId(`${SIGNAL}~replan-1`, 'f1', 'close'), 1));
    await raw.placeOrder(limit(intentId(`${SIGNAL}~replan-1`, 'f1', 'open'), 1));
    const adopted = new AdoptedOrders();
    adopted.adopt('A', firstIds, await raw.getOpenOrders('A'), raw);
    const wrapped = adopted.wrap(raw);
    await expect(wrapped.placeOrder(limit(firstIds[0]!, 2))).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(exchange.getOpenOrders('A')).toEqual([]);
  });

  it('refuses the first-id placement of a copy the broker holds only as cancelled (recovery places it under a fresh id)', async () => {
    const { exchange, raw, limit } = await broker();
    // The first copy, cancelled by a re-plan whose own copy a kill -9 took from the journal.
    const first = await raw.placeOrder(limit(firstIds[0]!, 1));
    await raw.cancelOrder({ accountId: 'A', orderId: first.orderId });
    const adopted = new AdoptedOrders();
    adopted.refuse('A', firstIds, raw);
    const wrapped = adopted.wrap(raw);
    await expect(wrapped.placeOrder(limit(firstIds[0]!, 1))).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(exchange.getOpenOrders('A')).toEqual([]);
    // A later placement under another id goes to the broker as usual.
    await wrapped.placeOrder(limit(intentId(`${SIGNAL}~replan-9`, 'f1', 'entry'), 1));
    expect(exchange.getOpenOrders('A')).toHaveLength(1);
  });

  it('fails a first-id placement the broker answers with the copy it cancelled before the restart (an ended order the lookup could not see)', async () => {
    const { exchange, raw, limit } = await broker();
    // Cancelled by a re-plan before a kill -9; Sierra Chart's lookup reads only open orders, so
    // recovery found nothing under the first ids, and a repeated id names that cancelled order.
    const first = await raw.placeOrder(limit(firstIds[0]!, 1));
    await raw.cancelOrder({ accountId: 'A', orderId: first.orderId });
    const adopted = new AdoptedOrders();
    adopted.expectNew('A', firstIds);
    const wrapped = adopted.wrap(raw);
    await expect(wrapped.placeOrder(limit(firstIds[0]!, 1))).rejects.toBeInstanceOf(BrokerUnavailableError);
    // A first id never used before is placed as usual, and the check is spent once recovery is done.
    const fresh = await wrapped.placeOrder(limit(firstIds[1]!, 1));
    expect(fresh.status).toBe('working');
    await adopted.cancelUnclaimed(() => undefined);
    await expect(wrapped.placeOrder(limit(firstIds[0]!, 1))).resolves.toMatchObject({ status: 'cancelled' });
    expect(exchange.getOpenOrders('A')).toHaveLength(1);
  });

  it('cancels a found copy no placement claimed once the re-signals went through', async () => {
    const { exchange, raw, limit } = await broker();
    await raw.placeOrder(limit(firstIds[0]!));
    const adopted = new AdoptedOrders();
    adopted.adopt('A', firstIds, await raw.getOpenOrders('A'), raw);
    expect(await adopted.cancelUnclaimed(() => undefined)).toBe(1);
    expect(exchange.getOpenOrders('A')).toEqual([]);
  });
});
