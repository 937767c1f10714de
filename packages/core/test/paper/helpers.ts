import type { BrokerEvent, PlaceOrderRequest } from '../../src/adapter/contract.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import type { Contract } from '../../src/instruments/contract.js';
import { SimulatedExchange, type SimulatedExchangeOptions } from '../../src/paper/simulated-exchange.js';

/** Micro Nasdaq, 0.25 tick, 500 mils a tick. */
export const MNQ: Contract = { root: 'MNQ', month: 'Z', year: 2025 };
/** 10-year note, 1/64 tick, 15 625 mils a tick. */
export const ZN: Contract = { root: 'ZN', month: 'Z', year: 2025 };
/** The test account. */
export const ACCOUNT = 'acct-1';

/** An exchange on a virtual clock with one open account and an event log. */
export function setup(options: Partial<SimulatedExchangeOptions> = {}) {
  const clock = new VirtualClock(1_000);
  const exchange = new SimulatedExchange({ clock, ...options });
  exchange.openAccount(ACCOUNT, 50_000_000);
  const events: BrokerEvent[] = [];
  exchange.onEvent((e) => events.push(e));
  let n = 0;
  /** A placement request with a fresh client order id. */
  const order = (
    fields: Partial<PlaceOrderRequest> & Pick<PlaceOrderRequest, 'side' | 'orderType'>,
  ): PlaceOrderRequest => ({
    accountId: ACCOUNT,
    clientOrderId: `c${++n}`,
    contract: MNQ,
    qty: 1,
    ...fields,
  });
  return { clock, exchange, events, order };
}

/** The fills in an event log, as `qty@price`. */
export function fillsOf(events: readonly BrokerEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'order-filled' ? [`${e.fill.side} ${e.fill.qty}@${e.fill.priceTicks}`] : [],
  );
}

/** The status transitions of one order in an event log. */
export function statusesOf(events: readonly BrokerEvent[], orderId: string): string[] {
  return events.flatMap((e) =>
    e.type === 'order-updated' && e.order.orderId === orderId ? [e.order.status] : [],
  );
}
