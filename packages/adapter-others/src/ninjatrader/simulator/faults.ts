import type { SimulatedExchange } from '@tradenova/core';

/**
 * Faults of the NinjaTrader simulator. Rejects go to the shared exchange; the file-level
 * faults (a lost broker connection, slow or skipped OIF processing) live here because
 * only the file front end can express them.
 */
export class NinjaTraderSimulatorFaults {
  /** Added before each OIF file is processed, in ms. */
  processingDelayMs = 0;
  readonly #exchange: SimulatedExchange;
  #ignoreFiles = 0;
  /** Set by the simulator: what `disconnect` acts on. */
  onDisconnect: ((forMs: number) => void) | undefined;

  constructor(exchange: SimulatedExchange) {
    this.#exchange = exchange;
  }

  /** The next `n` placements end REJECTED. */
  rejectNext(n = 1, reason = 'rejected by fault injection'): void {
    this.#exchange.faults.rejectNext(n, reason);
  }

  /** The next `n` OIF files are left unprocessed, as NinjaTrader does with a locked or duplicate file. */
  ignoreNextFiles(n = 1): void {
    this.#ignoreFiles += n;
  }

  /** Consumes one ignore; true when the next file must be skipped. */
  takeIgnore(): boolean {
    if (this.#ignoreFiles <= 0) return false;
    this.#ignoreFiles--;
    return true;
  }

  /**
   * NinjaTrader loses its broker connection for `forMs`: the connection file reads
   * DISCONNECTED, state changes are held back, then written before CONNECTED.
   */
  disconnect(forMs = 300): void {
    this.onDisconnect?.(forMs);
  }
}
