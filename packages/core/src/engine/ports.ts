import type { Contract } from '../instruments/contract.js';
import type { OrderIntent } from '../model/intent.js';
import type { PositionTracker } from '../positions/tracker.js';
import type { SignalOutcome } from './api.js';
import type { FollowerRuntime } from './follower.js';

/**
 * The follower positions as the engine tracks them from the fills it saw. Fill ingest
 * (fill-ingest.ts) is the tracker's one writer; every desk reads it through this view.
 */
export type PositionsView = Pick<PositionTracker, 'netQty' | 'netPositions' | 'pnl'>;

/**
 * The order desk as the bracket and reconcile desks use it: one order placed through the
 * follower's guard with its risk check and events, a failure recorded as the right event,
 * an account (or contract) flattened at the broker. See order-desk.ts.
 */
export interface OrderPort {
  /** Places one order; records its broker id under `refKey` (a leader order id, or a key of the caller's). */
  place(f: FollowerRuntime, intent: OrderIntent, receivedAt: number, refKey: string): Promise<SignalOutcome>;
  /** Records a failed order, modify or cancel as the right event and outcome. */
  placeFailed(f: FollowerRuntime, intent: OrderIntent, error: unknown, leaderOrderId?: string): SignalOutcome;
  /** Cancels the follower's working orders and closes its positions (in one contract, or all). */
  flatten(
    f: FollowerRuntime,
    signalId: string,
    contract: Contract | undefined,
    reason?: string,
  ): Promise<SignalOutcome[]>;
}
