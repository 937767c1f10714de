import type { BrokerEvent } from '../contract.js';

/**
 * The last error a broker connection met, for `health().lastError`: kept as its message
 * only (adapter errors carry no credentials), so a dashboard or `tradenova accounts`
 * can say what went wrong without holding the error object.
 */
export class LastError {
  #message: string | undefined;

  /** The message of the last error remembered, until `clear()`. */
  get message(): string | undefined {
    return this.#message;
  }

  remember(error: unknown): void {
    this.#message = error instanceof Error ? error.message : String(error);
  }

  clear(): void {
    this.#message = undefined;
  }

  /** Runs one broker call; an error is remembered, then thrown on to the caller. */
  async around<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.remember(error);
      throw error;
    }
  }
}

/** The account a broker event is about, where it is about one (a connection event is not). */
export function accountOfEvent(event: BrokerEvent): string | undefined {
  switch (event.type) {
    case 'order-updated':
      return event.order.accountId;
    case 'order-filled':
      return event.fill.accountId;
    case 'position-updated':
      return event.position.accountId;
    case 'account-updated':
      return event.account.accountId;
    default:
      return undefined;
  }
}
