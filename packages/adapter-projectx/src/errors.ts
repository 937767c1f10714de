import {
  BrokerAuthError,
  BrokerDisconnectedError,
  type BrokerError,
  BrokerRateLimitedError,
  BrokerRejectedError,
  BrokerTimeoutError,
  BrokerTokenExpiredError,
} from '@tradenova/core';
import { type BrokerErrorKind, brokerError } from '@tradenova/core/adapter';

/** The `broker` name in every error this adapter raises. */
export const BROKER = 'projectx';

/** How long to wait after a 429 when the server gives no `Retry-After` (the notes document none). */
export const DEFAULT_RETRY_AFTER_MS = 5_000;

/** What an answer means for the caller. */
type ErrorKind = Exclude<BrokerErrorKind, 'rate-limited' | 'disconnected'>;

/** One endpoint's `errorCode` enum: name and meaning per code (§3–§6; the same integer differs per endpoint). */
type CodeTable = Readonly<Record<number, readonly [name: string, kind: ErrorKind]>>;

const LOGIN: CodeTable = {
  1: ['UserNotFound', 'auth'],
  2: ['PasswordVerificationFailed', 'auth'],
  3: ['InvalidCredentials', 'auth'],
  4: ['AppNotFound', 'auth'],
  5: ['AppVerificationFailed', 'auth'],
  6: ['InvalidDevice', 'auth'],
  7: ['AgreementsNotSigned', 'auth'],
  8: ['UnknownError', 'auth'],
  9: ['ApiSubscriptionNotFound', 'auth'],
  10: ['ApiKeyAuthenticationDisabled', 'auth'],
};

const VALIDATE: CodeTable = {
  1: ['InvalidSession', 'token-expired'],
  2: ['SessionNotFound', 'token-expired'],
  3: ['ExpiredToken', 'token-expired'],
  4: ['UnknownError', 'unavailable'],
};

const PLACE: CodeTable = {
  1: ['AccountNotFound', 'rejected'],
  2: ['OrderRejected', 'rejected'],
  3: ['InsufficientFunds', 'rejected'],
  4: ['AccountViolation', 'rejected'],
  5: ['OutsideTradingHours', 'rejected'],
  // Another request on the order is still being processed: nothing happened, a later retry may pass.
  6: ['OrderPending', 'unavailable'],
  7: ['UnknownError', 'rejected'],
  8: ['ContractNotFound', 'rejected'],
  9: ['ContractNotActive', 'rejected'],
  10: ['AccountRejected', 'rejected'],
};

const MODIFY: CodeTable = {
  1: ['AccountNotFound', 'rejected'],
  2: ['OrderNotFound', 'unknown-order'],
  3: ['Rejected', 'rejected'],
  4: ['Pending', 'unavailable'],
  5: ['UnknownError', 'rejected'],
  6: ['AccountRejected', 'rejected'],
  7: ['ContractNotFound', 'rejected'],
};

const CANCEL: CodeTable = {
  1: ['AccountNotFound', 'rejected'],
  2: ['OrderNotFound', 'unknown-order'],
  3: ['Rejected', 'rejected'],
  4: ['Pending', 'unavailable'],
  5: ['UnknownError', 'rejected'],
  // "Follower accounts cannot cancel orders" / "Live accounts not supported".
  6: ['AccountRejected', 'rejected'],
};

const CLOSE: CodeTable = {
  1: ['AccountNotFound', 'rejected'],
  2: ['PositionNotFound', 'rejected'],
  3: ['ContractNotFound', 'rejected'],
  4: ['ContractNotActive', 'rejected'],
  5: ['OrderRejected', 'rejected'],
  6: ['OrderPending', 'unavailable'],
  7: ['UnknownError', 'rejected'],
  8: ['AccountRejected', 'rejected'],
};

const CONTRACT_BY_ID: CodeTable = { 1: ['ContractNotFound', 'rejected'] };

/** The code table of each endpoint (paths as after `/api/`). */
const TABLES: Readonly<Record<string, CodeTable>> = {
  'Auth/loginKey': LOGIN,
  'Auth/validate': VALIDATE,
  'Order/place': PLACE,
  'Order/modify': MODIFY,
  'Order/cancel': CANCEL,
  'Position/closeContract': CLOSE,
  'Contract/searchById': CONTRACT_BY_ID,
};

/** The name of an endpoint's error code, e.g. `OrderRejected`, or `errorCode N` when unknown. */
export function errorCodeName(endpoint: string, code: number): string {
  return TABLES[endpoint]?.[code]?.[0] ?? `errorCode ${code}`;
}

/** Where an answer came from. */
export interface ErrorContext {
  /** `Order/place`, `Auth/loginKey`, ... */
  endpoint: string;
  /** The order id the request was about, for unknown-order errors. */
  orderId?: string;
}

/**
 * The typed error of a `success: false` envelope. The message keeps the broker's
 * `errorMessage` verbatim (it is the only detail for errorCode 2 rejects) and the
 * code's name; it never contains the request body, so no key or token leaks.
 */
export function errorFromEnvelope(
  body: { errorCode?: unknown; errorMessage?: unknown },
  context: ErrorContext,
): BrokerError {
  const code = typeof body.errorCode === 'number' ? body.errorCode : -1;
  const message = typeof body.errorMessage === 'string' && body.errorMessage ? body.errorMessage : undefined;
  const name = errorCodeName(context.endpoint, code);
  const kind = TABLES[context.endpoint]?.[code]?.[1] ?? 'rejected';
  const text = message === undefined ? name : `${name}: ${message}`;
  return brokerError(kind, { broker: BROKER, text, ...context });
}

/** The typed error of a non-200 HTTP status (§2: 400, 401, 429; 5xx). */
export function errorFromStatus(
  status: number,
  text: string,
  context: ErrorContext,
  retryAfterMs?: number,
): BrokerError {
  const detail = text ? `${status} ${truncate(text)}` : String(status);
  if (status === 401) return new BrokerTokenExpiredError(BROKER, `${context.endpoint}: ${detail}`);
  if (status === 429) {
    return new BrokerRateLimitedError(
      BROKER,
      retryAfterMs ?? DEFAULT_RETRY_AFTER_MS,
      `${context.endpoint}: 429`,
    );
  }
  if (status === 403) return new BrokerAuthError(BROKER, `${context.endpoint}: ${detail}`);
  // A 5xx after sending leaves the outcome unknown: never call it a reject.
  if (status >= 500) {
    return new BrokerDisconnectedError(
      BROKER,
      `${context.endpoint}: server error ${detail} (outcome unknown)`,
    );
  }
  return new BrokerRejectedError(BROKER, `${context.endpoint}: ${detail}`);
}

/** A failed send is never a reject: the request may have been processed, so the outcome is unknown. */
export function transportError(error: unknown, endpoint: string, timeoutMs: number): BrokerError {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new BrokerTimeoutError(BROKER, timeoutMs, { cause: error });
  }
  return new BrokerDisconnectedError(BROKER, `${endpoint}: connection failed (outcome unknown)`, {
    cause: error,
  });
}

/** `Retry-After` (seconds or an HTTP date) in ms, when the server sent one. */
export function retryAfterOf(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(1, Math.round(seconds * 1000));
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(1, at - now) : undefined;
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
