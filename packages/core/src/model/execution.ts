import type { Contract } from '../instruments/contract.js';
import type { Ticks } from '../money/price.js';
import type { Side } from './common.js';

/** One fill of a follower (or leader) order, as the broker reported it. */
export interface Execution {
  /** The broker's fill id; fills are de-duplicated by it. */
  executionId: string;
  /** The broker's order id. */
  orderId: string;
  /** The client order id (our intent id) when the order was ours. */
  intentId?: string;
  broker: string;
  accountId: string;
  contract: Contract;
  side: Side;
  qty: number;
  priceTicks: Ticks;
  /** Broker time of the fill (ms). */
  time: number;
}
