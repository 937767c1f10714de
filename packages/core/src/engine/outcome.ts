import type { IntentOutcome } from '../bus/events.js';
import type { OrderIntent } from '../model/intent.js';
import type { SignalOutcome } from './api.js';

/**
 * Why a follower's outcome of a modify, cancel or flatten changed nothing at its broker.
 * Stable strings: the report's `events` section and `--expect` files compare them.
 */
export const SkipReason = {
  /** The follower has no copy of the leader order (it was skipped, blocked or never placed). */
  NoCopy: 'NO_COPY',
  /** The leader order had already filled, been cancelled or flattened. */
  OrderEnded: 'ORDER_ENDED',
  /** The follower's copy already matches the leader order. */
  Unchanged: 'UNCHANGED',
  /** A later modify of the same order, queued behind this one, carries the change. */
  Folded: 'FOLDED',
  /** Nothing of the copy works at the broker any more (it filled). */
  NothingWorking: 'NOTHING_WORKING',
  /** The copy's broker id is not known yet (its outcome is unknown until reconciliation). */
  OutcomeUnknown: 'OUTCOME_UNKNOWN',
  /** The follower has no such bracket leg, or cannot add it. */
  NoBracketLeg: 'NO_BRACKET_LEG',
  /** The follower holds no position for the order to protect. */
  NoPosition: 'NO_POSITION',
  /** The order waits for its entry to fill (an engine-held bracket child). */
  WaitsForFill: 'WAITS_FOR_FILL',
  /** An inverse follower copies this working order when the leader's fills come. */
  AtLeaderFill: 'AT_LEADER_FILL',
  /** The follower holds nothing of the instrument. */
  NothingToFlatten: 'NOTHING_TO_FLATTEN',
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

/** A `skipped` outcome with its stable code and a message for people. */
export function skippedOutcome(intent: OrderIntent, code: SkipReason, message: string): SignalOutcome {
  return outcomeOf(intent, 'skipped', { reason: message, code });
}

/**
 * One follower's outcomes of a change to a copy (modify, cancel, flatten): what reached
 * the broker, one per leg; or, when nothing did, a single `skipped` with the first reason.
 */
export function changeOutcomes(acted: SignalOutcome[], skipped: SignalOutcome[]): SignalOutcome[] {
  if (acted.length > 0) return acted;
  return skipped.slice(0, 1);
}

/** One follower's outcome of a signal, named by its intent. */
export function outcomeOf(
  intent: OrderIntent,
  outcome: IntentOutcome,
  extra: Partial<SignalOutcome> = {},
): SignalOutcome {
  return { follower: intent.follower, intentId: intent.intentId, leg: intent.leg, outcome, ...extra };
}
