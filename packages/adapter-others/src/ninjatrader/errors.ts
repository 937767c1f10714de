import { BrokerDisconnectedError, BrokerRejectedError, BrokerTimeoutError } from '@tradenova/core';

/** The `broker` name in every error this adapter raises. */
export const BROKER = 'ninjatrader';

/**
 * NinjaTrader says nothing about a reject except the REJECTED state: the reason is only
 * in its own log, so the error says where to look.
 */
export function rejectedError(orderId: string): BrokerRejectedError {
  return new BrokerRejectedError(BROKER, `order ${orderId} REJECTED by NinjaTrader (reason in its Log tab)`);
}

/** No order-state file within the wait: the command may still be processed, so the outcome is unknown. */
export function noAckError(afterMs: number): BrokerTimeoutError {
  return new BrokerTimeoutError(BROKER, afterMs);
}

/** A folder is missing or unreadable: NinjaTrader is not reachable from here. */
export function folderError(setting: string, path: string, cause: unknown): BrokerDisconnectedError {
  return new BrokerDisconnectedError(
    BROKER,
    `cannot use ${setting} folder ${path} (is NinjaTrader's ATI on and the folder shared?)`,
    { cause },
  );
}
