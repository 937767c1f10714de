import type { SimulatedExchange } from '@tradenova/core';

/**
 * Faults of the Rithmic simulator. Rejects go to the shared exchange; the
 * protocol-level ones (rate-limit answers, lost answers, cut sockets, latency) live
 * here because only the protocol front end can express them.
 */
export class RithmicSimulatorFaults {
  /** Added before every answer, ms. */
  latencyMs = 0;
  /**
   * Holds order and PnL notifications (351/352/450/451) back this long after the answer
   * that caused them, ms. Nothing in R|Protocol orders a response before or after the
   * pushes it causes (§8): a busy gateway can answer 313 well ahead of the order's 351s.
   */
  notificationDelayMs = 0;
  readonly #exchange: SimulatedExchange;
  #rateLimits = 0;
  #lost = 0;
  /** Set by the server: what `dropConnections` acts on. */
  onDrop: (() => void) | undefined;

  constructor(exchange: SimulatedExchange) {
    this.#exchange = exchange;
  }

  /** The next `n` placements are rejected (313 with an error `rp_code`, then 352 REJECT and 351 COMPLETE). */
  rejectNext(n = 1, reason = 'order rejected by risk check'): void {
    this.#exchange.faults.rejectNext(n, reason);
  }

  /** The next `n` order-entry requests (312/314/316) are answered with a rate-limit `rp_code`. */
  rateLimitNext(n = 1): void {
    this.#rateLimits += n;
  }

  /** The next new order is carried out, then its socket is cut before the 313 answer. */
  loseNextResponse(n = 1): void {
    this.#lost += n;
  }

  /** Cuts every WebSocket without a close frame, as a network failure would. */
  dropConnections(): void {
    this.onDrop?.();
  }

  /** Clears every pending fault, the exchange's included. */
  reset(): void {
    this.latencyMs = 0;
    this.notificationDelayMs = 0;
    this.#rateLimits = 0;
    this.#lost = 0;
    this.#exchange.faults.reset();
  }

  /** Consumes one rate-limit answer, if pending. */
  takeRateLimit(): boolean {
    if (this.#rateLimits <= 0) return false;
    this.#rateLimits--;
    return true;
  }

  /** Consumes one lost answer, if pending. */
  takeLostResponse(): boolean {
    if (this.#lost <= 0) return false;
    this.#lost--;
    return true;
  }
}
