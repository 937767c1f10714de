import type {
  BrokerAccountUpdate,
  BrokerEvent,
  BrokerFill,
  BrokerOrder,
  BrokerOrderStatus,
  BrokerPosition,
} from '../adapter/contract.js';
import type { EngineEvent } from '../bus/events.js';
import { type Contract, contractKey, parseContract } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import { type Side, sideSign } from '../model/common.js';
import type { Execution } from '../model/execution.js';
import type { Ticks } from '../money/price.js';
import type { PositionTracker } from '../positions/tracker.js';
import { legDelta, planFollowerOrder } from '../scaling/plan.js';
import { scaleEntryQty } from '../scaling/scale.js';
import type { Logger } from '../util/logger.js';
import type { CopyDesk } from './copy-desk.js';
import type { FollowerRuntime } from './follower.js';
import { mapContract } from './intents.js';
import type { LeaderBook, LeaderFill, LeaderOrder } from './leader-book.js';
import type { OrderDesk } from './order-desk.js';
import { scaledTargets } from './reconcile.js';
import type { Roster } from './roster.js';

/** What fill ingest needs from the engine. */
export interface FillIngestDeps {
  /** The follower positions; fill ingest is their one writer (the desks read them as `PositionsView`). */
  tracker: PositionTracker;
  /** The follower a broker event's account belongs to. */
  accounts: Pick<Roster, 'byAccount'>;
  leader: LeaderBook;
  /** Told when a fill moves a leader contract under working copies, or fills an inverse copy's leader order. */
  copies: CopyDesk;
  /** Its bracket desk follows each fill of a managed entry; its risk checks follow each fill. */
  orders: OrderDesk;
  instruments: InstrumentRegistry;
  followers(): Iterable<FollowerRuntime>;
  emit(event: EngineEvent): void;
  now(): number;
  log: Logger;
}

/**
 * Everything that comes back: the leader's fills (its position, its orders' progress, what
 * each follower is expected to hold), each follower's executions (the position tracker,
 * the share of the leader contract they copy, their leg), market prices, and what the
 * followers' brokers report of orders and accounts.
 */
export class FillIngest {
  readonly #d: FillIngestDeps;
  readonly #tracker: PositionTracker;
  readonly #leader: LeaderBook;

  constructor(deps: FillIngestDeps) {
    this.#d = deps;
    this.#tracker = deps.tracker;
    this.#leader = deps.leader;
  }

  /** A follower's broker reports a fill, an order's change or its account's money; an account the engine does not copy to is ignored. */
  brokerEvent(connection: string, event: Exclude<BrokerEvent, { type: 'connection-changed' }>): void {
    const accounts = this.#d.accounts;
    switch (event.type) {
      case 'order-filled': {
        const f = accounts.byAccount({ connection, accountId: event.fill.accountId });
        if (f) this.orderFilled(f, event.fill);
        break;
      }
      case 'order-updated': {
        const f = accounts.byAccount({ connection, accountId: event.order.accountId });
        if (f) this.orderUpdated(f, event.order);
        break;
      }
      case 'position-updated':
        break;
      case 'account-updated': {
        const f = accounts.byAccount({ connection, accountId: event.account.accountId });
        if (f) this.accountUpdated(f, event.account);
        break;
      }
    }
  }

