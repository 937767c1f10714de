import type { Contract } from '../instruments/contract.js';
import type { OrderType, Side } from '../model/common.js';
import type { NewOrderSignal } from '../model/signal.js';
import type { Ticks } from '../money/price.js';

/** What the engine remembers of a leader order, to route its modify and cancel and re-plan its copies. */
export interface LeaderOrder {
  id: string;
  contract: Contract;
  side: Side;
  /** Total quantity, as last modified. */
  qty: number;
  /** Quantity the leader's fills reported so far. */
  filled: number;
  orderType: OrderType;
  /** The `new` signal, with the prices of the latest modify: a modify re-plans every follower from it. */
  signal: NewOrderSignal;
  /** Filled, cancelled or flattened: no fill or re-plan is expected any more. */
  done: boolean;
  /** Signals naming this order whose follower work has not finished yet: it is not forgotten meanwhile. */
  busy?: number;
}

/**
 * Ended leader orders kept for a late modify or cancel of their protective children (a stop
 * moved hours after its entry filled); older ended orders are forgotten, with each
 * follower's reference to its copy, so a long session's state stays flat. The leader
 * mirror of a replay keeps the same order of magnitude of finished orders.
 */
export const ENDED_LEADER_ORDERS_KEPT = 5_000;
/** Forgetting runs once this many orders were added past the bound: its walk is paid once per batch. */
const FORGET_BATCH = 1_000;

/** A leader fill; its order ids tie it to the leader order the followers copy. */
export interface LeaderFill {
  contract: Contract;
  side: Side;
  qty: number;
  priceTicks: Ticks;
  orderId?: string;
  clientOrderId?: string;
}

/**
 * What the engine knows of the leader and its market: its position per contract key, its
 * orders, the latest prices. Signal routing writes the orders, fill ingest the positions
 * and prices; the copy desk plans against them.
 */
export class LeaderBook {
  /** Signed leader position per contract key. */
  readonly positions = new Map<string, number>();
  /** leaderOrderId → contract and side, so modify/cancel can be routed. */
  readonly orders = new Map<string, LeaderOrder>();
  readonly lastPrice = new Map<string, Ticks>();
  /** The latest bid and ask per contract key: a fill the broker gave no price for is booked at the side it met. */
  readonly quotes = new Map<string, { bid?: Ticks; ask?: Ticks }>();
  /**
   * Whether the leader's fills reach this engine (a replay, a run with the leader's broker
   * or mirror). Only then is each follower's expected position known, and drift and
   * alignment measure against it; else (a scale-out executor) against the scaled leader.
   */
  fillsSeen = false;
  #forgetAbove = ENDED_LEADER_ORDERS_KEPT + FORGET_BATCH;

  /**
   * Forgets the oldest ended orders `forgettable` allows once more than the bound are held;
   * returns their ids. Orders still working (or still referred to) stay, whatever their age.
   */
  forgetEnded(forgettable: (order: LeaderOrder) => boolean): string[] {
    if (this.orders.size <= this.#forgetAbove) return [];
    const forgotten: string[] = [];
    for (const order of this.orders.values()) {
      if (this.orders.size <= ENDED_LEADER_ORDERS_KEPT) break;
      if (!order.done || (order.busy ?? 0) > 0 || !forgettable(order)) continue;
      this.orders.delete(order.id);
      forgotten.push(order.id);
    }
    this.#forgetAbove = Math.max(this.orders.size, ENDED_LEADER_ORDERS_KEPT) + FORGET_BATCH;
    return forgotten;
  }
}
