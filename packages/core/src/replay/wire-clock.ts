import type { Clock, Timer } from '../clock/clock.js';

/**
 * Session time for the parts of a replay that talk over real sockets (`--brokers
 * simulated`): the engine's request budgets and deadlines for those connections, the
 * simulators and their exchanges.
 *
 * `now()` is the replay's virtual time, so a broker's request limit counts the session's
 * minutes, not the few wall seconds a replay squeezes them into, and every time a simulator
 * stamps on the wire is the recorded one. Timers run on the wall clock, because the sockets
 * do: a deadline still fires when a broker stops answering.
 *
 * What waits on a timer (a request budget, a deadline) needs that wait to count as time
 * passed, or a full budget window would never reopen before the next record: by default
 * a timer that fires moves `now()` to its due time (never back). What only stamps times
 * (an exchange's fills, an adapter that polls files) takes `{ frozen: true }`, so its
 * own polling timers do not move the times it stamps away from the recorded ones.
 */
export class ReplayWireClock implements Clock {
  readonly #session: Clock;
  readonly #frozen: boolean;
  #reached: number;

  constructor(session: Clock, options: { frozen?: boolean } = {}) {
    this.#session = session;
    this.#frozen = options.frozen ?? false;
    this.#reached = session.now();
  }

  now(): number {
    return Math.max(this.#session.now(), this.#reached);
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const wait = Math.max(0, delayMs);
    const due = this.now() + wait;
    const handle = setTimeout(() => {
      if (!this.#frozen && due > this.#reached) this.#reached = due;
      fn();
    }, wait);
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  }
}
