import type { EngineEvent } from '../bus/events.js';
import { BrokerRejectedError, BrokerUnknownOrderError } from '../errors.js';
import { type Contract, contractKey, parseContract } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import { sideSign } from '../model/common.js';
import { intentId, type OrderIntent } from '../model/intent.js';
import type { CancelOrderSignal, ModifyOrderSignal, NewOrderSignal } from '../model/signal.js';
import { type Ticks, ticksToPrice } from '../money/price.js';
import { RiskReason } from '../risk/reasons.js';
import type { Logger } from '../util/logger.js';
import type { SignalOutcome } from './api.js';
import {
  type FollowerRuntime,
  hasWorkingLegs,
  LEG_ROLES,
  type LegCopy,
  type OrderCopy,
  workingLegs,
} from './follower.js';
import {
  followerTicks,
  mapContract,
  type PreparedNewOrder,
  planNewOrderIntents,
  prepareNewOrder,
} from './intents.js';
import type { LeaderBook, LeaderFill, LeaderOrder } from './leader-book.js';
import type { OrderDesk } from './order-desk.js';
import { changeOutcomes, outcomeOf, SkipReason, skippedOutcome } from './outcome.js';
import type { PositionsView } from './ports.js';
import { scaledTargets } from './reconcile.js';

/**
 * Copies a follower keeps with nothing working at its broker, waiting for the leader's fills to
 * book them. A process that never sees the leader's fills (a scale-out executor) would keep
 * them all; past this many the oldest are closed with what they booked.
 */
const MAX_COPIES = 1000;

/** What the copy desk needs from the engine. */
export interface CopyDeskDeps {
  orders: OrderDesk;
  leader: LeaderBook;
  positions: PositionsView;
  instruments: InstrumentRegistry;
  emit(event: EngineEvent): void;
  now(): number;
  log: Logger;
  leaderAccount: string;
  /** Whether the leader's fills will come (see `EngineOptions.leaderFills`). */
  leaderFills: boolean;
  /** Every follower of the engine (a firm's other accounts, when the firm rule blocks a copy). */
  followers(): Iterable<FollowerRuntime>;
}

/**
 * The life of a follower's copy of each leader order (see `OrderCopy`): planned from a
 * `new` signal, re-planned on a modify or when the leader's position moves under it,
 * cancelled leg by leg, closed with the leader's flatten, and aligned once the leader's
 * orders in a contract settle. Every order goes through the order desk. Runs in the
 * follower's queue.
 */
export class CopyDesk {
  readonly #d: CopyDeskDeps;
  readonly #orders: OrderDesk;
  readonly #leader: LeaderBook;

  constructor(deps: CopyDeskDeps) {
    this.#d = deps;
    this.#orders = deps.orders;
    this.#leader = deps.leader;
  }

