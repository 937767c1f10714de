import type { IntentOutcome } from '../bus/events.js';
import type { OrderIntent } from '../model/intent.js';
import type { SignalOutcome } from './api.js';

/** One follower's outcome of a signal, named by its intent. */
export function outcomeOf(
  intent: OrderIntent,
  outcome: IntentOutcome,
  extra: Partial<SignalOutcome> = {},
): SignalOutcome {
  return { follower: intent.follower, intentId: intent.intentId, leg: intent.leg, outcome, ...extra };
}