  /** A follower's order changed at its broker: an ended order stops counting as working. */
  orderUpdated(f: FollowerRuntime, reported: BrokerOrder): void {
    const order = withIntent(f, reported);
    const parent = order.parentOrderId;
    const parentSource = parent !== undefined ? f.orderSourceOf(parent) : undefined;
    if (parentSource !== undefined) f.rememberOrderSource(order.orderId, parentSource);
    if (order.clientOrderId !== undefined && isEnded(order.status)) {
      f.endInFlight(order.clientOrderId);
      f.endLeg(order.clientOrderId);
    }
    if (order.status === 'cancelled') {
      this.#d.emit({
        type: 'order-cancelled',
        time: this.#d.now(),
        follower: f.name,
        accountId: f.accountId,
        orderId: order.orderId,
        ...(order.reason ? { reason: order.reason } : {}),
      });
    }
  }

  /** The broker's view of an account's money, beside what the engine tracked. */
  accountUpdated(f: FollowerRuntime, a: BrokerAccountUpdate): void {
    const tracked = this.#tracker.pnl(f.name);
    this.#d.emit({
      type: 'account-pnl',
      time: this.#d.now(),
      follower: f.name,
      accountId: f.accountId,
      broker: {
        ...(a.balance !== undefined ? { balance: a.balance } : {}),
        ...(a.realizedPnl !== undefined ? { realizedPnl: a.realizedPnl } : {}),
        ...(a.unrealizedPnl !== undefined ? { unrealizedPnl: a.unrealizedPnl } : {}),
      },
      tracked: { realizedPnl: tracked.realized, unrealizedPnl: tracked.unrealized },
    });
  }

  /** A follower's execution: booked to the tracker, its copy's leg and share, its bracket. */
  orderFilled(f: FollowerRuntime, reported: BrokerFill): void {
    const fill = withIntent(f, reported);
    const execution: Execution = {
      executionId: fill.fillId,
      orderId: fill.orderId,
      ...(fill.clientOrderId !== undefined ? { intentId: fill.clientOrderId } : {}),
      broker: f.connection.broker,
      accountId: fill.accountId,
      contract: fill.contract,
      side: fill.side,
      qty: fill.qty,
      // A fill the broker gave no price for is booked at the market the engine last saw: a sell
      // at the bid, a buy at the ask, else the last trade.
      priceTicks: (fill.priceEstimated && this.#marketFor(fill)) || fill.priceTicks,
      time: fill.time,
    };
    const tracked = this.#tracker.applyExecution(execution, f.name);
    if (!tracked) return;
    // The tracker keys by follower name; the event names the broker account.
    const position = { ...tracked, accountId: f.accountId };
    this.#bookShare(f, fill);
    if (fill.clientOrderId !== undefined) {
      f.noteFilled(fill.clientOrderId);
      f.inFlightFilled(fill.clientOrderId, fill.qty);
    }
    if (tracked.netQty === 0) f.endClosing(contractKey(fill.contract));
    const now = this.#d.now();
    this.#d.emit({ type: 'order-filled', time: now, follower: f.name, execution });
    this.#d.emit({ type: 'position-updated', time: now, follower: f.name, position });
    const bracket = fill.clientOrderId === undefined ? undefined : f.brackets.get(fill.clientOrderId);
    if (bracket) this.#d.orders.brackets.onFill(f, bracket, fill.clientOrderId!, fill.qty);
    this.#d.orders.checkAutoFlatten(f);
  }

  /** Books a follower fill to the share of the leader contract it copies, and to its leg. */
  #bookShare(f: FollowerRuntime, fill: BrokerFill): void {
    const key = contractKey(fill.contract);
    const delta = sideSign(fill.side) * fill.qty;
    const id = fill.clientOrderId;
    const at = id === undefined ? undefined : f.legOf.get(id);
    const bracket = id === undefined ? undefined : f.brackets.get(id);
    const source =
      at?.copy.source ??
      (id === undefined ? undefined : f.sourceOf(id)) ??
      (bracket ? f.sourceOf(bracket.entry.intentId) : undefined) ??
      f.orderSourceOf(fill.orderId);
    if (source === undefined) {
      f.addUnattributed(key, delta);
      // A fill no copy claims that leaves the contract flat (a flatten's close) empties every share,
      // whatever sides they were on.
      if (this.#tracker.netQty(f.name, fill.contract) === 0) f.shares.delete(key);
    } else f.addShare(key, source, delta);
    if (at) {
      at.copy.legFilled[at.leg.leg] += fill.qty;
      at.copy.filledDelta += delta;
      at.leg.filled += fill.qty;
      if (at.leg.filled >= at.leg.qty) {
        f.endLeg(at.leg.intentId);
        if (this.#leader.orders.get(at.copy.leaderOrderId)?.orderType !== 'market')
          this.#d.copies.checkSettled(f, at.copy.source);
      }
    }
  }

  #marketFor(fill: BrokerFill): Ticks | undefined {
    const key = contractKey(fill.contract);
    const quote = this.#leader.quotes.get(key);
    return (fill.side === 'sell' ? quote?.bid : quote?.ask) ?? this.#leader.lastPrice.get(key);
  }

  seedLeaderPosition(contract: Contract, netQty: number): void {
    const key = contractKey(contract);
    this.#leader.positions.set(key, netQty);
    // A run that starts with the leader in a trade expects each follower at its scaled share.
    for (const f of this.#d.followers()) {
      if (f.expectedSources().has(key)) continue;
      const pnl = this.#tracker.pnl(f.name);
      const scaled = scaledTargets(
        new Map([[key, netQty]]),
        f.config,
        f.startingBalance + pnl.realized,
        this.#d.instruments,
      );
      const target = [...scaled.values()][0];
      if (target !== undefined) f.expectedBase.set(key, target);
    }
  }

  /**
   * Books what a follower already holds at its broker when the run starts, so exits and
   * risk rules see it. The average price is rounded to a whole tick (a baseline's P&L can
   * be off by at most half a tick per contract); a broker that cannot answer leaves the
   * account as tracked, logged, for reconciliation to settle.
   */
  async seedFollower(f: FollowerRuntime): Promise<void> {
    let held: BrokerPosition[];
    try {
      held = await f.connection.getPositions(f.accountId);
    } catch (error) {
      this.#d.log.warn({ err: error, follower: f.name }, 'could not read positions at start');
      return;
    }
    for (const p of held) {
      if (p.netQty === 0 || this.#tracker.netQty(f.name, p.contract) !== 0) continue;
      const execution: Execution = {
        executionId: `baseline:${f.accountId}:${contractKey(p.contract)}`,
        orderId: 'baseline',
        broker: f.connection.broker,
        accountId: f.accountId,
        contract: p.contract,
        side: p.netQty > 0 ? 'buy' : 'sell',
        qty: Math.abs(p.netQty),
        priceTicks: Math.round(p.avgPriceTicks) as Ticks,
        time: this.#d.now(),
      };
      const tracked = this.#tracker.applyExecution(execution, f.name);
      // No source claims a baseline yet: the first leader order in the contract does.
      if (tracked) f.addUnattributed(contractKey(p.contract), p.netQty);
      if (tracked)
        this.#d.emit({
          type: 'position-updated',
          time: this.#d.now(),
          follower: f.name,
          position: { ...tracked, accountId: f.accountId },
        });
    }
  }

  applyLeaderFill(fill: LeaderFill): void {
    const key = contractKey(fill.contract);
    const before = this.#leader.positions.get(key) ?? 0;
    const delta = sideSign(fill.side) * fill.qty;
    this.#leader.fillsSeen = true;
    const order = this.#leaderOrderOf(fill, key);
    if (order) {
      order.filled += fill.qty;
      if (order.filled >= order.qty) order.done = true;
      for (const f of this.#d.followers()) {
        const copy = f.copies.get(order.id);
        if (this.#d.copies.copiesAtFill(f, order.signal)) {
          // Queued behind the copy's own start, which may not have run yet.
          void f.queue
            .push(() => this.#d.copies.copyLeaderFill(f, order, fill, before))
            .catch((e) => this.#d.log.error({ err: e, follower: f.name }, 'copy at fill failed'));
          continue;
        }
        if (!copy) continue; // Its copy is planned later in its queue and counts this fill then.
        copy.leaderFilled += fill.qty;
        if (order.done) copy.leaderDone = true;
        f.book(copy);
      }
    } else {
      // A fill of no order the followers were told of (a flatten's close, a bracket child,
      // a correction): each follower's expected share follows it by the follower's own rules.
      for (const f of this.#d.followers()) {
        const expected = f.expected(key);
        const change = this.#ruleChange(f, fill.contract, before, delta, expected);
        if (change !== 0) f.expectedBase.set(key, (f.expectedBase.get(key) ?? 0) + change);
      }
    }
    this.#leader.positions.set(key, before + delta);
    this.#leader.lastPrice.set(key, fill.priceTicks);
    // The leader's position moved under its other working orders in the contract: a working
    // entry may now be an exit, a reversal a plain exit. Each follower re-plans those copies.
    // Only a working order's fill can leave a follower off by the siblings filling with it; a
    // bracket child's or a flatten's fill is followed by the follower's own (which may still come).
    const working = order !== undefined && order.orderType !== 'market';
    for (const f of this.#d.followers()) {
      this.#d.copies.replanWorking(f, key, order?.id);
      if (working) this.#d.copies.checkSettled(f, key);
    }
  }

  /** The leader order a fill belongs to: by the client order id the mirror gives it, or the broker's id. */
  #leaderOrderOf(fill: LeaderFill & { side: Side }, key: string): LeaderOrder | undefined {
    for (const id of [fill.clientOrderId, fill.orderId]) {
      const order = id === undefined ? undefined : this.#leader.orders.get(id);
      // A bracket child of the order may carry its id too: it fills the other way.
      if (order && contractKey(order.contract) === key && order.side === fill.side) return order;
    }
    return undefined;
  }

  /** The signed change a follower's rules make of a leader move from `before` by `delta`, from `position`. */
  #ruleChange(
    f: FollowerRuntime,
    contract: Contract,
    before: number,
    delta: number,
    position: number,
  ): number {
    const mapped = mapContract(contract, f.config);
    const spec = this.#d.instruments.get(mapped.contract.root);
    const pnl = this.#tracker.pnl(f.name);
    const equity = f.startingBalance + pnl.realized + pnl.unrealized;
    const plan = planFollowerOrder({
      leaderBefore: before,
      leaderDelta: delta,
      followerPosition: position,
      inverse: f.config.inverse,
      reversal: f.config.reversal,
      rounding: f.config.rounding,
      scaleEntry: (leaderQty) =>
        scaleEntryQty({
          leaderQty,
          scaling: f.config.scaling,
          ratio: mapped.ratio,
          rounding: f.config.rounding,
          whenZero: f.config.whenZero,
          ...(f.config.minQty !== undefined ? { minQty: f.config.minQty } : {}),
          ...(f.config.maxQty !== undefined ? { maxQty: f.config.maxQty } : {}),
          followerEquity: equity,
          tickValue: spec.tickValue,
        }),
    });
    return plan.legs.reduce((sum, leg) => sum + legDelta(leg), 0);
  }

  mark(contract: Contract, price: { last?: Ticks; bid?: Ticks; ask?: Ticks }): void {
    this.#tracker.mark(contract, price);
    const last = price.last ?? (price.bid !== undefined && price.ask !== undefined ? price.bid : undefined);
    const key = contractKey(contract);
    if (last !== undefined) this.#leader.lastPrice.set(key, last);
    if (price.bid !== undefined || price.ask !== undefined) {
      this.#leader.quotes.set(key, { ...this.#leader.quotes.get(key), ...price });
    }
    for (const f of this.#d.followers()) {
      if (this.#tracker.netPositions(f.name).some((p) => contractKey(p.contract) === key))
        this.#d.orders.checkAutoFlatten(f);
    }
  }

  targets(f: FollowerRuntime): Map<string, number> {
    if (!this.#leader.fillsSeen) {
      const pnl = this.#tracker.pnl(f.name);
      return scaledTargets(
        this.#leader.positions,
        f.config,
        f.startingBalance + pnl.realized,
        this.#d.instruments,
      );
    }
    // What the follower's own rules made of the leader's fills, summed per follower contract
    // (a contract fed by several leader instruments carries each one's share).
    const out = new Map<string, number>();
    for (const source of f.expectedSources()) {
      const contract = parseContract(source, { registry: this.#d.instruments });
      const key = contractKey(mapContract(contract, f.config).contract);
      out.set(key, (out.get(key) ?? 0) + f.expected(source));
    }
    return out;
  }
}

/** An order that will not fill any further. */
function isEnded(status: BrokerOrderStatus): boolean {
  return status === 'cancelled' || status === 'rejected';
}

/**
 * A broker report without the client order id (a fill polled before the broker tagged it,
 * a plugin whose broker never echoes it) gets the intent this process placed that broker
 * order under, so the fill books to its copy's leg and not only to the position.
 */
function withIntent<T extends { orderId: string; clientOrderId?: string }>(f: FollowerRuntime, report: T): T {
  if (report.clientOrderId !== undefined) return report;
  const intentId = f.intentOfOrder(report.orderId);
  return intentId === undefined ? report : { ...report, clientOrderId: intentId };
}
