import type { EngineEvent, IntentOutcome } from '../bus/events.js';
import {
  BrokerDisconnectedError,
  BrokerRateLimitedError,
  BrokerRejectedError,
  BrokerTimeoutError,
  TradeNovaError,
} from '../errors.js';
import { type Contract, contractKey, parseContract } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import { intentId, type OrderIntent } from '../model/intent.js';
import type { TradeSignal } from '../model/signal.js';
import { autoFlattenReason, evaluateOrder, nextSessionStart, type RiskBlock } from '../risk/index.js';
import { RiskReason } from '../risk/reasons.js';
import type { Logger } from '../util/logger.js';
import type { SignalOutcome } from './api.js';
import { BracketDesk } from './bracket-desk.js';
import type { FollowerRuntime } from './follower.js';
import { outcomeOf } from './outcome.js';
import type { OrderPort, PositionsView } from './ports.js';

/** What the order desk needs from the engine. */
export interface OrderDeskDeps {
  emit(event: EngineEvent): void;
  now(): number;
  log: Logger;
  instruments: InstrumentRegistry;
  positions: PositionsView;
  /** Every follower of the engine (the firm rule counts the others' exposure). */
  followers(): Iterable<FollowerRuntime>;
  /** How long an order's answer is awaited (named in `order-timed-out`). */
  orderDeadlineMs: number;
}

/**
 * The per-follower order desk: every order the engine sends goes through here, checked by
 * the follower's risk rules and its connection's guard, each step an event. The bracket
 * and reconcile desks reach it through `OrderPort`; the copy desk builds on it.
 */
export class OrderDesk implements OrderPort {
  readonly #d: OrderDeskDeps;
  /** Brackets the engine holds for brokers without native ones. */
  readonly brackets: BracketDesk;

  constructor(deps: OrderDeskDeps) {
    this.#d = deps;
    this.brackets = new BracketDesk({
      orders: this,
      positions: deps.positions,
      emit: deps.emit,
      now: deps.now,
      log: deps.log,
    });
  }

