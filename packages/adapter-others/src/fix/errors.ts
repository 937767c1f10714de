import {
  BrokerError,
  BrokerRateLimitedError,
  BrokerRejectedError,
  BrokerUnknownOrderError,
  ErrorCode,
  TradeNovaError,
} from '@tradenova/core';

/** The broker name in errors and events. */
export const BROKER = 'fix';

/** What a reject text means, by substring (ccxt's "broad" table): FIX 4.x has no throttle message of its own. */
const BROAD: readonly { match: RegExp; make: (text: string, broker: string) => BrokerError }[] = [
  {
    match: /throttl|rate limit|too many/i,
    make: (text, broker) => new BrokerRateLimitedError(broker, retryAfterFrom(text), text),
  },
];

/** A retry-after in a reject text (`retry after 1000 ms`), or one second. */
function retryAfterFrom(text: string): number {
  const m = /(\d+)\s*ms/i.exec(text);
  return m ? Number(m[1]) : 1_000;
}

/** The typed error of a BusinessMessageReject (`j`) or a rejected ExecutionReport, from its text. */
export function rejectError(text: string, broker = BROKER): BrokerError {
  for (const row of BROAD) if (row.match.test(text)) return row.make(text, broker);
  return new BrokerRejectedError(broker, text);
}

/** The typed error of an OrderCancelReject (`9`): 102=1 is an unknown order, the rest broker rejects. */
export function cancelRejectError(
  orderId: string,
  reason: string | undefined,
  text: string,
  broker = BROKER,
) {
  if (reason === '1') return new BrokerUnknownOrderError(broker, orderId);
  return new BrokerRejectedError(broker, text || `cancel/replace rejected (102=${reason ?? '?'})`);
}

/** True for errors that leave an order's outcome unknown. */
export function isOutcomeUnknown(error: unknown): boolean {
  return (
    error instanceof BrokerError &&
    (error.code === ErrorCode.BrokerTimeout || error.code === ErrorCode.BrokerDisconnected)
  );
}

/** The FIX simulator could not start (its port is taken, most often): nothing to retry automatically. */
export class FixSimulatorError extends TradeNovaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.BrokerUnavailable, message, { ...options, disposition: 'fatal' });
  }
}
