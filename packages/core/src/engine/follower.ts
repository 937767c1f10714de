import type { BrokerConnection } from '../adapter/contract.js';
import type { FollowerConfig } from '../config/schema.js';
import { type Contract, contractKey } from '../instruments/contract.js';
import type { OrderType, Side } from '../model/common.js';
import type { OrderIntent } from '../model/intent.js';
import type { Money } from '../money/money.js';
import type { Ticks } from '../money/price.js';
import type { AccountRiskState, CompiledRiskRules } from '../risk/index.js';
import { RiskReason } from '../risk/reasons.js';
import { CopyBook } from './copy-book.js';
import type { ManagedBracket } from './managed-bracket.js';
import type { ReconcilePolicy } from './reconcile.js';
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

/** A follower order planned for one leader order: the leg of the plan it carries. */
export interface LegCopy {
  leg: 'entry' | 'close' | 'open';
  intentId: string;
  /** Broker id once acknowledged. */
  orderId?: string;
  side: Side;
  /** Total quantity the order was placed or last modified with. */
  qty: number;
  filled: number;
  orderType: OrderType;
  limitTicks?: Ticks;
  stopTicks?: Ticks;
}

/**
 * What one follower did for one leader order: the legs still working at its broker and
 * the follower position change the plan stands for. Kept while the leader order works
 * or one of its legs does, so a cancel or modify of the leader order reaches every leg
 * (an exit and a reversal's close are legs too), and so drift is measured against what
 * the follower's own rules made of the leader's fills.
 */
export interface OrderCopy {
  leaderOrderId: string;
  /** The leader contract key the order trades: the follower's share is kept per source. */
  source: string;
  /** The follower's contract. */
  contract: Contract;
  /** Working legs by role (a plain record: a copy is made per follower per leader order). */
  legs: LegSet<LegCopy | undefined>;
  /** Signed follower change the plan stands for once the leader's `leaderQty` has filled. */
  planned: number;
  /** Leader quantity the plan covers, and how much of it has filled since. */
  leaderQty: number;
  leaderFilled: number;
  /** Part of `planned` already counted in the expected position. */
  booked: number;
  /** The leader order ended (filled, cancelled, flattened): `booked` is final. */
  leaderDone: boolean;
  /** Quantity each leg role has filled so far, over every order that carried it (a modify may replace one). */
  legFilled: LegSet<number>;
  /** Signed follower change of those fills: the share before the copy filled is the share less this. */
  filledDelta: number;
  /** An inverse copy placed at the leader's fills, not as a working order (see `CopyDesk.copiesAtFill`). */
  atFill?: boolean;
  /** Copies a resting (not market) leader order as a working order: the leader's fills may re-plan it. */
  resting: boolean;
}

/** One value per leg role. */
export interface LegSet<T> {
  entry: T;
  close: T;
  open: T;
}

/** The roles a copy's legs take, exits first (a close never waits behind an entry). */
export const LEG_ROLES = ['close', 'entry', 'open'] as const;

/** The legs of a copy still working. */
export function workingLegs(copy: OrderCopy): LegCopy[] {
  const out: LegCopy[] = [];
  for (const role of LEG_ROLES) {
    const leg = copy.legs[role];
    if (leg) out.push(leg);
  }
  return out;
}

/** Whether any leg of a copy still works. */
export function hasWorkingLegs(copy: OrderCopy): boolean {
  return copy.legs.entry !== undefined || copy.legs.close !== undefined || copy.legs.open !== undefined;
}

/** Fill ids a follower may hold beyond those still asked about before they are swept. */
const FILLED_SWEEP_SLACK = 5_000;

