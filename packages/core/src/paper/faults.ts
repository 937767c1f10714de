/**
 * Faults a simulator turns on to test an adapter's error paths. The exchange reads
 * the counters; protocol-level faults (expired tokens, dropped sockets) are only
 * flags here because only the protocol front end knows how to express them.
 */
export class ExchangeFaults {
  /** Added to every request's latency, in ms. */
  extraLatencyMs = 0;
  /**
   * Delay, in ms, before order, fill and position reports reach listeners. A request's own
   * answer is not delayed, so an ack can arrive before the fill report, as on a real wire.
   */
  reportDelayMs = 0;
  /** Set by a test; simulators answer requests with their protocol's token-expired error while it is true. */
  tokenExpired = false;
  #rejects: string[] = [];
  #rateLimits: number[] = [];

  /** The next `n` placements are rejected with `reason`. */
  rejectNext(n: number, reason = 'rejected by fault injection'): void {
    for (let i = 0; i < n; i++) this.#rejects.push(reason);
  }

  /** The next `n` requests fail with a rate-limit error asking to wait `retryAfterMs`. */
  rateLimitNext(n: number, retryAfterMs = 1000): void {
    for (let i = 0; i < n; i++) this.#rateLimits.push(retryAfterMs);
  }

  /** Clears every pending fault. */
  reset(): void {
    this.extraLatencyMs = 0;
    this.reportDelayMs = 0;
    this.tokenExpired = false;
    this.#rejects = [];
    this.#rateLimits = [];
  }

  /** Consumes one injected reject; its reason, or undefined when none is pending. */
  takeReject(): string | undefined {
    return this.#rejects.shift();
  }

  /** Consumes one injected rate limit; its retry-after, or undefined when none is pending. */
  takeRateLimit(): number | undefined {
    return this.#rateLimits.shift();
  }
}
