import { type DashboardAction, type DashboardState, reduce } from './state.js';

/**
 * The dashboard's state outside React: engine events arrive far faster than a
 * terminal can redraw, so every event goes through the reducer at once and
 * subscribers hear about it at most every `intervalMs`.
 */
export class DashboardStore {
  #state: DashboardState;
  readonly #listeners = new Set<() => void>();
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(initial: DashboardState, intervalMs = 100) {
    this.#state = initial;
    this.#intervalMs = intervalMs;
  }

  readonly getState = (): DashboardState => this.#state;

  readonly dispatch = (action: DashboardAction): void => {
    this.#state = reduce(this.#state, action);
    // Keys get an answer on the next frame; engine traffic is batched.
    if (action.type === 'engine' || action.type === 'leader' || action.type === 'snapshot') this.#schedule();
    else this.#notify();
  };

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Stops the batching timer. */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#notify();
    }, this.#intervalMs);
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }
}
