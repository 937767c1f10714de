import { BrokerDisconnectedError, type BrokerError, BrokerRateLimitedError } from '@tradenova/core';
import { type BrokerErrorKind, brokerError } from '@tradenova/core/adapter';
import type { TvPenalty } from './wire.js';

/** The `broker` name in every error this adapter raises. */
export const BROKER = 'tradovate';

/** How long a user-level 429 lockout lasts: the notes say it cannot be cleared programmatically (~1 hour). */
export const LOCKOUT_MS = 3_600_000;

/** What an error means for the caller; the tables below pick one per broker answer. */
type ErrorKind = Exclude<BrokerErrorKind, 'disconnected'>;

/**
 * `failureReason` values with a meaning beyond "the broker said no". Everything
 * not listed is a plain reject: the order was refused and retrying will not help.
 */
const FAILURE_REASON_TABLE: Readonly<Record<string, ErrorKind>> = {
  Unauthorized: 'auth',
  // Nothing was executed and the broker is the one at fault: a later retry may pass.
  ExecutionProviderUnavailable: 'unavailable',
  ExecutionProviderNotConfigured: 'unavailable',
  AnotherCommandPending: 'unavailable',
};

/** Substrings of `errorText` / text bodies (lower case), checked in order, as ccxt's `broad` table. */
const BROAD_TEXT_TABLE: readonly (readonly [string, ErrorKind])[] = [
  ['expired', 'token-expired'],
  ['incorrect username or password', 'auth'],
  ['access is denied', 'auth'],
  ['not found', 'unknown-order'],
];

/** HTTP statuses with a fixed meaning (§8). 423 is the warning before a 429 lockout. */
const STATUS_TABLE: Readonly<Record<number, ErrorKind>> = {
  401: 'token-expired',
  403: 'auth',
  404: 'unknown-order',
  423: 'rate-limited',
  429: 'rate-limited',
};

/** Where an answer came from, so the message says what was being done. */
export interface ErrorContext {
  /** `order/placeorder`, `auth/accesstokenrequest`, ... */
  endpoint: string;
  /** The order id the request was about, for unknown-order errors. */
  orderId?: string;
}

function build(kind: ErrorKind, text: string, context: ErrorContext, retryAfterMs = LOCKOUT_MS): BrokerError {
  return brokerError(kind, { broker: BROKER, text, ...context, retryAfterMs });
}

/** The typed error for an HTTP-200 body that reports a failure, or undefined when the body is a success. */
export function errorFromBody(body: unknown, context: ErrorContext): BrokerError | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  const failureReason = typeof record.failureReason === 'string' ? record.failureReason : undefined;
  if (failureReason !== undefined && failureReason !== 'Success') {
    const text =
      typeof record.failureText === 'string' && record.failureText ? record.failureText : failureReason;
    // An order command about an order the broker does not know fails with a generic reason;
    // only its text tells it apart from a reject.
    const kind =
      FAILURE_REASON_TABLE[failureReason] ??
      (kindOfText(text) === 'unknown-order' ? 'unknown-order' : 'rejected');
    return build(kind, kind === 'rejected' ? `${failureReason}: ${text}` : text, context);
  }
  if (Array.isArray(record.violations) && record.violations.length > 0) {
    const text = record.violations
      .map((v) =>
        v && typeof v === 'object' ? String((v as Record<string, unknown>).description ?? '') : '',
      )
      .filter(Boolean)
      .join('; ');
    return build('rejected', `violation: ${text || 'request not valid'}`, context);
  }
  const errorText = typeof record.errorText === 'string' && record.errorText ? record.errorText : undefined;
  if (errorText !== undefined || record.ok === false) {
    const text = errorText ?? 'request failed';
    // A token request that fails is an auth failure whatever the text says.
    if (context.endpoint.startsWith('auth/')) return build('auth', text, context);
    return build(kindOfText(text) ?? 'rejected', text, context);
  }
  return undefined;
}

/** The typed error for a non-2xx HTTP status (or WS `s`), with the body text if any. */
export function errorFromStatus(status: number, text: string, context: ErrorContext): BrokerError {
  const kind = STATUS_TABLE[status] ?? (status >= 500 ? undefined : kindOfText(text));
  const detail = text ? `${status} ${truncate(text)}` : String(status);
  if (kind === undefined) {
    // A 5xx after sending leaves the outcome unknown: never call it a reject.
    if (status >= 500)
      return new BrokerDisconnectedError(
        BROKER,
        `${context.endpoint}: server error ${detail} (outcome unknown)`,
      );
    return build('rejected', detail, context);
  }
  // 423 warns that a lockout is near: back off for a minute rather than an hour.
  return build(kind, detail, context, status === 423 ? 60_000 : LOCKOUT_MS);
}

/** The penalty ticket in a body, if it is one. */
export function penaltyOf(body: unknown): TvPenalty | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record['p-ticket'] !== 'string') return undefined;
  return {
    'p-ticket': record['p-ticket'],
    'p-time': typeof record['p-time'] === 'number' ? record['p-time'] : 0,
    'p-captcha': record['p-captcha'] === true,
  };
}

/** A penalty we will not (or cannot) wait out, as a typed rate-limit error. */
export function penaltyError(penalty: TvPenalty, context: ErrorContext): BrokerRateLimitedError {
  if (penalty['p-captcha']) {
    return new BrokerRateLimitedError(BROKER, LOCKOUT_MS, `${context.endpoint}: penalty needs a captcha`);
  }
  return new BrokerRateLimitedError(BROKER, penalty['p-time'] * 1000, `${context.endpoint}: time penalty`);
}

function kindOfText(text: string): ErrorKind | undefined {
  const lower = text.toLowerCase();
  return BROAD_TEXT_TABLE.find(([needle]) => lower.includes(needle))?.[1];
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
