import type { EngineEvent } from '../bus/events.js';
import { type Contract, contractKey } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import { intentId, type OrderIntent } from '../model/intent.js';
import { RiskReason } from '../risk/reasons.js';
import type { SignalOutcome } from './api.js';
import type { CopyDesk } from './copy-desk.js';
import type { FollowerRuntime } from './follower.js';
import type { LeaderBook } from './leader-book.js';
import type { OrderPort } from './ports.js';
import { planReconciliation, type ReconcileLine, type ReconcilePolicy } from './reconcile.js';

/** What reconciliation needs from the engine. */
export interface ReconcileDeskPort {
  /** The follower's open positions as the engine tracks them from the fills it saw. */
  netPositions(follower: string): readonly { contract: Contract; netQty: number }[];
  /** The follower's scaled share of the leader's open positions, by contract key. */
  targets(follower: string): Map<string, number>;
  instruments: InstrumentRegistry;
  /** The order desk: places the orders that fix a difference, flattens under the `flatten` policy. */
  orders: OrderPort;
  /** Recovery sends the leader's unconfirmed cancels again, then re-plans the working copies. */
  copies: Pick<CopyDesk, 'resendCancels' | 'replanWorking'>;
  /** Whether the leader's fills were seen: only then is a follower's expected position known. */
  leader: Pick<LeaderBook, 'fillsSeen'>;
  /** The configured reconcile policy. */
  policy: ReconcilePolicy;
  emit(event: EngineEvent): void;
  now(): number;
}

/**
 * Reconciliation against the broker, the truth (planReconciliation in reconcile.ts is
 * the pure plan): orders whose outcome was unknown are settled by client order id, then
 * each contract's broker position is compared with the scaled leader and the policy
 * applied. Idempotent: an order's id comes from the state it fixes.
 */
export class ReconcileDesk {
  readonly #port: ReconcileDeskPort;

  constructor(port: ReconcileDeskPort) {
    this.#port = port;
  }

  /**
   * One follower: settles its unknown outcomes, reads its broker positions, compares them
   * with the scaled leader and applies the policy. Runs in the follower's queue.
   */
  async follower(f: FollowerRuntime, policy: ReconcilePolicy): Promise<ReconcileLine[]> {
    const port = this.#port;
    await this.settleUnknown(f);
    const brokerPositions = await f.guard.run(
      () => f.connection.getPositions(f.accountId),
      undefined,
      'exit',
    );
    const tracked = new Map(port.netPositions(f.name).map((p) => [contractKey(p.contract), p.netQty]));
    const lines = planReconciliation({
      brokerPositions,
      tracked,
      targets: port.targets(f.name),
      policy,
      instruments: port.instruments,
    });
    const now = port.now();
    for (const line of lines) {
      port.emit({
        type: 'position-reconciled',
        time: now,
        follower: f.name,
        accountId: f.accountId,
        contract: contractKey(line.contract),
        broker: line.broker,
        tracked: line.tracked,
        target: line.target,
        ordered: line.order,
        policy,
      });
    }
    if (policy === 'flatten' && lines.some((l) => l.broker !== 0)) {
      await port.orders.flatten(f, `reconcile-${f.name}-${now}`, undefined, 'reconciliation');
      return lines;
    }
    for (const line of lines) {
      if (line.order === 0) continue;
      // A difference across zero goes as a close, then an opening: the close only reduces, so no
      // rule stops it, and while it is on its way the firm rule does not count this account's
      // position against the other accounts of the firm, which are being aligned too. As one
      // opening order of the whole difference, two accounts reversing together blocked each other
      // (`OPPOSITE_POSITION`: "px-same is long 1"), and both stayed on the wrong side.
      const steps =
        line.broker !== 0 && line.target !== 0 && Math.sign(line.broker) !== Math.sign(line.target)
          ? [
              { from: line.broker, to: 0 },
              { from: 0, to: line.target },
            ]
          : [{ from: line.broker, to: line.target }];
      for (const step of steps) {
        const outcome = await this.#align(f, line.contract, step.from, step.to, now);
        // The aligning order did not go through for now (rate limit, broker away: the engine
        // marked it for recovery): that recovery aligns with this policy, not the default.
        if (f.needsRecovery) f.recoverPolicy ??= policy;
        if (outcome.outcome === 'blocked' && outcome.reason === RiskReason.OppositePosition) {
          // Another account of the firm still holds the other side: it is on its way too (its own
          // alignment), so this one is tried again at the next recovery instead of left off.
          f.needsRecovery = true;
          f.recoverPolicy ??= policy;
        }
        if (outcome.outcome !== 'placed' && outcome.outcome !== 'filled') break;
      }
    }
    return lines;
  }

