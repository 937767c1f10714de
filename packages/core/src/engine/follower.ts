import type { BrokerConnection } from '../adapter/contract.js';
import type { FollowerConfig } from '../config/schema.js';
import type { Contract } from '../instruments/contract.js';
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

/** Everything the engine keeps for one follower at run time. */
export class FollowerRuntime {
  readonly queue = new SerialQueue();
  /** leaderOrderId → the follower's order copying it. */
  readonly orders = new Map<string, FollowerOrderRef>();
  paused = false;
  /** An automatic flatten is queued or running; further triggers wait for it. */
  flattening = false;
  /**
   * Contracts with a reducing order in flight: for the firm rule this account is
   * already leaving them, so another account's reversal may open the other way.
   */
  readonly closing = new Set<string>();
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
    readonly config: FollowerConfig,
    readonly connectionKey: string,
    readonly connection: BrokerConnection,
    readonly guard: ConnectionGuard,
    readonly rules: CompiledRiskRules,
    readonly risk: AccountRiskState,
    readonly startingBalance: Money,
  ) {}

  get name(): string {
    return this.config.name;
  }

  get accountId(): string {
    return this.config.account;
  }
}
