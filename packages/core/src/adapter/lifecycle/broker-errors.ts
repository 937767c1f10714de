import {
  BrokerAuthError,
  BrokerDisconnectedError,
  type BrokerError,
  BrokerRateLimitedError,
  BrokerRejectedError,
  BrokerTokenExpiredError,
  BrokerUnavailableError,
  BrokerUnknownOrderError,
} from '../../errors.js';

/**
 * What a broker's answer means for the caller. An adapter's error tables (by status,
 * code or text, as ccxt's `exact` and `broad`) name one of these; `brokerError` makes
 * the typed error, the same way at every broker.
 */
export type BrokerErrorKind =
  | 'rejected'
  | 'auth'
  | 'token-expired'
  | 'rate-limited'
  | 'unknown-order'
  | 'unavailable'
  | 'disconnected';

export interface BrokerErrorDetail {
  /** The `broker` name of the error. */
  broker: string;
  /** The broker's own text, kept verbatim. */
  text: string;
  /** What was being done (`order/placeorder`), put before the text except on a reject. */
  endpoint?: string;
  /** The order the request was about: an unknown-order answer without one is a reject. */
  orderId?: string;
  /** How long to wait after a rate-limit answer; default one second. */
  retryAfterMs?: number;
}

/** The typed error of one broker answer of `kind`. */
export function brokerError(kind: BrokerErrorKind, detail: BrokerErrorDetail): BrokerError {
  const { broker, text, endpoint } = detail;
  const where = endpoint === undefined ? text : `${endpoint}: ${text}`;
  switch (kind) {
    case 'auth':
      return new BrokerAuthError(broker, where);
    case 'token-expired':
      return new BrokerTokenExpiredError(broker, where);
    case 'rate-limited':
      return new BrokerRateLimitedError(broker, detail.retryAfterMs ?? 1_000, where);
    case 'unknown-order':
      return detail.orderId === undefined
        ? new BrokerRejectedError(broker, where)
        : new BrokerUnknownOrderError(broker, detail.orderId);
    case 'unavailable':
      return new BrokerUnavailableError(broker, where);
    case 'disconnected':
      return new BrokerDisconnectedError(broker, where);
    case 'rejected':
      return new BrokerRejectedError(broker, text);
  }
}
