import type { SimulatedExchange } from '@tradenova/core';

/** How the hub wraps an event's argument (§7.3): `{action, data}` (what live clients report) or the bare entity. */
export type HubEventShape = 'wrapped' | 'bare';

/**
 * Faults of the ProjectX simulator. Placement rejects go to the shared exchange;
 * the protocol-level ones (429, lost answers, expired tokens, hub outages) live
 * here because only the protocol front end can express them.
 */
export class ProjectXSimulatorFaults {
  /** Added before every REST answer, in ms. */
  latencyMs = 0;
  /** The shape of hub event arguments; switchable at any time. */
  eventShape: HubEventShape = 'wrapped';
  readonly #exchange: SimulatedExchange;
  #rateLimits = 0;
  #lostResponses: (string | undefined)[] = [];
  #hubDown = false;
  /** Set by the server. */
  onDropHub: (() => void) | undefined;
  onDropConnections: (() => void) | undefined;
  onHubOutage: (() => void) | undefined;
  onExpireTokens: (() => void) | undefined;

  constructor(exchange: SimulatedExchange) {
    this.#exchange = exchange;
  }

  /** The next `n` placements are rejected (`success: false`, errorCode 2) though they get an `orderId`. */
  rejectNext(n = 1, reason = 'Order rejected by risk check (simulated).'): void {
    this.#exchange.faults.rejectNext(n, reason);
  }

  /** The next `n` REST requests get `429 Too Many Requests`. */
  rateLimitNext(n = 1): void {
    this.#rateLimits += n;
  }

  /** The next request (to `endpoint`, e.g. `Order/place`, when given) is carried out, then its connection is cut before the answer. */
  loseNextResponse(endpoint?: string): void {
    this.#lostResponses.push(endpoint);
  }

  /** Every token issued so far stops working (HTTP 401). */
  expireTokens(): void {
    this.onExpireTokens?.();
  }

  /** Cuts every hub WebSocket without a Close message, as a network failure would; new connections are accepted. */
  dropHub(): void {
    this.onDropHub?.();
  }

  /**
   * Cuts every client connection at once — hub WebSockets and kept-alive REST connections,
   * a request in flight included — without a goodbye, as a network failure does; the server
   * stays up and accepts new connections.
   */
  dropConnections(): void {
    this.onDropConnections?.();
  }

  /**
   * A hub outage while REST stays up: open hub connections get a Close message
   * (`allowReconnect: true`) and new ones are refused (503) until `restoreHub()`.
   */
  hubOutage(): void {
    this.#hubDown = true;
    this.onHubOutage?.();
  }

  /** Ends a hub outage. */
  restoreHub(): void {
    this.#hubDown = false;
  }

  /** Whether the hub refuses connections now. */
  get hubDown(): boolean {
    return this.#hubDown;
  }

  /** Clears every pending fault, the exchange's included. */
  reset(): void {
    this.latencyMs = 0;
    this.#rateLimits = 0;
    this.#lostResponses = [];
    this.#hubDown = false;
    this.#exchange.faults.reset();
  }

  /** Consumes one 429, if pending. */
  takeRateLimit(): boolean {
    if (this.#rateLimits <= 0) return false;
    this.#rateLimits--;
    return true;
  }

  /** Consumes one lost answer for this endpoint, if pending. */
  takeLostResponse(endpoint: string): boolean {
    const i = this.#lostResponses.findIndex((e) => e === undefined || e === endpoint);
    if (i < 0) return false;
    this.#lostResponses.splice(i, 1);
    return true;
  }
}