  async copyNew(f: FollowerRuntime, order: ReturnType<typeof prepareNewOrder>): Promise<SignalOutcome[]> {
    const now = this.#d.now();
    f.risk.onTime(now, f.rules.timezone);
    if (this.copiesAtFill(f, order.signal)) return this.#awaitLeaderFill(f, order);
    const plan = this.#planFor(f, order);
    const outcomes: SignalOutcome[] = [];
    if (plan.skipped) {
      this.#d.emit({
        type: 'order-blocked',
        time: now,
        intent: plan.skipped.intent,
        reason: plan.skipped.reason,
        message: plan.skipped.message,
      });
      outcomes.push({
        follower: f.name,
        intentId: plan.skipped.intent.intentId,
        leg: 'entry',
        outcome: 'skipped',
        reason: plan.skipped.reason,
      });
    }
    const leaderOrderId = order.signal.leaderOrderId;
    const leaderOrder = this.#leader.orders.get(leaderOrderId);
    const previous = f.copies.get(leaderOrderId);
    if (previous) this.#endCopy(f, previous);
    const copy: OrderCopy = {
      leaderOrderId,
      source: contractKey(order.contract),
      contract: mapContract(order.contract, f.config).contract,
      legs: { entry: undefined, close: undefined, open: undefined },
      planned: 0,
      leaderQty: order.signal.qty,
      leaderFilled: leaderOrder?.filled ?? 0,
      booked: 0,
      leaderDone: false,
      legFilled: { entry: 0, close: 0, open: 0 },
      filledDelta: 0,
      resting: order.signal.orderType !== 'market',
    };
    f.copies.set(leaderOrderId, copy);
    f.pruneCopies(MAX_COPIES);
    for (const intent of plan.intents) this.#addLeg(f, copy, intent);
    // Expected from the moment it is planned (a broker's answer may take a while); a leg a
    // risk rule blocks comes off again.
    copy.planned = plan.intents.reduce((sum, i) => sum + sideSign(i.side) * i.qty, 0);
    if (f.needsRecovery) {
      // An order of this follower failed and waits for recovery: the position it holds lags
      // where its rules put it. The legs sent move the position it holds, but what it is
      // expected to hold follows its rules from where it should be, so recovery aligns it to
      // where it would stand had nothing failed. (A leader's round trip while a follower's
      // entry failed: the exit is nothing to send, yet it brings the expected position back.)
      const rules = this.#planFor(f, order, 0, f.expected(copy.source));
      copy.planned = rules.intents.reduce((sum, i) => sum + sideSign(i.side) * i.qty, 0);
    }
    this.#bookCopy(f, copy, leaderOrder);
    for (const intent of plan.intents) {
      const result = await this.#orders.place(f, intent, order.signal.receivedAt, leaderOrderId);
      this.#legPlaced(f, intent, result);
      if (result.outcome === 'blocked' && this.#firmOnItsWay(f, copy.source, intent, result)) {
        // Another account of the firm holds the other side only until its own copy goes
        // through (its order failed, or its answer is not back): this one stays expected where
        // its rules put it, and recovery aligns it once the firm allows. Taken off, it stayed
        // flat against a short leader (chaos seed 754773374: "px-same is long 1", whose buy was
        // then found never placed).
        f.needsRecovery = true;
      } else if (result.outcome === 'blocked') {
        copy.planned -= sideSign(intent.side) * intent.qty;
        if (f.copies.get(leaderOrderId) === copy) f.book(copy);
        else
          f.expectedBase.set(
            copy.source,
            (f.expectedBase.get(copy.source) ?? 0) - sideSign(intent.side) * intent.qty,
          );
      }
      outcomes.push(result);
    }
    if (outcomes.length === 0) {
      // The follower's share already is where its rules put it (a reduction that rounds to no change).
      const intent = this.#orders.syntheticIntent(f, order.signal, 'entry');
      intent.contract = copy.contract;
      outcomes.push(
        skippedOutcome(intent, SkipReason.Unchanged, "the follower's share already matches the leader"),
      );
    }
    return outcomes;
  }

  /**
   * An inverse follower copies a working leader order at its fills. The mirror of a resting
   * order is not a resting order: the leader's buy limit fills when the ask comes down to it,
   * the swapped sell stop when the bid does, and a stop-limit's cap has no mirror at all. So
   * the copy waits for the leader's fills and follows each with a market order.
   */
  copiesAtFill(f: FollowerRuntime, signal: NewOrderSignal): boolean {
    return f.config.inverse && this.#d.leaderFills && signal.orderType !== 'market';
  }

  /** Opens a copy with nothing at the broker yet: `copyLeaderFill` places its legs as the leader fills. */
  #awaitLeaderFill(f: FollowerRuntime, order: PreparedNewOrder): SignalOutcome[] {
    const leaderOrderId = order.signal.leaderOrderId;
    const previous = f.copies.get(leaderOrderId);
    if (previous) this.#endCopy(f, previous);
    f.copies.set(leaderOrderId, {
      leaderOrderId,
      source: contractKey(order.contract),
      contract: mapContract(order.contract, f.config).contract,
      legs: { entry: undefined, close: undefined, open: undefined },
      planned: 0,
      leaderQty: order.signal.qty,
      leaderFilled: 0,
      booked: 0,
      leaderDone: false,
      legFilled: { entry: 0, close: 0, open: 0 },
      filledDelta: 0,
      atFill: true,
      resting: false,
    });
    f.pruneCopies(MAX_COPIES);
    const intent = this.#orders.syntheticIntent(f, order.signal, 'entry');
    intent.contract = mapContract(order.contract, f.config).contract;
    return [
      skippedOutcome(intent, SkipReason.AtLeaderFill, 'an inverse copy follows the leader order as it fills'),
    ];
  }

  /** One fill of a working leader order, copied by an inverse follower as market orders. */
  async copyLeaderFill(
    f: FollowerRuntime,
    order: LeaderOrder,
    fill: LeaderFill,
    before: number,
  ): Promise<void> {
    const copy = f.copies.get(order.id);
    if (!copy?.atFill) return;
    const spec = this.#d.instruments.get(order.contract.root);
    const price = ticksToPrice(fill.priceTicks, spec.tickSize);
    const signalId = `${order.signal.signalId}~fill-${++f.recoveries}`;
    const { limitPrice: _l, stopPrice: _s, ...rest } = order.signal;
    const prepared = prepareNewOrder(
      {
        ...rest,
        signalId,
        qty: fill.qty,
        orderType: 'market',
        fillPrice: price,
        receivedAt: this.#d.now(),
      },
      order.contract,
      spec,
      before,
      price,
    );
    const plan = this.#planFor(f, prepared);
    const outcomes: SignalOutcome[] = plan.skipped ? [this.#skipped(f, plan.skipped)] : [];
    let change = 0;
    for (const intent of plan.intents) {
      f.rememberSource(intent.intentId, copy.source);
      const result = await this.#orders.place(f, intent, prepared.signal.receivedAt, order.id);
      if (result.outcome !== 'blocked') change += sideSign(intent.side) * intent.qty;
      outcomes.push(result);
    }
    // Each fill is expected of the follower at once: the copy itself holds nothing.
    f.expectedBase.set(copy.source, (f.expectedBase.get(copy.source) ?? 0) + change);
    copy.leaderFilled += fill.qty;
    if (copy.leaderFilled >= order.qty) f.copies.delete(order.id);
    this.#d.emit({
      type: 'signal-completed',
      time: this.#d.now(),
      signalId,
      outcomes: outcomes.map(({ reason: _r, ...o }) => o),
    });
  }

  /**
   * Scales, maps and plans one follower's legs for a leader order, against the follower's share
   * of its source (or against `position`, where the follower should be, when given).
   */
  #planFor(f: FollowerRuntime, order: PreparedNewOrder, shareOffset = 0, position?: number) {
    const mapped = mapContract(order.contract, f.config).contract;
    const source = contractKey(order.contract);
    const key = contractKey(mapped);
    f.claimLoose(key, source);
    const pnl = this.#d.positions.pnl(f.name);
    return planNewOrderIntents(order, {
      follower: f.config,
      accountId: f.accountId,
      instruments: this.#d.instruments,
      followerPosition: position ?? f.share(key, source) + shareOffset + marketOnItsWay(f, source),
      followerEquity: f.startingBalance + pnl.realized + pnl.unrealized,
      now: this.#d.now(),
    });
  }

  /** Registers a planned leg before it is sent, so fills that race the ack find it. */
  #addLeg(f: FollowerRuntime, copy: OrderCopy, intent: OrderIntent): void {
    if (intent.leg !== 'entry' && intent.leg !== 'close' && intent.leg !== 'open') return;
    const leg: LegCopy = {
      leg: intent.leg,
      intentId: intent.intentId,
      side: intent.side,
      qty: intent.qty,
      filled: 0,
      orderType: intent.orderType,
      ...(intent.limitTicks !== undefined ? { limitTicks: intent.limitTicks } : {}),
      ...(intent.stopTicks !== undefined ? { stopTicks: intent.stopTicks } : {}),
    };
    const old = copy.legs[leg.leg];
    if (old) f.legOf.delete(old.intentId);
    copy.legs[leg.leg] = leg;
    f.legOf.set(intent.intentId, { copy, leg });
    // A bracket's children find their source through their entry, after the entry's leg ended.
    if (intent.bracket) f.rememberSource(intent.intentId, copy.source);
  }

  /**
   * After a leg was sent: its broker id, or its end when nothing works at the broker. The
   * plan counts what the follower's rules asked for, except what a risk rule blocked: a
   * failed or rejected leg is drift, to be seen and aligned, while a blocked one is the rule.
   */
  /**
   * Whether a firm-rule block is only a moment of the firm's accounts moving together: no
   * other account of the firm is meant, by its own rules, to hold the side this order would
   * leave or oppose. An account whose rules hold the other side (an inverse follower in the
   * same firm) makes the block lasting, and the copy comes off.
   */
  #firmOnItsWay(f: FollowerRuntime, source: string, intent: OrderIntent, result: SignalOutcome): boolean {
    if (result.reason !== RiskReason.OppositePosition || f.config.firm === undefined) return false;
    const side = sideSign(intent.side);
    for (const other of this.#d.followers()) {
      if (other === f || other.config.firm !== f.config.firm) continue;
      if (other.expected(source) * side < 0) return false;
    }
    return true;
  }

  #legPlaced(f: FollowerRuntime, intent: OrderIntent, result: SignalOutcome): void {
    const at = f.legOf.get(intent.intentId);
    if (!at) return;
    if (result.outcome === 'blocked' || result.outcome === 'rejected' || result.outcome === 'failed')
      f.endLeg(intent.intentId);
  }

  /** Counts what the leader has filled of a copy's order so far. */
  #bookCopy(f: FollowerRuntime, copy: OrderCopy, leaderOrder: LeaderOrder | undefined): void {
    if (leaderOrder?.done && leaderOrder.filled < leaderOrder.qty) copy.leaderDone = true;
    f.book(copy);
  }

  /** Forgets a copy: its legs no longer count as working for the leader order (cancelled or replaced). */
  #endCopy(f: FollowerRuntime, copy: OrderCopy): void {
    copy.leaderDone = true;
    for (const leg of workingLegs(copy)) f.endLeg(leg.intentId);
    f.settle(copy);
  }

  async copyModify(
    f: FollowerRuntime,
    signal: ModifyOrderSignal,
    leaderOrder: LeaderOrder,
    foldKey: string,
    leaderNow: number,
  ): Promise<SignalOutcome[]> {
    const ref = f.orders.get(signal.leaderOrderId);
    const intent = this.#orders.syntheticIntent(f, signal, 'modify');
    // Every modify of this order that arrived while this follower was busy is merged here.
    const merged = f.pendingModify.get(foldKey);
    f.pendingModify.delete(foldKey);
    if (!merged) {
      return [skippedOutcome(intent, SkipReason.Folded, 'folded into the previous modify of this order')];
    }
    signal = { ...signal, ...merged };
    if ((signal.leg ?? 'entry') === 'entry') return this.#replan(f, signal, leaderOrder, leaderNow);
    intent.contract = ref?.contract ?? mapContract(leaderOrder.contract, f.config).contract;
    if (!ref) {
      // The follower never got a copy (blocked, skipped, rejected): nothing to change.
      return [skippedOutcome(intent, SkipReason.NoCopy, 'no copied order')];
    }
    const leg = signal.leg ?? 'stop-loss';
    const spec = this.#d.instruments.get(ref.contract.root);
    // An inverse follower's stop-loss copies the leader's take-profit.
    const child: 'stop-loss' | 'take-profit' = f.config.inverse
      ? leg === 'stop-loss'
        ? 'take-profit'
        : 'stop-loss'
      : leg === 'take-profit'
        ? 'take-profit'
        : 'stop-loss';
    const targetOrderId = child === 'stop-loss' ? ref.stopLossOrderId : ref.takeProfitOrderId;
    const price = signal.stopPrice ?? signal.limitPrice;
    if (targetOrderId === undefined) {
      if (price !== undefined) {
        // The leader added a protective order after its entry: the follower gets its own.
        return [
          await this.#orders.brackets.addChildLater(
            f,
            ref,
            signal,
            intent,
            child,
            followerTicks(price, spec),
          ),
        ];
      }
      return [skippedOutcome(intent, SkipReason.NoBracketLeg, `no ${leg} order`)];
    }
    Object.assign(intent, { side: ref.side, targetIntentId: ref.intentId, reducing: true });
    // Bracket children of an inverse copy sit on the other side: a leader stop becomes a limit and back.
    const request: { accountId: string; orderId: string; limitTicks?: Ticks; stopTicks?: Ticks } = {
      accountId: f.accountId,
      orderId: targetOrderId,
    };
    if (price !== undefined) {
      if (child === 'stop-loss') request.stopTicks = followerTicks(price, spec);
      else request.limitTicks = followerTicks(price, spec);
    }
    if (request.limitTicks !== undefined) intent.limitTicks = request.limitTicks;
    if (request.stopTicks !== undefined) intent.stopTicks = request.stopTicks;
    this.#d.emit({ type: 'intent-created', time: this.#d.now(), intent });
    try {
      await f.guard.run(() => f.connection.modifyOrder(request), undefined, 'exit');
      this.#d.emit({ type: 'order-modified', time: this.#d.now(), intent, orderId: targetOrderId });
      return [outcomeOf(intent, 'placed', { latencyMs: this.#d.now() - signal.receivedAt })];
    } catch (error) {
      return [this.#orders.placeFailed(f, intent, error)];
    }
  }

  /**
   * A modify of a working leader order: the follower's copy is re-planned from the leader
   * order as it is now (its total quantity and prices), as if it were placed now from the
   * positions before any of it filled, and each leg is moved, cancelled or placed to match,
   * less what that leg already filled. A reversal modified into a pure exit loses its open
   * leg; an exit grown into a reversal gains one; an exit or entry changes size by the
   * follower's own rules; a copy that already filled is never placed again.
   */
  async #replan(
    f: FollowerRuntime,
    signal: ModifyOrderSignal,
    leaderOrder: LeaderOrder,
    leaderNow: number,
  ): Promise<SignalOutcome[]> {
    const copy = f.copies.get(signal.leaderOrderId);
    const intent = this.#orders.syntheticIntent(f, signal, 'modify');
    intent.contract = mapContract(leaderOrder.contract, f.config).contract;
    if (!copy) return [skippedOutcome(intent, SkipReason.NoCopy, 'no copied order')];
    if (copy.atFill) {
      return [
        skippedOutcome(
          intent,
          SkipReason.AtLeaderFill,
          'an inverse copy follows the leader order as it fills',
        ),
      ];
    }
    if (leaderOrder.done)
      return [skippedOutcome(intent, SkipReason.OrderEnded, 'the leader order has ended')];
    const outcomes: SignalOutcome[] = [];
    const spec = this.#d.instruments.get(leaderOrder.contract.root);
    const last = this.#leader.lastPrice.get(copy.source);
    const prepared = prepareNewOrder(
      {
        ...leaderOrder.signal,
        signalId: signal.signalId,
        qty: leaderOrder.qty,
        receivedAt: signal.receivedAt,
      },
      leaderOrder.contract,
      spec,
      leaderNow - sideSign(leaderOrder.side) * leaderOrder.filled,
      last === undefined ? undefined : ticksToPrice(last, spec.tickSize),
    );
    const plan = this.#planFor(f, prepared, -copy.filledDelta);
    const skips: SignalOutcome[] = plan.skipped ? [this.#skipped(f, plan.skipped)] : [];
    let planned = 0;
    // Exits first: a close never waits behind an entry's risk check.
    for (const name of LEG_ROLES) {
      const have = copy.legs[name];
      const want = plan.intents.find((d) => d.leg === name);
      const done = copy.legFilled[name];
      const left = want ? Math.max(0, want.qty - done) : 0;
      if (have && want && left > 0 && have.side === want.side && have.orderType === want.orderType) {
        const moved = await this.#moveLeg(f, have, { ...want, qty: left }, signal);
        (moved.outcome.outcome === 'skipped' ? skips : outcomes).push({ ...moved.outcome, leg: name });
        planned += sideSign(want.side) * (done + moved.left);
        continue;
      }
      if (have) outcomes.push({ ...(await this.#cancelLeg(f, have, signal, `modify:${name}`)), leg: name });
      if (!want) continue;
      let placed = 0;
      if (left > 0) {
        const leg = { ...want, qty: left };
        this.#addLeg(f, copy, leg);
        const result = await this.#orders.place(f, leg, signal.receivedAt, signal.leaderOrderId);
        this.#legPlaced(f, leg, result);
        if (result.outcome !== 'blocked') placed = left;
        outcomes.push(result);
      }
      planned += sideSign(want.side) * (done + placed);
    }
    Object.assign(copy, { planned, leaderQty: leaderOrder.qty, leaderFilled: leaderOrder.filled });
    f.book(copy);
    skips.push(skippedOutcome(intent, SkipReason.Unchanged, 'the copy already matches the leader order'));
    return changeOutcomes(outcomes, skips);
  }

  #skipped(
    f: FollowerRuntime,
    skip: { reason: RiskReason; message: string; intent: OrderIntent },
  ): SignalOutcome {
    this.#d.emit({
      type: 'order-blocked',
      time: this.#d.now(),
      intent: skip.intent,
      reason: skip.reason,
      message: skip.message,
    });
    return {
      follower: f.name,
      intentId: skip.intent.intentId,
      leg: skip.intent.leg,
      outcome: 'skipped',
      reason: skip.reason,
    };
  }

  /** Moves one working leg to `want.qty` still to fill and to its prices; says how much is left to fill after. */
  async #moveLeg(
    f: FollowerRuntime,
    have: LegCopy,
    want: OrderIntent,
    signal: ModifyOrderSignal,
  ): Promise<{ outcome: SignalOutcome; left: number }> {
    const working = have.qty - have.filled;
    const total = have.filled + want.qty;
    const intent: OrderIntent = {
      ...want,
      intentId: intentId(signal.signalId, f.name, `modify:${have.leg}`),
      action: 'modify',
      leg: 'modify',
      targetIntentId: have.intentId,
    };
    const keep = (outcome: SignalOutcome) => ({ outcome, left: working });
    if (total === have.qty && want.limitTicks === have.limitTicks && want.stopTicks === have.stopTicks) {
      return keep(skippedOutcome(intent, SkipReason.Unchanged, 'the copy already matches the leader order'));
    }
    if (want.qty > working) {
      const block = this.#orders.checkRisk(f, { ...want, qty: want.qty - working });
      if (block) return keep(this.#orders.block(f, intent, block));
    }
    if (have.orderId === undefined) {
      return keep(
        skippedOutcome(intent, SkipReason.OutcomeUnknown, 'the copy has no broker id yet (outcome unknown)'),
      );
    }
    const orderId = have.orderId;
    this.#d.emit({ type: 'intent-created', time: this.#d.now(), intent });
    try {
      await f.guard.run(
        () =>
          f.connection.modifyOrder({
            accountId: f.accountId,
            orderId,
            ...(total !== have.qty ? { qty: total } : {}),
            ...(want.limitTicks !== undefined ? { limitTicks: want.limitTicks } : {}),
            ...(want.stopTicks !== undefined ? { stopTicks: want.stopTicks } : {}),
          }),
        undefined,
        want.reducing ? 'exit' : 'entry',
      );
      have.qty = total;
      if (want.limitTicks !== undefined) have.limitTicks = want.limitTicks;
      if (want.stopTicks !== undefined) have.stopTicks = want.stopTicks;
      this.#d.emit({ type: 'order-modified', time: this.#d.now(), intent, orderId });
      return {
        outcome: outcomeOf(intent, 'placed', { latencyMs: this.#d.now() - signal.receivedAt }),
        left: want.qty,
      };
    } catch (error) {
      return keep(this.#orders.placeFailed(f, intent, error));
    }
  }

  /** Cancels one working leg of a copy at the broker. */
  async #cancelLeg(
    f: FollowerRuntime,
    have: LegCopy,
    signal: ModifyOrderSignal | CancelOrderSignal,
    idLeg: string,
  ): Promise<SignalOutcome> {
    const at = f.legOf.get(have.intentId);
    const intent: OrderIntent = {
      ...this.#orders.syntheticIntent(f, signal, 'cancel'),
      intentId: intentId(signal.signalId, f.name, idLeg),
      contract: at?.copy.contract ?? { root: '?', month: 'Z', year: 0 },
      side: have.side,
      qty: have.qty - have.filled,
      orderType: have.orderType,
      targetIntentId: have.intentId,
    };
    if (have.orderId === undefined) {
      // Its placement's outcome is unknown (timed out, broker away): should it turn out
      // placed, recovery finds it by its client order id and cancels it then.
      f.pendingCancels.set(have.intentId, { intent });
      f.needsRecovery = true;
      return skippedOutcome(
        intent,
        SkipReason.OutcomeUnknown,
        'the copy has no broker id yet (outcome unknown): cancelled once it is found',
      );
    }
    const orderId = have.orderId;
    this.#d.emit({ type: 'intent-created', time: this.#d.now(), intent });
    try {
      await f.guard.run(
        () => f.connection.cancelOrder({ accountId: f.accountId, orderId }),
        undefined,
        'cancel',
      );
      f.endLeg(have.intentId);
      return outcomeOf(intent, 'placed', { latencyMs: this.#d.now() - signal.receivedAt });
    } catch (error) {
      // Not known to be cancelled (the broker was away, slow or refused for now): the copy may
      // still work, so recovery sends the cancel again. A rejected or unknown order has ended.
      if (!(error instanceof BrokerRejectedError || error instanceof BrokerUnknownOrderError)) {
        f.pendingCancels.set(have.intentId, { orderId, intent });
        f.needsRecovery = true;
      }
      return this.#orders.placeFailed(f, intent, error);
    }
  }

  /** Sends again the cancels the broker never confirmed; those it still cannot take stay for the next recovery. */
  async resendCancels(f: FollowerRuntime): Promise<void> {
    for (const [legId, pending] of [...f.pendingCancels]) {
      const { intent } = pending;
      let orderId = pending.orderId;
      if (orderId === undefined) {
        // A copy whose placement had no answer: cancel it if the broker has it working.
        const found = f.connection.findOrderByClientId
          ? await f.connection.findOrderByClientId(f.accountId, legId)
          : (await f.connection.getOpenOrders(f.accountId)).find((o) => o.clientOrderId === legId);
        if (found === undefined && f.unknown.has(legId)) {
          // Not at the broker yet and still unknown: ask again at the next recovery.
          f.needsRecovery = true;
          continue;
        }
        if (found === undefined || (found.status !== 'working' && found.status !== 'partially-filled')) {
          f.pendingCancels.delete(legId);
          continue;
        }
        orderId = found.orderId;
      }
      const target = orderId;
      try {
        await f.guard.run(
          () => f.connection.cancelOrder({ accountId: f.accountId, orderId: target }),
          undefined,
          'cancel',
        );
      } catch (error) {
        if (!(error instanceof BrokerRejectedError || error instanceof BrokerUnknownOrderError)) throw error;
        // Already ended at the broker (filled or cancelled meanwhile): its fill, if any, comes as an execution.
      }
      f.pendingCancels.delete(legId);
      f.endLeg(legId);
      this.#d.emit({
        type: 'order-cancelled',
        time: this.#d.now(),
        follower: f.name,
        accountId: f.accountId,
        orderId,
        reason: `recovery: the leader's cancel (${intent.signalId}) sent again after the broker returned`,
      });
    }
  }

  /**
   * The leader cancelled a working order: every leg of the follower's copy that still
   * works is cancelled (an exit and a reversal's close too, not only the entry), and what
   * had filled stays booked.
   */
  async #cancelCopy(f: FollowerRuntime, signal: CancelOrderSignal): Promise<SignalOutcome[]> {
    const copy = f.copies.get(signal.leaderOrderId);
    const intent = this.#orders.syntheticIntent(f, signal, 'cancel');
    if (!copy) {
      const ref = f.orders.get(signal.leaderOrderId);
      if (!ref?.orderId) return [skippedOutcome(intent, SkipReason.NoCopy, 'no copied order')];
      // A copy found at the broker by reconciliation after an unknown outcome.
      f.orders.delete(signal.leaderOrderId);
      const legacy: LegCopy = {
        leg: 'entry',
        intentId: ref.intentId,
        orderId: ref.orderId,
        side: ref.side,
        qty: 0,
        filled: 0,
        orderType: ref.orderType,
      };
      return [await this.#cancelLeg(f, legacy, signal, 'cancel')];
    }
    copy.leaderDone = true;
    const outcomes: SignalOutcome[] = [];
    const skips: SignalOutcome[] = [];
    for (const name of LEG_ROLES) {
      const have = copy.legs[name];
      if (!have) continue;
      const result = await this.#cancelLeg(f, have, signal, name === 'close' ? 'cancel:close' : 'cancel');
      (result.outcome === 'skipped' ? skips : outcomes).push({ ...result, leg: name });
    }
    f.orders.delete(signal.leaderOrderId);
    f.settle(copy);
    skips.push(skippedOutcome(intent, SkipReason.NothingWorking, 'nothing of the copy is working'));
    return changeOutcomes(outcomes, skips);
  }

  async copyCancel(f: FollowerRuntime, signal: CancelOrderSignal): Promise<SignalOutcome[]> {
    const leg = signal.leg ?? 'entry';
    if (leg === 'entry') return this.#cancelCopy(f, signal);
    const ref = f.orders.get(signal.leaderOrderId);
    const intent = this.#orders.syntheticIntent(f, signal, 'cancel');
    if (!ref) {
      return [skippedOutcome(intent, SkipReason.NoCopy, 'no copied order')];
    }
    const orderId = (leg === 'stop-loss') !== f.config.inverse ? ref.stopLossOrderId : ref.takeProfitOrderId;
    Object.assign(intent, { contract: ref.contract, side: ref.side, targetIntentId: ref.intentId });
    if (orderId === undefined) {
      return [skippedOutcome(intent, SkipReason.NoBracketLeg, `no ${leg} order`)];
    }
    this.#d.emit({ type: 'intent-created', time: this.#d.now(), intent });
    try {
      await f.guard.run(
        () => f.connection.cancelOrder({ accountId: f.accountId, orderId }),
        undefined,
        'cancel',
      );
      return [outcomeOf(intent, 'placed', { latencyMs: this.#d.now() - signal.receivedAt })];
    } catch (error) {
      return [this.#orders.placeFailed(f, intent, error)];
    }
  }

  /**
   * The leader flattened one instrument (or all). The follower's copies of that source are
   * over. Where its contract also carries another source's share (NQ → MNQ beside the
   * leader's own MNQ), only this source's legs are cancelled and its share closed; else the
   * broker flattens the contract (or the account) in one request.
   */
  async copyFlatten(
    f: FollowerRuntime,
    signalId: string,
    leaderContract: Contract | undefined,
  ): Promise<SignalOutcome[]> {
    const source = leaderContract === undefined ? undefined : contractKey(leaderContract);
    const contract =
      leaderContract === undefined ? undefined : mapContract(leaderContract, f.config).contract;
    const copies = [...f.copies.values()].filter((c) => source === undefined || c.source === source);
    if (source === undefined || contract === undefined || !f.otherSources(contractKey(contract), source)) {
      for (const copy of copies) f.forget(copy);
      f.resetExpected(source);
      return this.#orders.flatten(f, signalId, contract);
    }
    const key = contractKey(contract);
    f.claimLoose(key, source);
    const outcomes: SignalOutcome[] = [];
    const cancel: CancelOrderSignal = {
      action: 'cancel',
      signalId,
      leaderOrderId: '',
      leaderAccount: this.#d.leaderAccount,
      detectedAt: this.#d.now(),
      receivedAt: this.#d.now(),
    };
    // One outcome for the flatten: the close of the share, or a failed cancel, or the cancels.
    let cancelled: SignalOutcome | undefined;
    for (const copy of copies) {
      copy.leaderDone = true;
      for (const have of workingLegs(copy)) {
        const result = await this.#cancelLeg(f, have, cancel, `flatten:${copy.leaderOrderId}:${have.leg}`);
        if (result.outcome !== 'skipped' && (cancelled === undefined || result.outcome !== 'placed'))
          cancelled = { ...result, leg: 'flatten' };
      }
      f.forget(copy);
    }
    if (cancelled && cancelled.outcome !== 'placed') outcomes.push(cancelled);
    f.resetExpected(source);
    const share = f.share(key, source);
    if (share !== 0) {
      const closed = await this.#orders.placeAtMarket(f, {
        signalId,
        leg: 'flatten',
        contract,
        change: -share,
        reducing: true,
        source,
      });
      if (outcomes.length === 0) outcomes.push(closed);
    }
    if (outcomes.length === 0 && cancelled) outcomes.push(cancelled);
    if (outcomes.length === 0) {
      outcomes.push(
        skippedOutcome(
          this.#orders.syntheticIntent(f, cancel, 'flatten'),
          SkipReason.NothingToFlatten,
          'nothing to flatten',
        ),
      );
    }
    return outcomes;
  }

  /**
   * The safety net under working orders: several of them can fill at one instant, each sized
   * against a position its siblings have since moved. Once nothing of a leader contract works
   * at a follower any more, a follower that holds a share where the leader is flat, or sits on
   * the other side of it, is brought to its scaled share of the leader (flat where it is flat).
   * Legs still on their way for leader orders that filled, and a copy that filled ahead of its
   * still-working leader order, make it wait; copies resting for working leader orders do not,
   * and are planned again against the aligned share.
   */
  checkSettled(f: FollowerRuntime, source: string): void {
    if (!this.#offLeader(f, source)) return;
    void f.queue
      .push(async () => {
        if (!this.#offLeader(f, source)) return;
        for (const copy of f.copies.values()) {
          if (copy.source !== source) continue;
          // Legs of a leader order that filled are on their way (a market order over a wire);
          // a copy that filled ahead of its still-working leader order waits for the leader's fill.
          if (copy.atFill || (copy.leaderDone && hasWorkingLegs(copy))) return;
          // A resting leg the market has reached fills at its broker any moment (over a wire, later).
          if (workingLegs(copy).some((leg) => this.#reached(leg, contractKey(copy.contract)))) return;
          if (!copy.leaderDone && copy.filledDelta !== 0) return;
        }
        const leader = this.#leader.positions.get(source) ?? 0;
        const contract = parseContract(source, { registry: this.#d.instruments });
        const mapped = mapContract(contract, f.config).contract;
        const key = contractKey(mapped);
        const share = f.share(key, source);
        const pnl = this.#d.positions.pnl(f.name);
        const target =
          leader === 0
            ? 0
            : (scaledTargets(
                new Map([[source, leader]]),
                f.config,
                f.startingBalance + pnl.realized,
                this.#d.instruments,
              ).get(key) ?? 0);
        if (target === share) return;
        this.#d.log.info(
          { follower: f.name, source, share, target },
          'aligned to the leader once its orders settled',
        );
        await this.#orders.placeAtMarket(f, {
          signalId: `settle:${source}:${++f.recoveries}`,
          leg: target === 0 ? 'flatten' : 'reconcile',
          contract: mapped,
          change: target - share,
          reducing: Math.abs(target) < Math.abs(share) && Math.sign(target) !== -Math.sign(share),
          source,
        });
        // What the follower is expected to hold of the source is now the target.
        f.expectedBase.set(source, (f.expectedBase.get(source) ?? 0) + target - f.expected(source));
        // Its working copies were planned against the share before: plan them again.
        this.replanWorking(f, source);
      })
      .catch((e) => this.#d.log.error({ err: e, follower: f.name }, 'settle check failed'));
  }

  /** Whether the latest quote of a contract has reached a resting leg's price. */
  #reached(leg: LegCopy, key: string): boolean {
    const quote = this.#leader.quotes.get(key);
    const last = this.#leader.lastPrice.get(key);
    const buy = leg.side === 'buy';
    const ask = quote?.ask ?? last;
    const bid = quote?.bid ?? last;
    const limitReached = (ticks: Ticks) =>
      buy ? ask !== undefined && ask <= ticks : bid !== undefined && bid >= ticks;
    const stopReached = (ticks: Ticks) =>
      buy ? ask !== undefined && ask >= ticks : bid !== undefined && bid <= ticks;
    switch (leg.orderType) {
      case 'market':
        return true;
      case 'limit':
        return leg.limitTicks !== undefined && limitReached(leg.limitTicks);
      case 'stop':
        return leg.stopTicks !== undefined && stopReached(leg.stopTicks);
      case 'stop-limit':
        // Triggered, it rests as a limit: it fills only once the market also meets its limit.
        return (
          leg.stopTicks !== undefined &&
          leg.limitTicks !== undefined &&
          stopReached(leg.stopTicks) &&
          limitReached(leg.limitTicks)
        );
    }
  }

  /** Whether a follower's share of a source is off its leader: held where the leader is flat, or on the other side. */
  #offLeader(f: FollowerRuntime, source: string): boolean {
    const leader = this.#leader.positions.get(source) ?? 0;
    let share = 0;
    for (const bySource of f.shares.values()) share += bySource.get(source) ?? 0;
    if (share === 0) return false;
    if (leader === 0) return true;
    return Math.sign(share) !== Math.sign(leader) * (f.config.inverse ? -1 : 1);
  }

  /**
   * The leader's position in a contract as far as this follower has come: its queue still
   * holds the signals of some leader orders that have filled, and until it copies them its
   * share lags the leader by those fills. Planned against the whole position, a re-plan saw
   * a follower long 1 under a leader short 1 and sent the copy of a leader buy as a
   * marketable sell (chaos seed 2250667160: both FIX followers flat against a short leader).
   */
  #leaderAsSeen(f: FollowerRuntime, source: string): number {
    let position = this.#leader.positions.get(source) ?? 0;
    for (const id of f.unseenOrders) {
      const order = this.#leader.orders.get(id);
      if (order && contractKey(order.contract) === source) position -= sideSign(order.side) * order.filled;
    }
    return position;
  }

  /** Queues a re-plan of a follower's copies of working leader orders in one leader contract (or all). */
  replanWorking(f: FollowerRuntime, source: string | undefined, except?: string): void {
    // Only copies of resting leader orders can be re-planned: those of one contract are indexed.
    for (const copy of source === undefined ? f.copies.values() : f.copies.resting(source)) {
      if (copy.leaderDone || copy.atFill || copy.leaderOrderId === except) continue;
      if (source !== undefined && copy.source !== source) continue;
      const order = this.#leader.orders.get(copy.leaderOrderId);
      if (!order || order.done || order.orderType === 'market') continue;
      // A copy that filled whole before any of its leader order did has nothing left to move:
      // re-planning it against a position that moved since could only add to it.
      if (order.filled === 0 && copy.filledDelta !== 0 && !hasWorkingLegs(copy)) continue;
      const signal: ModifyOrderSignal = {
        action: 'modify',
        signalId: `${order.signal.signalId}~replan-${++f.recoveries}`,
        leaderOrderId: order.id,
        leaderAccount: order.signal.leaderAccount,
        detectedAt: this.#d.now(),
        receivedAt: this.#d.now(),
      };
      // Each leg it places or moves is an event of its own (intent-created, order-placed).
      void f.queue
        // The leader's position when it runs (the follower's share it is planned against is of
        // then too), less the fills of leader orders still waiting in this follower's queue.
        .push(() => this.#replan(f, signal, order, this.#leaderAsSeen(f, contractKey(order.contract))))
        .catch((e) => this.#d.log.error({ err: e, follower: f.name }, 're-plan failed'));
    }
  }
}

/**
 * The follower's market legs copying `source` that are sent but not filled yet: position on
 * its way. A leader exit that follows its entry within the follower's fill round trip is
 * planned as the exit it is (reducing), not as an opening the other way, which a firm's
 * opposite-position rule would block and leave the follower holding the entry.
 */
function marketOnItsWay(f: FollowerRuntime, source: string): number {
  let qty = 0;
  for (const { copy, leg } of f.legOf.values())
    if (copy.source === source && leg.orderType === 'market')
      qty += sideSign(leg.side) * (leg.qty - leg.filled);
  return qty;
}
