import {
  BrokerAuthError,
  BrokerDisconnectedError,
  BrokerError,
  BrokerRejectedError,
  BrokerTimeoutError,
  ErrorCode,
} from '@tradenova/core';

/** The `broker` name in every error this adapter raises. */
export const BROKER = 'sierrachart';

/** A LOGON_RESPONSE with a Result other than success. */
export function logonError(resultText: string): BrokerAuthError {
  return new BrokerAuthError(BROKER, `logon refused: ${resultText || 'no reason given'}`);
}

/** The server does not allow trading: a setting on the Sierra Chart side, so retrying will not help. */
export function tradingDisabledError(): BrokerError {
  return new BrokerError(
    ErrorCode.BrokerUnavailable,
    BROKER,
    'the DTC server does not support trading: enable Allow Trading in Sierra Chart Server Settings',
    { disposition: 'fatal' },
  );
}

/** A reject from an ORDER_UPDATE, with the server's InfoText kept verbatim. */
export function orderRejected(infoText: string | undefined): BrokerRejectedError {
  return new BrokerRejectedError(BROKER, infoText && infoText !== '' ? infoText : 'rejected');
}

/** No answer in time: the request may have been carried out. */
export function timeoutError(afterMs: number): BrokerTimeoutError {
  return new BrokerTimeoutError(BROKER, afterMs);
}

/** The socket closed with requests open: their outcome is unknown. */
export function disconnectedError(message = 'connection to the DTC server lost'): BrokerDisconnectedError {
  return new BrokerDisconnectedError(BROKER, message);
}