  status(
    f: FollowerRuntime,
    status: 'enabled' | 'paused' | 'locked-out' | 'flattening',
    reason?: string,
  ): void {
    const pnl = this.#d.positions.pnl(f.name);
    this.#d.emit({
      type: 'account-status',
      time: this.#d.now(),
      follower: f.name,
      accountId: f.accountId,
      status,
      ...(reason !== undefined ? { reason } : {}),
      pnl: pnl.realized + pnl.unrealized,
    });
  }

  syntheticIntent(f: FollowerRuntime, signal: TradeSignal, leg: OrderIntent['leg']): OrderIntent {
    const contract =
      'instrument' in signal && signal.instrument
        ? safeContract(signal.instrument, signal.detectedAt, this.#d.instruments)
        : undefined;
    return {
      intentId: intentId(signal.signalId, f.name, leg),
      signalId: signal.signalId,
      follower: f.name,
      broker: f.config.broker,
      accountId: f.accountId,
      leg,
      action: signal.action === 'new' ? 'place' : signal.action === 'flatten' ? 'flatten' : signal.action,
      contract: contract ?? { root: '?', month: 'Z', year: 0 },
      side: 'buy',
      qty: 0,
      orderType: 'market',
      reducing: true,
      createdAt: this.#d.now(),
    };
  }

  block(f: FollowerRuntime, intent: OrderIntent, block: RiskBlock): SignalOutcome {
    this.#d.emit({
      type: 'order-blocked',
      time: this.#d.now(),
      intent,
      reason: block.reason,
      message: block.message,
    });
    return {
      follower: f.name,
      intentId: intent.intentId,
      leg: intent.leg,
      outcome: 'blocked',
      reason: block.reason,
    };
  }

  checkRisk(f: FollowerRuntime, intent: OrderIntent): RiskBlock | undefined {
    // A paused follower copies no new risk, but its exits and protective orders still go.
    if (f.paused && !intent.reducing)
      return f.pausedFor === RiskReason.KillSwitch
        ? { reason: RiskReason.KillSwitch, message: 'kill switch engaged' }
        : { reason: f.pausedFor, message: `${f.name} is paused` };
    const now = this.#d.now();
    const pnl = this.#d.positions.pnl(f.name);
    const decision = evaluateOrder(
      f.rules,
      {
        now,
        positionQty: this.#d.positions.netQty(f.name, intent.contract),
        positions: this.#d.positions.netPositions(f.name),
        sessionPnl: f.risk.sessionPnl(pnl.realized, pnl.unrealized),
        equity: f.startingBalance + pnl.realized + pnl.unrealized,
        state: f.risk,
        firmPositions: this.#firmPositions(f),
        instruments: this.#d.instruments,
      },
      {
        contract: intent.contract,
        qty: intent.qty,
        side: intent.side,
        reducing: intent.reducing,
        resting: intent.orderType !== 'market',
      },
    );
    return decision.ok ? undefined : { reason: decision.reason, message: decision.message };
  }

  #firmPositions(
    f: FollowerRuntime,
  ): { accountId: string; contract: Contract; netQty: number }[] | undefined {
    const firm = f.config.firm;
    if (firm === undefined) return undefined;
    const out: { accountId: string; contract: Contract; netQty: number }[] = [];
    for (const other of this.#d.followers()) {
      if (other === f || other.config.firm !== firm) continue;
      for (const p of this.#d.positions.netPositions(other.name)) {
        if (!other.isClosing(contractKey(p.contract))) out.push({ accountId: other.name, ...p });
      }
      // Entries sent but not yet reported filled are exposure too: two accounts opening
      // opposite ways at once would otherwise both pass.
      for (const p of other.openingExposure()) out.push({ accountId: other.name, ...p });
    }
    return out;
  }

  async place(
    f: FollowerRuntime,
    intent: OrderIntent,
    receivedAt: number,
    leaderOrderId: string,
  ): Promise<SignalOutcome> {
    const block = this.checkRisk(f, intent);
    if (block) return this.block(f, intent, block);
    this.#d.emit({ type: 'intent-created', time: this.#d.now(), intent });
    f.risk.recordOrder(this.#d.now());
    // Only a market order is exposure on its way: a resting limit or stop may never fill, and
    // counting it would make a leader who rests a buy below and a sell above the market block
    // every follower of the firm (and hide a position behind a far take-profit as "closing").
    if (intent.orderType === 'market') {
      const signedQty = intent.side === 'buy' ? intent.qty : -intent.qty;
      f.startInFlight(intent.intentId, intent.contract, signedQty, intent.reducing);
    }
    const outcome = (o: IntentOutcome, extra?: Partial<SignalOutcome>) => outcomeOf(intent, o, extra);
    // A broker without native brackets gets the entry alone; the engine places the children as it fills.
    const managed = intent.bracket !== undefined && !f.connection.capabilities.brackets;
    if (managed && intent.bracket) this.brackets.manage(f, intent, leaderOrderId);
    f.placing.add(intent.intentId);
    try {
      const ack = await f.guard.run(
        () =>
          f.connection.placeOrder({
            accountId: f.accountId,
            clientOrderId: intent.intentId,
            contract: intent.contract,
            side: intent.side,
            qty: intent.qty,
            orderType: intent.orderType,
            ...(intent.limitTicks !== undefined ? { limitTicks: intent.limitTicks } : {}),
            ...(intent.stopTicks !== undefined ? { stopTicks: intent.stopTicks } : {}),
            ...(intent.timeInForce !== undefined ? { timeInForce: intent.timeInForce } : {}),
            ...(intent.bracket !== undefined && !managed ? { bracket: intent.bracket } : {}),
          }),
        (late) => {
          // The answer came after the deadline: record it so reconciliation has the facts.
          if (late instanceof Error)
            this.#d.log.warn({ err: late, intentId: intent.intentId }, 'late failure');
          else {
            f.rememberOrderIntent(late.orderId, intent.intentId);
            this.#d.emit({
              type: 'order-placed',
              time: this.#d.now(),
              intent,
              orderId: late.orderId,
              latencyMs: this.#d.now() - receivedAt,
            });
          }
        },
        intent.reducing ? 'exit' : 'entry',
      );
      const latencyMs = this.#d.now() - receivedAt;
      const at = f.legOf.get(intent.intentId);
      if (at) at.leg.orderId = ack.orderId;
      f.rememberOrderIntent(ack.orderId, intent.intentId);
      // A native bracket's children fill with their own broker ids: they copy the entry's source.
      const source = at?.copy.source ?? f.sourceOf(intent.intentId);
      if (source !== undefined && intent.bracket !== undefined) {
        for (const id of [ack.orderId, ack.childOrderIds?.stopLoss, ack.childOrderIds?.takeProfit]) {
          if (id !== undefined) f.rememberOrderSource(id, source);
        }
      }
      if (intent.leg !== 'close') {
        // The order modify and cancel signals will refer to (a reversal's open leg carries the bracket).
        f.orders.set(leaderOrderId, {
          intentId: intent.intentId,
          orderId: ack.orderId,
          contract: intent.contract,
          side: intent.side,
          orderType: intent.orderType,
          ...(ack.childOrderIds?.stopLoss ? { stopLossOrderId: ack.childOrderIds.stopLoss } : {}),
          ...(ack.childOrderIds?.takeProfit ? { takeProfitOrderId: ack.childOrderIds.takeProfit } : {}),
        });
      }
      this.#d.emit({ type: 'order-placed', time: this.#d.now(), intent, orderId: ack.orderId, latencyMs });
      const filled = ack.status === 'filled' || f.filledIntents.has(intent.intentId);
      return outcome(filled ? 'filled' : 'placed', { latencyMs });
    } catch (error) {
      const failed = this.placeFailed(f, intent, error, leaderOrderId);
      // A timed-out close may still fill: it keeps counting until reconciliation or a flat position.
      if (failed.outcome !== 'timed-out') f.endInFlight(intent.intentId);
      return failed;
    } finally {
      f.placing.delete(intent.intentId);
    }
  }

  placeFailed(
    f: FollowerRuntime,
    intent: OrderIntent,
    error: unknown,
    leaderOrderId?: string,
  ): SignalOutcome {
    const outcome = (o: IntentOutcome, extra?: Partial<SignalOutcome>) => outcomeOf(intent, o, extra);
    const now = this.#d.now();
    // A rate limit is a refusal for now, not for good: recovery tries the order again.
    if (error instanceof BrokerRateLimitedError && intent.action === 'place') f.orderFailed();
    if (error instanceof BrokerRejectedError || error instanceof BrokerRateLimitedError) {
      this.#d.emit({ type: 'order-rejected', time: now, intent, code: error.code, reason: error.message });
      return outcome('rejected', { reason: error.message });
    }
    // Nothing or not known to be at the broker: recovery tries again once the connection is up.
    if (intent.action === 'place') f.orderFailed();
    if (error instanceof BrokerTimeoutError || error instanceof BrokerDisconnectedError) {
      // Sent, answer lost: the order may exist. Never a reject; reconciliation asks the broker.
      if (intent.action === 'place') {
        f.unknown.set(intent.intentId, { intent, ...(leaderOrderId !== undefined ? { leaderOrderId } : {}) });
      }
      this.#d.emit({
        type: 'order-timed-out',
        time: now,
        intent,
        afterMs: this.#d.orderDeadlineMs,
        reason: error.message,
      });
      return outcome('timed-out', { reason: error.message });
    }
    const code = error instanceof TradeNovaError ? error.code : 'TN_ERR_INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    this.#d.emit({ type: 'order-failed', time: now, intent, code, message });
    return outcome('failed', { reason: message });
  }

  async flatten(
    f: FollowerRuntime,
    signalId: string,
    contract: Contract | undefined,
    reason?: string,
  ): Promise<SignalOutcome[]> {
    const intent: OrderIntent = {
      intentId: intentId(signalId, f.name, 'flatten'),
      signalId,
      follower: f.name,
      broker: f.config.broker,
      accountId: f.accountId,
      leg: 'flatten',
      action: 'flatten',
      contract: contract ?? { root: '*', month: 'Z', year: 0 },
      side: 'sell',
      qty: 0,
      orderType: 'market',
      reducing: true,
      createdAt: this.#d.now(),
    };
    this.#d.emit({ type: 'intent-created', time: this.#d.now(), intent });
    try {
      await f.guard.run(
        () => f.connection.flatten({ accountId: f.accountId, ...(contract ? { contract } : {}) }),
        undefined,
        'exit',
      );
      if (!contract) f.orders.clear();
      else {
        const key = contractKey(contract);
        for (const [leaderOrderId, ref] of f.orders) {
          if (contractKey(ref.contract) === key) f.orders.delete(leaderOrderId);
        }
      }
      if (reason) this.#d.log.info({ follower: f.name, reason }, 'flattened');
      this.#d.emit({
        type: 'account-flattened',
        time: this.#d.now(),
        follower: f.name,
        accountId: f.accountId,
        contract: contract ? contractKey(contract) : '*',
        reason: reason ?? signalId,
      });
      return [outcomeOf(intent, 'placed')];
    } catch (error) {
      return [this.placeFailed(f, intent, error)];
    }
  }

  /** A market order of the engine's own (a share closed, a follower aligned), booked to its source. */
  async placeAtMarket(
    f: FollowerRuntime,
    order: {
      signalId: string;
      leg: 'flatten' | 'reconcile';
      contract: Contract;
      /** Signed follower contracts: positive buys. */
      change: number;
      reducing: boolean;
      source: string;
    },
  ): Promise<SignalOutcome> {
    const now = this.#d.now();
    const intent: OrderIntent = {
      intentId: intentId(order.signalId, f.name, order.leg),
      signalId: order.signalId,
      follower: f.name,
      broker: f.config.broker,
      accountId: f.accountId,
      leg: order.leg,
      action: 'place',
      contract: order.contract,
      side: order.change > 0 ? 'buy' : 'sell',
      qty: Math.abs(order.change),
      orderType: 'market',
      reducing: order.reducing,
      createdAt: now,
    };
    f.rememberSource(intent.intentId, order.source);
    // `place` records the order under a reference key for a modify; nothing modifies this one
    // (prefixed, so it never meets a leader order id).
    const refKey = `market:${order.signalId}`;
    const outcome = await this.place(f, intent, now, refKey);
    f.orders.delete(refKey);
    return outcome;
  }

  checkAutoFlatten(f: FollowerRuntime): void {
    const now = this.#d.now();
    if (f.risk.isLockedOut(now) && this.#d.positions.netPositions(f.name).length === 0) return;
    const pnl = this.#d.positions.pnl(f.name);
    const equity = f.startingBalance + pnl.realized + pnl.unrealized;
    f.risk.onEquity(now, equity, f.rules);
    const block = autoFlattenReason(f.rules, {
      now,
      positionQty: 0,
      positions: this.#d.positions.netPositions(f.name),
      sessionPnl: f.risk.sessionPnl(pnl.realized, pnl.unrealized),
      equity,
      state: f.risk,
      instruments: this.#d.instruments,
    });
    if (!block) return;
    if (f.risk.isLockedOut(now) && f.flattening) return;
    f.risk.lockOut(nextSessionStart(now, f.rules.timezone), block.reason);
    f.flattening = true;
    this.status(f, 'locked-out', `${block.reason}: ${block.message}`);
    void f.queue
      .push(() => this.flatten(f, `auto-${block.reason}-${f.name}-${now}`, undefined, block.reason))
      .finally(() => {
        f.flattening = false;
      });
  }
}

function safeContract(text: string, at: number, registry: InstrumentRegistry): Contract | undefined {
  try {
    return parseContract(text, { at, registry });
  } catch {
    return undefined;
  }
}
