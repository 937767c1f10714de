import type { SimulatedExchange } from '@tradenova/core';

/**
 * Faults of the Sierra Chart simulator. Rejects go to the shared exchange; the protocol
 * faults (refused logons, trading switched off, silent heartbeats, cut sockets, lost
 * answers) live here because only the DTC front end can express them.
 */
export class SierraChartSimulatorFaults {
  /** LOGON_RESPONSE says `TradingIsSupported = 0` while true (Allow Trading off). */
  tradingDisabled = false;
  /** The server stops sending HEARTBEAT (and anything else) while true: a hung server. */
  silent = false;
  readonly #exchange: SimulatedExchange;
  #logonFailures: string[] = [];
  #lostResponses = 0;
  /** Set by the server: what `dropConnections` acts on. */
  onDrop: (() => void) | undefined;

  constructor(exchange: SimulatedExchange) {
    this.#exchange = exchange;
  }

  /** The next `n` placements are rejected with `reason` as InfoText. */
  rejectNext(n = 1, reason = 'Order rejected by fault injection'): void {
    this.#exchange.faults.rejectNext(n, reason);
  }

  /** The next logon is answered with Result 2 (error) and this text. */
  failNextLogon(text = 'Invalid username or password'): void {
    this.#logonFailures.push(text);
  }

  /** Consumes one logon failure. */
  takeLogonFailure(): string | undefined {
    return this.#logonFailures.shift();
  }

  /** The next order submission is carried out, then its connection is cut before any answer. */
  loseNextResponse(): void {
    this.#lostResponses++;
  }

  /** Consumes one lost response. */
  takeLostResponse(): boolean {
    if (this.#lostResponses <= 0) return false;
    this.#lostResponses--;
    return true;
  }

  /** Cuts every client socket without a LOGOFF, as a network failure would. */
  dropConnections(): void {
    this.onDrop?.();
  }
}