/** The share key of a quantity no source has claimed yet. */
const LOOSE = '';

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
  /** Why it is paused: the reason its blocked orders carry. */
  pausedFor: RiskReason = RiskReason.FollowerPaused;
  /** An order failed or its outcome is unknown: recovery re-plans and aligns (see `ReconcileDesk.recover`). */
  needsRecovery = false;
  /** When recovery last ran (clock ms), and the counter of re-planned legs (fresh intent ids; see the roster). */
  recoveredAt = Number.NEGATIVE_INFINITY;
  recoveries = 0;
  /** The policy of a requested reconciliation that failed: the next recovery applies it. */
  recoverPolicy: ReconcilePolicy | undefined;
  /**
   * Cancels of working legs the broker did not confirm (down, timed out, refused for now),
   * by the leg's intent id: recovery sends them again, so a leader's cancel is never dropped.
   */
  readonly pendingCancels = new Map<string, { orderId?: string; intent: OrderIntent }>();
  /** A recovery failed and none has succeeded since (`follower-recovery` said `pending`). */
  recoveryPending = false;
  /** An automatic flatten is queued or running; further triggers wait for it. */
  flattening = false;
  /**
   * Market orders sent and not yet filled, by intent id, for the firm rule: a reducing one means
   * this account is already leaving its contract, so another account's reversal may open
   * the other way; an opening one counts as exposure before its fill is reported. Held
   * until the fill report, not the ack: on a wire the ack comes first.
   */
  readonly #inFlight = new Map<string, InFlightOrder>();
  /** Intents sent whose outcome is unknown (timeout, dropped socket) until reconciliation settles them. */
  readonly unknown = new Map<string, { intent: OrderIntent; leaderOrderId?: string }>();
  /**
   * Intent ids any fill was seen of (an ack may come after its fill on a wire), while
   * something may still ask: an order being placed, the order a leader order's reference
   * names (a protective order added later sizes to it), an order whose outcome is unknown.
   */
  readonly filledIntents = new Set<string>();
  /** Intents sent whose answer is awaited. */
  readonly placing = new Set<string>();
  #sweepFilledAbove = FILLED_SWEEP_SLACK;
  /** Brackets the engine holds for a broker without native ones, by the intent id of the entry and of each child. */
  readonly brackets = new Map<string, ManagedBracket>();
  /**
   * Modifications of one order waiting in this follower's queue, merged: a burst
   * of moves of one stop becomes one request with the latest price.
   */
  readonly pendingModify = new Map<string, { qty?: number; limitPrice?: string; stopPrice?: string }>();
  /**
   * Leader orders whose new-order signal waits in this follower's queue. Their fills are in
   * the leader's position already but not yet in what this follower planned, so a re-plan
   * that runs before them takes them out of the leader's position (`CopyDesk.replanWorking`).
   */
  readonly unseenOrders = new Set<string>();
  /** leaderOrderId → what this follower did for it (see `OrderCopy`). */
  readonly copies = new CopyBook<OrderCopy>();
  /** intentId → the copy and leg it places, to book fills and end legs. */
  readonly legOf = new Map<string, { copy: OrderCopy; leg: LegCopy }>();
  /**
   * intentId → source leader contract key, for orders outside a copy (bracket entries and
   * children, flattens). Two generations: the older is dropped when the newer fills up.
   */
  #sources = new Map<string, string>();
  #olderSources = new Map<string, string>();
  /**
   * The same for broker order ids (a native bracket's children), apart so that no `order:${id}`
   * key is made per order and per fill; one window with the intent ids (they rotate together).
   */
  #orderSources = new Map<string, string>();
  #olderOrderSources = new Map<string, string>();
  /**
   * Broker order id → the intent (client order id) it was placed under, from the placement's
   * answer: a fill a broker reports without the client order id still finds its copy's leg.
   * Two generations of its own: one entry per placement must not age the maps above.
   */
  #orderIntents = new Map<string, string>();
  #olderOrderIntents = new Map<string, string>();
  /**
   * The follower's position per follower contract key, split by the leader contract it
   * copies: a follower mapping NQ → MNQ ×10 while the leader also trades MNQ holds two
   * shares of one contract, and an exit of one must not close the other.
   */
  readonly shares = new Map<string, Map<string, number>>();
  /** The expected position per source, besides what live copies have booked. */
  readonly expectedBase = new Map<string, number>();
  /** What live copies have booked, per source (kept as a sum so `expected` costs nothing per copy). */
  readonly #booked = new Map<string, number>();

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

  /** A fill of `intentId` was seen; ids nothing can ask about any more are dropped now and then. */
  noteFilled(intentId: string): void {
    this.filledIntents.add(intentId);
    if (this.filledIntents.size <= this.#sweepFilledAbove) return;
    const asked = new Set(this.placing);
    for (const ref of this.orders.values()) asked.add(ref.intentId);
    for (const id of this.unknown.keys()) asked.add(id);
    for (const id of this.filledIntents) if (!asked.has(id)) this.filledIntents.delete(id);
    // Paid once per as many fills as are kept (and at least the slack): amortized O(1) per fill.
    this.#sweepFilledAbove = 2 * this.filledIntents.size + FILLED_SWEEP_SLACK;
  }

  /** The follower's share of the contract `key` that copies `source`. */
  share(key: string, source: string): number {
    return this.shares.get(key)?.get(source) ?? 0;
  }

  /** Books a signed change of the share of `source` in the contract `key`. */
  addShare(key: string, source: string, delta: number): void {
    let bySource = this.shares.get(key);
    if (!bySource) {
      bySource = new Map();
      this.shares.set(key, bySource);
    }
    const next = (bySource.get(source) ?? 0) + delta;
    if (next === 0) bySource.delete(source);
    else bySource.set(source, next);
  }

  /**
   * Books a fill no copy claims (a flatten, a reconciliation, a baseline, a manual trade).
   * A reduction comes out of the named shares toward zero, so a flatten empties them all;
   * the rest is loose until a source claims it (`claimLoose`).
   */
  addUnattributed(key: string, delta: number): void {
    let left = delta;
    for (const [source, qty] of [...(this.shares.get(key) ?? [])]) {
      if (left === 0) break;
      if (source === LOOSE || Math.sign(qty) === Math.sign(left)) continue;
      const take = Math.sign(left) * Math.min(Math.abs(qty), Math.abs(left));
      this.addShare(key, source, take);
      left -= take;
    }
    if (left !== 0) this.addShare(key, LOOSE, left);
  }

  /** Gives a loose quantity in `key` to `source` when no other source holds part of the contract. */
  claimLoose(key: string, source: string): void {
    const loose = this.share(key, LOOSE);
    if (loose === 0) return;
    for (const [s, qty] of this.shares.get(key) ?? []) if (s !== LOOSE && s !== source && qty !== 0) return;
    this.addShare(key, LOOSE, -loose);
    this.addShare(key, source, loose);
  }

  /** Sources other than `source` with a share or a working leg in the contract `key`. */
  otherSources(key: string, source: string): boolean {
    for (const [s, qty] of this.shares.get(key) ?? [])
      if (s !== source && s !== LOOSE && qty !== 0) return true;
    for (const copy of this.copies.values()) {
      if (copy.source !== source && contractKey(copy.contract) === key && hasWorkingLegs(copy)) return true;
    }
    return false;
  }

  /** The expected position that copies `source`: the base plus what each copy has booked. */
  expected(source: string): number {
    return (this.expectedBase.get(source) ?? 0) + (this.#booked.get(source) ?? 0);
  }

  /** Sources with an expected position (flat ones included). */
  expectedSources(): Set<string> {
    return new Set([...this.expectedBase.keys(), ...this.#booked.keys()]);
  }

  /** Sets what a copy has booked, keeping the per-source sum. */
  #setBooked(copy: OrderCopy, booked: number): void {
    if (booked === copy.booked) return;
    this.#booked.set(copy.source, (this.#booked.get(copy.source) ?? 0) + booked - copy.booked);
    copy.booked = booked;
  }

  /** Re-counts what a copy has booked after the leader filled more of it; folds it when done. */
  book(copy: OrderCopy): void {
    const full = copy.leaderFilled >= copy.leaderQty;
    this.#setBooked(
      copy,
      full ? copy.planned : Math.trunc((copy.planned * copy.leaderFilled) / copy.leaderQty),
    );
    if (full) copy.leaderDone = true;
    this.settle(copy);
  }

  /** Moves a finished copy's booked change into the base and forgets it once no leg works. */
  settle(copy: OrderCopy): void {
    if (!copy.leaderDone || hasWorkingLegs(copy)) return;
    if (this.copies.get(copy.leaderOrderId) !== copy) return;
    this.expectedBase.set(copy.source, (this.expectedBase.get(copy.source) ?? 0) + copy.booked);
    this.#setBooked(copy, 0);
    this.copies.delete(copy.leaderOrderId);
  }

  /** Closes the oldest copies with no working leg, with what they booked, until at most `max` are kept. */
  pruneCopies(max: number): void {
    if (this.copies.size <= max) return;
    // Down to half at once, so the scan is paid once per max/2 copies, not per copy.
    for (const copy of [...this.copies.values()]) {
      if (this.copies.size <= max / 2) return;
      if (hasWorkingLegs(copy)) continue;
      copy.leaderDone = true;
      this.settle(copy);
    }
  }

  /**
   * An order of this engine did not get through: recovery places it again, and aligns the
   * position, since this failure explains a difference. A recovery already waiting with a
   * milder policy (a reconnect's `alert`, started before the failure) aligns too. One already
   * waiting to align or flatten keeps its policy: cleared, an alignment that start-up asked
   * for fell back to the configured `alert` while the leader's fills were not seen yet, and
   * the follower stayed off (chaos seed 31367982).
   */
  orderFailed(): void {
    this.needsRecovery = true;
    if (this.recoverPolicy !== 'flatten' && this.recoverPolicy !== 'align') this.recoverPolicy = undefined;
  }

  /** Remembers which leader contract an order outside a copy trades; the oldest are forgotten past a bound. */
  rememberSource(intentId: string, source: string): void {
    this.#sources.set(intentId, source);
    this.#rotateSources();
  }

  /** `rememberSource` for an order known by its broker order id. */
  rememberOrderSource(orderId: string, source: string): void {
    this.#orderSources.set(orderId, source);
    this.#rotateSources();
  }

  /** Remembers the intent a broker order was placed under (the placement's answer named it). */
  rememberOrderIntent(orderId: string, intentId: string): void {
    this.#orderIntents.set(orderId, intentId);
    if (this.#orderIntents.size > 10_000) {
      this.#olderOrderIntents = this.#orderIntents;
      this.#orderIntents = new Map();
    }
  }

  /** The intent a broker order was placed under, if this process placed it and still remembers. */
  intentOfOrder(orderId: string): string | undefined {
    return this.#orderIntents.get(orderId) ?? this.#olderOrderIntents.get(orderId);
  }

  /** 10,000 ids remembered since the last rotation: they become the older generation. */
  #rotateSources(): void {
    if (this.#sources.size + this.#orderSources.size > 10_000) {
      this.#olderSources = this.#sources;
      this.#olderOrderSources = this.#orderSources;
      this.#sources = new Map();
      this.#orderSources = new Map();
    }
  }

  /** The source leader contract of an order outside a copy, if remembered. */
  sourceOf(intentId: string): string | undefined {
    return this.#sources.get(intentId) ?? this.#olderSources.get(intentId);
  }

  /** `sourceOf` by broker order id. */
  orderSourceOf(orderId: string): string | undefined {
    return this.#orderSources.get(orderId) ?? this.#olderOrderSources.get(orderId);
  }

  /** Forgets a copy whose leader order is gone: nothing of it stays expected or working. */
  forget(copy: OrderCopy): void {
    for (const leg of workingLegs(copy)) this.legOf.delete(leg.intentId);
    copy.legs = { entry: undefined, close: undefined, open: undefined };
    this.#setBooked(copy, 0);
    this.copies.delete(copy.leaderOrderId);
    this.orders.delete(copy.leaderOrderId);
  }

  /** The leader is flat in `source` (or in everything): nothing of it is expected any more. */
  resetExpected(source: string | undefined): void {
    if (source === undefined) this.expectedBase.clear();
    else this.expectedBase.set(source, 0);
  }

  /** A leg will not fill any further (filled, cancelled, rejected). */
  endLeg(intentId: string): void {
    const at = this.legOf.get(intentId);
    if (!at) return;
    this.legOf.delete(intentId);
    if (at.copy.legs[at.leg.leg] === at.leg) at.copy.legs[at.leg.leg] = undefined;
    this.settle(at.copy);
  }

  get name(): string {
    return this.config.name;
  }

  get accountId(): string {
    return this.config.account;
  }
}
