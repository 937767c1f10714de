import type { EngineEvent, OrderIntent } from '@tradenova/core';

/** Per-outcome counts of a session's follower intents, and the ones with none. */
export interface IntentAccount {
  intents: number;
  outcomes: Record<string, number>;
  /** Intent ids created with no recorded outcome (should be empty after a graceful stop). */
  unaccounted: string[];
}

const TERMINAL: Partial<Record<EngineEvent['type'], string>> = {
  'order-placed': 'placed',
  'order-modified': 'modified',
  'order-rejected': 'rejected',
  'order-blocked': 'blocked',
  'order-timed-out': 'timed-out',
  'order-failed': 'failed',
};

/**
 * Keeps every intent the engine created until an outcome is recorded for it:
 * an order event that ends it, or its line in `signal-completed` (how a cancel
 * or flatten that went through is reported). What is left after a graceful stop
 * is an order nobody can account for.
 */
export class IntentLedger {
  readonly #open = new Map<string, OrderIntent>();
  readonly #outcomes: Record<string, number> = {};
  #intents = 0;

  /** Feed it every engine event. */
  readonly onEvent = (event: EngineEvent): void => {
    if (event.type === 'intent-created') {
      this.#intents++;
      this.#open.set(event.intent.intentId, event.intent);
      return;
    }
    if (event.type === 'signal-completed') {
      for (const o of event.outcomes) this.#settle(o.intentId, o.outcome, false);
      return;
    }
    const outcome = TERMINAL[event.type];
    if (outcome && 'intent' in event) this.#settle(event.intent.intentId, outcome, true);
  };

  #settle(intentId: string, outcome: string, count: boolean): void {
    // An order event counts its outcome; the completion line only closes what no event closed.
    if (count || this.#open.has(intentId)) this.#outcomes[outcome] = (this.#outcomes[outcome] ?? 0) + 1;
    this.#open.delete(intentId);
  }

  /**
   * Closes the open intents `which` picks with `outcome`: for work the engine
   * reports by resolving a promise rather than by an event (a manual flatten
   * that went through; its failures do emit events and are closed already).
   */
  settleOpen(which: (intent: OrderIntent) => boolean, outcome: string): void {
    for (const [id, intent] of [...this.#open]) if (which(intent)) this.#settle(id, outcome, false);
  }

  summary(): IntentAccount {
    return { intents: this.#intents, outcomes: { ...this.#outcomes }, unaccounted: [...this.#open.keys()] };
  }
}
