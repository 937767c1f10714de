import type { Clock, Timer } from './clock.js';

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A deterministic discrete-event clock. Time moves only when `advanceTo` or
 * `runUntilIdle` is called; timers due at the same instant run in the order
 * they were set, and the promise jobs each one starts are drained before the next.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #queue: Scheduled[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const item: Scheduled = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, fn, cancelled: false };
    // Keep the queue sorted by (at, seq); inserts are mostly at the end.
    let i = this.#queue.length;
    while (i > 0) {
      const prev = this.#queue[i - 1]!;
      if (prev.at < item.at || (prev.at === item.at && prev.seq < item.seq)) break;
      i--;
    }
    this.#queue.splice(i, 0, item);
    return {
      cancel: () => {
        item.cancelled = true;
      },
    };
  }

  /** Number of timers still waiting. */
  get pending(): number {
    return this.#queue.filter((t) => !t.cancelled).length;
  }

  /** Time of the next waiting timer, if any. */
  nextAt(): number | undefined {
    return this.#queue.find((t) => !t.cancelled)?.at;
  }

  /** Runs every timer due at or before `time` (in time order), then sets the clock to `time`. */
  async advanceTo(time: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.#queue[0];
      if (!next || next.at > time) break;
      this.#queue.shift();
      if (next.cancelled) continue;
      if (next.at > this.#now) this.#now = next.at;
      next.fn();
      await settle();
    }
    if (time > this.#now) this.#now = time;
  }

  /** Advances by `ms`. */
  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(this.#now + ms);
  }

  /** Runs timers until none is left, up to `limitMs` past now (guards against timers that re-arm forever). */
  async runUntilIdle(limitMs = 86_400_000): Promise<void> {
    const end = this.#now + limitMs;
    for (;;) {
      await settle();
      const next = this.nextAt();
      if (next === undefined || next > end) return;
      await this.advanceTo(next);
    }
  }
}

/** Lets every queued promise job run; a macrotask turn is the only sure way past chained awaits. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
