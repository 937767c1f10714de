/**
 * Failed sign-ins counted per client address in a fixed window: past `max` failures the
 * address is refused (429) until the window ends, so a token cannot be guessed at speed.
 * Successful requests are never counted.
 */
export class FailedAuthLimiter {
  readonly #windows = new Map<string, { start: number; failures: number }>();
  constructor(
    readonly max = 20,
    readonly windowMs = 60_000,
    readonly now: () => number = Date.now,
  ) {}

  /** ms to wait before trying again, or 0 when the address may try. */
  retryAfterMs(address: string): number {
    const w = this.#windows.get(address);
    if (!w) return 0;
    const left = w.start + this.windowMs - this.now();
    if (left <= 0) {
      this.#windows.delete(address);
      return 0;
    }
    return w.failures >= this.max ? left : 0;
  }

  /** Counts one failure of `address`. */
  fail(address: string): void {
    const now = this.now();
    let w = this.#windows.get(address);
    if (!w || w.start + this.windowMs <= now) {
      w = { start: now, failures: 0 };
      this.#windows.set(address, w);
    }
    w.failures += 1;
    // A flood from many addresses must not grow the map without bound.
    if (this.#windows.size > 10_000)
      for (const [k, v] of this.#windows) if (v.start + this.windowMs <= now) this.#windows.delete(k);
  }
}
