import type { BrokerOrder, BrokerOrderStatus } from '../adapter/contract.js';

/** What part an order plays in the simulated exchange. */
export type OrderRole = 'entry' | 'stop-loss' | 'take-profit' | 'flatten';

/** The exchange's own mutable record of an order; callers only ever see copies of `order`. */
export interface OrderRecord {
  order: BrokerOrder;
  role: OrderRole;
  /** A stop or stop-limit whose stop price was reached (it now works as a market or limit order). */
  triggered: boolean;
  /** Bracket children of an entry. */
  children?: { stopLoss?: string; takeProfit?: string };
  /** The other half of an OCO pair. */
  siblingId?: string;
}

const TERMINAL: ReadonlySet<BrokerOrderStatus> = new Set(['filled', 'cancelled', 'rejected']);

/** True once an order can change no more. */
export function isTerminal(status: BrokerOrderStatus): boolean {
  return TERMINAL.has(status);
}

/** A copy of an order that the caller may keep or change without touching the exchange. */
export function copyOrder(order: BrokerOrder): BrokerOrder {
  return { ...order, contract: { ...order.contract } };
}
