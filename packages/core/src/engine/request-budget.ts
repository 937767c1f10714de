import type { RequestBudget } from '../adapter/contract.js';
import type { Clock, Timer } from '../clock/clock.js';

/** What a request does to the account's risk, in the order the budget serves them. */
export type RequestPriority = 'cancel' | 'exit' | 'entry';

const RANK: Record<RequestPriority, number> = { cancel: 0, exit: 1, entry: 2 };

interface Waiting {
  priority: RequestPriority;
  seq: number;
  run: () => void;
}

/**
 * Keeps one broker connection within its declared request limit. Requests over
 * the limit wait instead of earning a penalty, and when several wait, cancels go
 * first, then exits, then entries: getting out of risk never queues behind
 * getting into it. Within one priority, first come first served.
 *
 * A sliding window on the engine's clock: at most `requests` start in any
 * `perMs` span.
 */
export class RequestScheduler {
  readonly #budget: RequestBudget;
  readonly #clock: Clock;
  readonly #started: number[] = [];
  readonly #waiting: Waiting[] = [];
  #seq = 0;
  #timer: Timer | undefined;

  constructor(budget: RequestBudget, clock: Clock) {
    this.#budget = budget;
    this.#clock = clock;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `call` as soon as the budget allows, ahead of lower priorities. */
  schedule<T>(priority: RequestPriority, call: () => Promise<T>): Promise<T> {
    if (this.#waiting.length === 0 && this.#hasSlot()) {
      this.#started.push(this.#clock.now());
      return call();
    }
    return new Promise<T>((resolve, reject) => {
      this.#insert({
        priority,
        seq: this.#seq++,
        run: () => {
          call().then(resolve, reject);
        },
      });
      this.#arm();
    });
  }

  #insert(item: Waiting): void {
    let i = this.#waiting.length;
    while (i > 0) {
      const prev = this.#waiting[i - 1]!;
      if (RANK[prev.priority] <= RANK[item.priority]) break;
      i--;
    }
    this.#waiting.splice(i, 0, item);
  }

  #hasSlot(): boolean {
    const now = this.#clock.now();
    const from = now - this.#budget.perMs;
    while (this.#started.length > 0 && this.#started[0]! <= from) this.#started.shift();
    return this.#started.length < this.#budget.requests;
  }

  #arm(): void {
    if (this.#timer || this.#waiting.length === 0) return;
    const oldest = this.#started[0];
    const wait = oldest === undefined ? 0 : Math.max(0, oldest + this.#budget.perMs - this.#clock.now());
    this.#timer = this.#clock.setTimer(wait, () => {
      this.#timer = undefined;
      this.#drain();
    });
  }

  #drain(): void {
    while (this.#waiting.length > 0 && this.#hasSlot()) {
      const next = this.#waiting.shift()!;
      this.#started.push(this.#clock.now());
      next.run();
    }
    this.#arm();
  }
}
