import type { EngineEvent } from '../bus/events.js';
import { intentId, type OrderIntent } from '../model/intent.js';
import type { ModifyOrderSignal } from '../model/signal.js';
import type { Ticks } from '../money/price.js';
import type { Logger } from '../util/logger.js';
import type { SignalOutcome } from './api.js';
import type { FollowerOrderRef, FollowerRuntime } from './follower.js';
import { type ManagedBracket, planChildren } from './managed-bracket.js';
import { outcomeOf, SkipReason } from './outcome.js';
import type { OrderPort, PositionsView } from './ports.js';

/** What the bracket desk needs from the engine. */
export interface BracketDeskPort {
  /** The order desk: places the children, records a failed resize or cancel as the right event. */
  orders: OrderPort;
  positions: PositionsView;
  emit(event: EngineEvent): void;
  now(): number;
  log: Logger;
}

/**
 * Brackets the engine holds for brokers without native ones, and protective orders a
 * leader adds after its entry: the children follow each fill of the entry as a
 * one-cancels-other pair (see managed-bracket.ts for the pure plan).
 */
export class BracketDesk {
  readonly #port: BracketDeskPort;

  constructor(port: BracketDeskPort) {
    this.#port = port;
  }

  /**
   * A stop-loss or take-profit the leader attached after its entry. The follower's copy is
   * engine-managed (placed, resized and cancelled with the other child as a pair), sized to
   * the follower's position in the entry's direction.
   */
  async addChildLater(
    f: FollowerRuntime,
    ref: FollowerOrderRef,
    signal: ModifyOrderSignal,
    intent: OrderIntent,
    which: 'stop-loss' | 'take-profit',
    ticks: Ticks,
  ): Promise<SignalOutcome> {
    const existing = f.brackets.get(ref.intentId);
    const sibling = which === 'stop-loss' ? ref.takeProfitOrderId : ref.stopLossOrderId;
    if (!existing && sibling !== undefined) {
      // The other child is the broker's own bracket leg: a separate order would not be
      // one-cancels-other with it, and a lone fill of either could open a new position.
      return outcomeOf(intent, 'skipped', {
        code: SkipReason.NoBracketLeg,
        reason: `cannot add a ${which} beside the broker-held bracket; ${f.name} keeps its ${which === 'stop-loss' ? 'take-profit' : 'stop-loss'} only`,
      });
    }
    const net = this.#port.positions.netQty(f.name, ref.contract);
    // An entry still working gets its child as it fills (the managed pair follows each fill).
    const entryFilled = f.filledIntents.has(ref.intentId);
    const open = entryFilled ? (ref.side === 'buy' ? Math.max(0, net) : Math.max(0, -net)) : 0;
    if (!existing && entryFilled && open === 0) {
      return outcomeOf(intent, 'skipped', {
        code: SkipReason.NoPosition,
        reason: `no ${ref.side === 'buy' ? 'long' : 'short'} position to protect`,
      });
    }
    const b: ManagedBracket = existing ?? {
      entry: {
        ...intent,
        intentId: ref.intentId,
        contract: ref.contract,
        side: ref.side,
        leg: 'entry',
        qty: open,
      },
      leaderOrderId: signal.leaderOrderId,
      filled: open,
    };
    if (!existing) f.brackets.set(ref.intentId, b);
    const slot = which === 'stop-loss' ? 'stopLoss' : 'takeProfit';
    const current = b[slot];
    if (current) current.ticks = ticks;
    else {
      const c = { intentId: intentId(signal.signalId, f.name, which), qty: 0, filled: 0, ticks };
      b[slot] = c;
      f.brackets.set(c.intentId, b);
    }
    await this.sync(f, b);
    const placed = b[slot]?.orderId !== undefined;
    return outcomeOf(intent, placed ? 'placed' : 'skipped', {
      ...(placed
        ? { latencyMs: this.#port.now() - signal.receivedAt }
        : { code: SkipReason.WaitsForFill, reason: `${which} waits for the entry to fill` }),
    });
  }

  manage(f: FollowerRuntime, entry: OrderIntent, leaderOrderId: string): void {
    const b: ManagedBracket = { entry, leaderOrderId, filled: 0 };
    const child = (leg: 'stop-loss' | 'take-profit', ticks: Ticks) => ({
      intentId: intentId(entry.signalId, f.name, leg),
      qty: 0,
      filled: 0,
      ticks,
    });
    if (entry.bracket?.stopLossTicks !== undefined)
      b.stopLoss = child('stop-loss', entry.bracket.stopLossTicks);
    if (entry.bracket?.takeProfitTicks !== undefined)
      b.takeProfit = child('take-profit', entry.bracket.takeProfitTicks);
    f.brackets.set(entry.intentId, b);
    if (b.stopLoss) f.brackets.set(b.stopLoss.intentId, b);
    if (b.takeProfit) f.brackets.set(b.takeProfit.intentId, b);
  }

  onFill(f: FollowerRuntime, b: ManagedBracket, intentIdOfFill: string, qty: number): void {
    if (intentIdOfFill === b.entry.intentId) b.filled += qty;
    else if (intentIdOfFill === b.stopLoss?.intentId) b.stopLoss.filled += qty;
    else if (b.takeProfit) b.takeProfit.filled += qty;
    void f.queue
      .push(() => this.sync(f, b))
      .catch((e) => this.#port.log.error({ err: e }, 'bracket sync failed'));
  }

  /** Places, resizes or cancels the children so they protect what is open (runs in the follower's queue). */
  async sync(f: FollowerRuntime, b: ManagedBracket): Promise<void> {
    for (const plan of planChildren(b)) {
      const child = plan.which === 'stop-loss' ? b.stopLoss! : b.takeProfit!;
      if (plan.action === 'none') continue;
      const exitSide = b.entry.side === 'buy' ? 'sell' : 'buy';
      const intent: OrderIntent = {
        ...b.entry,
        intentId: child.intentId,
        leg: plan.which,
        action: plan.action === 'place' ? 'place' : plan.action === 'resize' ? 'modify' : 'cancel',
        side: exitSide,
        qty: plan.qty,
        orderType: plan.which === 'stop-loss' ? 'stop' : 'limit',
        reducing: true,
        createdAt: this.#port.now(),
      };
      delete intent.bracket;
      delete intent.limitTicks;
      delete intent.stopTicks;
      if (plan.which === 'stop-loss') intent.stopTicks = child.ticks;
      else intent.limitTicks = child.ticks;
      if (plan.action === 'place') {
        // Its latency runs from the fill that called for it, not from the entry signal minutes before.
        const result = await this.#port.orders.place(
          f,
          intent,
          this.#port.now(),
          `${b.leaderOrderId}#${plan.which}`,
        );
        const orderId = this.#orderIdOf(f, `${b.leaderOrderId}#${plan.which}`);
        if (result.outcome === 'placed' || result.outcome === 'filled') {
          child.orderId = orderId;
          child.qty = plan.qty;
          const ref = f.orders.get(b.leaderOrderId);
          if (ref && orderId) {
            if (plan.which === 'stop-loss') ref.stopLossOrderId = orderId;
            else ref.takeProfitOrderId = orderId;
          }
        }
      } else if (child.orderId !== undefined) {
        const orderId = child.orderId;
        this.#port.emit({ type: 'intent-created', time: this.#port.now(), intent });
        try {
          if (plan.action === 'resize') {
            await f.guard.run(
              () => f.connection.modifyOrder({ accountId: f.accountId, orderId, qty: plan.qty }),
              undefined,
              'exit',
            );
            child.qty = plan.qty;
          } else {
            await f.guard.run(
              () => f.connection.cancelOrder({ accountId: f.accountId, orderId }),
              undefined,
              'cancel',
            );
            child.qty = child.filled;
          }
        } catch (error) {
          this.#port.orders.placeFailed(f, intent, error);
        }
      }
    }
  }

  /** The broker order id the order desk's `place` recorded under a reference key. */
  #orderIdOf(f: FollowerRuntime, key: string): string | undefined {
    const ref = f.orders.get(key);
    f.orders.delete(key);
    return ref?.orderId;
  }
}
