import type { Logger } from '../../util/logger.js';
import type { BrokerEvent } from '../contract.js';

/**
 * The listeners of one broker connection. An adapter hands every event here; a listener
 * that throws is logged and never keeps the event from the others (one faulty dashboard
 * must not cost the engine a fill).
 */
export class BrokerEventFanout {
  readonly #listeners = new Set<(event: BrokerEvent) => void>();
  readonly #logger: Logger;
  readonly #name: string;

  constructor(logger: Logger, name: string) {
    this.#logger = logger;
    this.#name = name;
  }

  /** Adds a listener; returns the function that removes it (`BrokerConnection.onEvent`). */
  subscribe(listener: (event: BrokerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  emit(event: BrokerEvent): void {
    // A copy: a listener may unsubscribe while it is called.
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error(
          { err: error instanceof Error ? error.message : String(error), event: event.type },
          `${this.#name}: event listener threw`,
        );
      }
    }
  }
}
