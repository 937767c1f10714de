import {
  BrokerAuthError,
  BrokerError,
  BrokerRateLimitedError,
  BrokerRejectedError,
  ErrorCode,
} from '@tradenova/core';

/** The broker name in errors and events. */
export const BROKER = 'rithmic';

/** Retry-after for a rate-limit answer: Rithmic's answers carry no wait, so a second is assumed. */
export const RATE_LIMIT_RETRY_MS = 1_000;

/** The reason of a connection-changed event after a `ForcedLogout` (77): stable, so a UI can match on it. */
export const FORCED_LOGOUT_REASON = 'forced-logout';

/** `rp_code` values that mean success: `0`, and `7` ("no data", not an error; §3). */
export function isSuccess(rpCode: readonly string[]): boolean {
  return rpCode[0] === '0' || rpCode[0] === '7';
}

/**
 * Text fragments of `rp_code` answers that mean "slow down" (lower case). Rithmic
 * documents no rate-limit code, so the mapping is by text and kept in one table.
 */
const RATE_LIMIT_TEXT = ['rate limit', 'too many', 'throttl'];

/** Text fragments of login answers that mean bad credentials or no permission. */
const AUTH_TEXT = ['password', 'user', 'login', 'permission', 'not authorized', 'authentication'];

/**
 * The error of a non-success `rp_code` (`[code, text]`) for a request. Login errors
 * are auth errors; everything else is a reject unless the text says rate limit.
 */
export function errorFromRpCode(rpCode: readonly string[], request: string): BrokerError {
  const code = rpCode[0] ?? '?';
  const text = rpCode.slice(1).join(' ').trim() || `rp_code ${code}`;
  const lower = text.toLowerCase();
  if (RATE_LIMIT_TEXT.some((t) => lower.includes(t))) {
    return new BrokerRateLimitedError(BROKER, RATE_LIMIT_RETRY_MS, `${request}: ${text} (rp_code ${code})`);
  }
  if (request === 'RequestLogin' && (AUTH_TEXT.some((t) => lower.includes(t)) || code === '13')) {
    return new BrokerAuthError(BROKER, `login refused: ${text} (rp_code ${code})`);
  }
  return new BrokerRejectedError(BROKER, `${text} (rp_code ${code})`);
}

/**
 * The session was ended by Rithmic with `ForcedLogout` (77), most often because the
 * same user logged in elsewhere. Fatal: logging in again may push the other session
 * out in turn, so the user decides.
 */
export class RithmicForcedLogoutError extends BrokerError {
  constructor(plant: string) {
    super(
      ErrorCode.BrokerDisconnected,
      BROKER,
      `forced logout on the ${plant} plant (another session on this login?)`,
      { disposition: 'fatal' },
    );
  }
}
