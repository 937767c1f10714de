import type { BrokerConnection } from '../adapter/contract.js';
import type { FollowerConfig } from '../config/schema.js';
import { type Contract, contractKey } from '../instruments/contract.js';
import type { OrderType, Side } from '../model/common.js';
import type { OrderIntent } from '../model/intent.js';
import type { Money } from '../money/money.js';
import type { AccountRiskState, CompiledRiskRules } from '../risk/index.js';
import type { ManagedBracket } from './managed-bracket.js';
import type { ConnectionGuard } from './resilience.js';
import { SerialQueue } from './serial-queue.js';

/** A follower order placed for one leader order, so modify and cancel can find it. */
export interface FollowerOrderRef {
  intentId: string;
  orderId?: string;
  stopLossOrderId?: string;
  takeProfitOrderId?: string;
  contract: Contract;
  side: Side;
  /** The type the follower order was placed as (an inverse copy swaps limit and stop). */
  orderType: OrderType;
}

interface InFlightOrder {
  key: string;
  contract: Contract;
  /** +1 for a buy, -1 for a sell. */
  sign: number;
  /** Quantity still to fill. */
  remaining: number;
  reducing: boolean;
}

/** Everything the engine keeps for one follower at run time. */
export class FollowerRuntime {
  readonly queue = new SerialQueue();
  /** leaderOrderId → the follower's order copying it. */
  readonly orders = new Map<string, FollowerOrderRef>();
  paused = false;
  /** An automatic flatten is queued or running; further triggers wait for it. */
  flattening = false;
  /**
   * Orders sent and not yet filled, by intent id, for the firm rule: a reducing one means
   * this account is already leaving its contract, so another account's reversal may open
   * the other way; an opening one counts as exposure before its fill is reported. Held
   * until the fill report, not the ack: on a wire the ack comes first.
   */
  readonly #inFlight = new Map<string, InFlightOrder>();
  /** Intents sent whose outcome is unknown (timeout, dropped socket) until reconciliation settles them. */
  readonly unknown = new Map<string, { intent: OrderIntent; leaderOrderId?: string }>();
  /**
   * Modifications of one order waiting in this follower's queue, merged: a burst
   * of moves of one stop becomes one request with the latest price.
   */
  /** Brackets the engine holds for a broker without native ones, by the intent id of the entry and of each child. */
  readonly brackets = new Map<string, ManagedBracket>();
  readonly pendingModify = new Map<string, { qty?: number; limitPrice?: string; stopPrice?: string }>();

  constructor(
    public config: FollowerConfig,
    readonly connectionKey: string,
    readonly connection: BrokerConnection,
    readonly guard: ConnectionGuard,
    public rules: CompiledRiskRules,
    readonly risk: AccountRiskState,
    readonly startingBalance: Money,
  ) {}

  /** An order was sent; `signedQty` is positive for a buy. */
  startInFlight(intentId: string, contract: Contract, signedQty: number, reducing: boolean): void {
    this.#inFlight.set(intentId, {
      key: contractKey(contract),
      contract,
      sign: Math.sign(signedQty),
      remaining: Math.abs(signedQty),
      reducing,
    });
  }

  /** `qty` of an order filled; it stops counting once all of it has. */
  inFlightFilled(intentId: string, qty: number): void {
    const o = this.#inFlight.get(intentId);
    if (!o) return;
    o.remaining -= qty;
    if (o.remaining <= 0) this.#inFlight.delete(intentId);
  }

  /** The order ended some other way (rejected, failed, cancelled). */
  endInFlight(intentId: string): void {
    this.#inFlight.delete(intentId);
  }

  /** The position on `key` went flat: nothing is leaving it any more. */
  endClosing(key: string): void {
    for (const [id, o] of this.#inFlight) if (o.reducing && o.key === key) this.#inFlight.delete(id);
  }

  /** Whether a reducing order on the contract `key` is still on its way. */
  isClosing(key: string): boolean {
    for (const o of this.#inFlight.values()) if (o.reducing && o.key === key) return true;
    return false;
  }

  /** Signed quantity of opening orders sent and not yet filled, per contract. */
  openingExposure(): { contract: Contract; netQty: number }[] {
    const byKey = new Map<string, { contract: Contract; netQty: number }>();
    for (const o of this.#inFlight.values()) {
      if (o.reducing) continue;
      const e = byKey.get(o.key) ?? { contract: o.contract, netQty: 0 };
      e.netQty += o.sign * o.remaining;
      byKey.set(o.key, e);
    }
    return [...byKey.values()];
  }

  get name(): string {
    return this.config.name;
  }

  get accountId(): string {
    return this.config.account;
  }
}