  /** One market order moving the follower from `from` to `to` in `contract`. */
  #align(
    f: FollowerRuntime,
    contract: Contract,
    from: number,
    to: number,
    now: number,
  ): Promise<SignalOutcome> {
    const key = contractKey(contract);
    // Each alignment gets an id of its own: the same move (0 -> -1, say) can be needed again
    // later, after a round trip or a restart, and a broker answers a repeated client order id
    // with the old, ended order, so nothing was placed (chaos seed 95407865). Repeating an
    // alignment cannot double it: each one reads the broker position first.
    const signalId = `reconcile:${key}:${from}->${to}:${++f.recoveries}`;
    const order = to - from;
    const intent: OrderIntent = {
      intentId: intentId(signalId, f.name, 'reconcile'),
      signalId,
      follower: f.name,
      broker: f.config.broker,
      accountId: f.accountId,
      leg: 'reconcile',
      action: 'place',
      contract,
      side: order > 0 ? 'buy' : 'sell',
      qty: Math.abs(order),
      orderType: 'market',
      reducing: from !== 0 && Math.abs(to) < Math.abs(from) && Math.sign(to) !== -Math.sign(from),
      createdAt: now,
    };
    return this.#port.orders.place(f, intent, now, signalId);
  }

  /** Asks the broker about every order sent with no answer, by its client order id. */
  async settleUnknown(f: FollowerRuntime): Promise<void> {
    const port = this.#port;
    for (const [id, { intent, leaderOrderId }] of [...f.unknown]) {
      const found = f.connection.findOrderByClientId
        ? await f.connection.findOrderByClientId(f.accountId, id)
        : (await f.connection.getOpenOrders(f.accountId)).find((o) => o.clientOrderId === id);
      f.unknown.delete(id);
      // Only a working order is still on its way; anything else no longer counts for the firm rule.
      const working =
        found !== undefined && (found.status === 'working' || found.status === 'partially-filled');
      if (!working) {
        f.endInFlight(id);
        f.endLeg(id);
      }
      const leg = f.legOf.get(id)?.leg;
      if (leg && found) leg.orderId = found.orderId;
      if (found && found.status !== 'rejected') {
        if (leaderOrderId !== undefined && intent.leg !== 'close' && !f.orders.has(leaderOrderId)) {
          f.orders.set(leaderOrderId, {
            intentId: id,
            orderId: found.orderId,
            contract: intent.contract,
            side: intent.side,
            orderType: intent.orderType,
          });
        }
        port.emit({
          type: 'order-reconciled',
          time: port.now(),
          intent,
          outcome: 'placed',
          orderId: found.orderId,
        });
      } else {
        port.emit({ type: 'order-reconciled', time: port.now(), intent, outcome: 'not-placed' });
      }
    }
  }

  /**
   * After an outage or a failed order: settles orders whose outcome was unknown (by client
   * order id) and reconciles positions, then re-plans the copy of every leader order still
   * working against the leader's current state (placing the legs that failed or were never
   * placed). Positions are aligned when a failure of this engine explains the difference
   * and the follower's expected position is known; otherwise the configured policy applies.
   */
  recover(f: FollowerRuntime): Promise<void> {
    const aligned = f.needsRecovery && this.#port.leader.fillsSeen;
    const policy = f.recoverPolicy ?? (aligned ? 'align' : this.#port.policy);
    f.needsRecovery = false;
    f.recoverPolicy = undefined;
    f.recoveredAt = this.#port.now();
    return f.queue.push(async () => {
      try {
        // The leader's cancels first, then positions, so the working copies are planned
        // against what the follower holds.
        await this.#port.copies.resendCancels(f);
        await this.follower(f, policy);
      } catch (error) {
        // The broker could not answer (down again, rate-limited): try again at the next interval.
        this.pending(f, policy, error);
        return;
      }
      if (f.recoveryPending) {
        f.recoveryPending = false;
        this.#port.emit({
          type: 'follower-recovery',
          time: this.#port.now(),
          follower: f.name,
          accountId: f.accountId,
          state: 'recovered',
        });
      }
      // A market order is never working: what it missed, alignment has placed.
      this.#port.copies.replanWorking(f, undefined);
    });
  }

  /** A recovery or requested reconciliation that could not reach the broker: said, and tried again later. */
  pending(f: FollowerRuntime, policy: ReconcilePolicy, error: unknown): string {
    const reason = error instanceof Error ? error.message : String(error);
    f.needsRecovery = true;
    f.recoverPolicy = policy;
    f.recoveryPending = true;
    this.#port.emit({
      type: 'follower-recovery',
      time: this.#port.now(),
      follower: f.name,
      accountId: f.accountId,
      state: 'pending',
      reason,
    });
    return reason;
  }
}
