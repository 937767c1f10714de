import type { SimulatedExchange } from '@tradenova/core';

/** A penalty the simulator answers with instead of serving a request. */
export interface PenaltyFault {
  seconds: number;
  captcha: boolean;
}

/**
 * Faults of the Tradovate simulator. Exchange-level faults (rejects) go to the
 * shared exchange; the protocol-level ones (429, penalty tickets, expired tokens,
 * cut sockets, `shutdown`, lost answers) live here because only the protocol
 * front end can express them.
 */
export class TradovateSimulatorFaults {
  /** Added before every REST or socket answer, in ms. */
  latencyMs = 0;
  readonly #exchange: SimulatedExchange;
  #rateLimits = 0;
  #penalties: PenaltyFault[] = [];
  #lostResponses: (string | undefined)[] = [];
  /** Set by the server: what `dropConnections` and `shutdown` act on. */
  onDrop: (() => void) | undefined;
  onShutdown: ((reasonCode: string) => void) | undefined;
  onExpireTokens: (() => void) | undefined;

  constructor(exchange: SimulatedExchange) {
    this.#exchange = exchange;
  }

  /**
   * The next `n` placements are rejected with an HTTP-200 `failureReason` body. A
   * reason that is a Tradovate `FailureReason` (e.g. `MaxPosLimitReached`) is used as is.
   */
  rejectNext(n = 1, reason = 'MaxPosLimitReached'): void {
    this.#exchange.faults.rejectNext(n, reason);
  }

  /** The next `n` requests get `429 Too Many Requests` with an empty body (a user-level lockout). */
  rateLimitNext(n = 1): void {
    this.#rateLimits += n;
  }

  /** The next `n` requests get a time-penalty body (`p-ticket`, `p-time`, `p-captcha`). */
  penaltyNext(n = 1, seconds = 1, captcha = false): void {
    for (let i = 0; i < n; i++) this.#penalties.push({ seconds, captcha });
  }

  /** The next request (to `endpoint`, when given) is carried out, then its connection is cut before the answer. */
  loseNextResponse(endpoint?: string): void {
    this.#lostResponses.push(endpoint?.toLowerCase());
  }

  /** Every token issued so far stops working (401); a new login or a renewal before this call does not help. */
  expireTokens(): void {
    this.onExpireTokens?.();
  }

  /** Cuts every WebSocket without a close frame, as a network failure would. */
  dropConnections(): void {
    this.onDrop?.();
  }

  /** Sends the `shutdown` event and closes every socket, as a maintenance restart does. */
  shutdown(reasonCode: 'Maintenance' | 'ConnectionQuotaReached' | 'IPQuotaReached' = 'Maintenance'): void {
    this.onShutdown?.(reasonCode);
  }

  /** Clears every pending fault, the exchange's included. */
  reset(): void {
    this.latencyMs = 0;
    this.#rateLimits = 0;
    this.#penalties = [];
    this.#lostResponses = [];
    this.#exchange.faults.reset();
  }

  /** Consumes one 429, if pending. */
  takeRateLimit(): boolean {
    if (this.#rateLimits <= 0) return false;
    this.#rateLimits--;
    return true;
  }

  /** Consumes one penalty, if pending. */
  takePenalty(): PenaltyFault | undefined {
    return this.#penalties.shift();
  }

  /** Consumes one lost answer for this endpoint, if pending. */
  takeLostResponse(endpoint: string): boolean {
    const i = this.#lostResponses.findIndex((e) => e === undefined || e === endpoint);
    if (i < 0) return false;
    this.#lostResponses.splice(i, 1);
    return true;
  }
}
