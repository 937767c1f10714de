/** A cancellable scheduled callback. */
export interface Timer {
  cancel(): void;
}

/**
 * Time as the engine sees it. Live runs use the system clock; replays use a
 * virtual clock so that the same input always gives the same output.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `delayMs` of this clock's time. */
  setTimer(delayMs: number, fn: () => void): Timer;
}

/** Resolves after `ms` of the clock's time. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimer(ms, resolve);
  });
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  },
};
