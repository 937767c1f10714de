import type { Clock, Timer } from '@tradenova/core';

/** Which requests go first when several wait: orders before searches and polls. */
export type RequestLane = 'order' | 'query';

interface Waiting {
  lane: RequestLane;
  run: () => void;
}

/**
 * A sliding-window limit on request starts: at most `requests` in any `perMs`
 * span. A request over the limit waits instead of earning a 429, and waiting
 * orders go ahead of waiting queries, so a poll storm never delays a copy.
 *
 * It sits below the engine's own `RequestScheduler` because the adapter makes
 * requests the engine never sees (renewals, polls, flatten's searches), and all
 * of them count against the one limit ProjectX applies per key.
 */
export class SlidingWindowLimiter {
  readonly #requests: number;
  readonly #perMs: number;
  readonly #clock: Clock;
  readonly #started: number[] = [];
  readonly #waiting: Waiting[] = [];
  #timer: Timer | undefined;
  /** Requests that had to wait for a slot, for tests and health. */
  queued = 0;

  constructor(limit: { requests: number; perMs: number }, clock: Clock) {
    this.#requests = limit.requests;
    // The server counts arrivals, we count starts: a request that travels slower than the one
    // after it would land both in one server window. A margin of 2 % (at least 100 ms) absorbs that.
    this.#perMs = limit.perMs + Math.max(100, Math.ceil(limit.perMs * 0.02));
    this.#clock = clock;
  }

  /** Requests waiting for a slot now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `call` as soon as the window allows. */
  schedule<T>(lane: RequestLane, call: () => Promise<T>): Promise<T> {
    if (this.#waiting.length === 0 && this.#hasSlot()) {
      this.#started.push(this.#clock.now());
      return call();
    }
    this.queued++;
    return new Promise<T>((resolve, reject) => {
      const item: Waiting = { lane, run: () => call().then(resolve, reject) };
      if (lane === 'order') {
        // Behind other orders, ahead of every query.
        const firstQuery = this.#waiting.findIndex((w) => w.lane === 'query');
        this.#waiting.splice(firstQuery < 0 ? this.#waiting.length : firstQuery, 0, item);
      } else {
        this.#waiting.push(item);
      }
      this.#arm();
    });
  }

  /** Drops every waiting request's timer (the requests themselves stay queued until `schedule` runs again). */
  close(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #hasSlot(): boolean {
    const from = this.#clock.now() - this.#perMs;
    while (this.#started.length > 0 && this.#started[0]! <= from) this.#started.shift();
    return this.#started.length < this.#requests;
  }

  #arm(): void {
    if (this.#timer || this.#waiting.length === 0) return;
    const oldest = this.#started[0];
    const wait = oldest === undefined ? 0 : Math.max(0, oldest + this.#perMs - this.#clock.now() + 1);
    this.#timer = this.#clock.setTimer(wait, () => {
      this.#timer = undefined;
      while (this.#waiting.length > 0 && this.#hasSlot()) {
        this.#started.push(this.#clock.now());
        this.#waiting.shift()!.run();
      }
      this.#arm();
    });
  }
}
