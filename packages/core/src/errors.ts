/** Stable error codes, documented in docs/errors.md. */
export const ErrorCode = {
  ConfigInvalid: 'TN_ERR_CONFIG_INVALID',
  SignalInvalid: 'TN_ERR_SIGNAL_INVALID',
  InstrumentUnknown: 'TN_ERR_INSTRUMENT_UNKNOWN',
  ContractInvalid: 'TN_ERR_CONTRACT_INVALID',
  PriceOffTick: 'TN_ERR_PRICE_OFF_TICK',
  MoneyInvalid: 'TN_ERR_MONEY_INVALID',
  BrokerAuth: 'TN_ERR_BROKER_AUTH',
  BrokerTokenExpired: 'TN_ERR_BROKER_TOKEN_EXPIRED',
  BrokerRateLimited: 'TN_ERR_BROKER_RATE_LIMITED',
  BrokerRejected: 'TN_ERR_BROKER_REJECTED',
  BrokerTimeout: 'TN_ERR_BROKER_TIMEOUT',
  BrokerDisconnected: 'TN_ERR_BROKER_DISCONNECTED',
  BrokerUnknownOrder: 'TN_ERR_BROKER_UNKNOWN_ORDER',
  BrokerUnavailable: 'TN_ERR_BROKER_UNAVAILABLE',
  AdapterUnknown: 'TN_ERR_ADAPTER_UNKNOWN',
  AdapterIncompatible: 'TN_ERR_ADAPTER_INCOMPATIBLE',
  EngineStopped: 'TN_ERR_ENGINE_STOPPED',
  VaultKeyMissing: 'TN_ERR_VAULT_KEY_MISSING',
  VaultLocked: 'TN_ERR_VAULT_LOCKED',
  VaultInvalid: 'TN_ERR_VAULT_INVALID',
  WebhookRejected: 'TN_ERR_WEBHOOK_REJECTED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What a caller should do next with an error: try again (maybe after a wait), give up, or stop the connection. */
export type ErrorDisposition = 'retryable' | 'not-retryable' | 'fatal';

/** Base of every error TradeNova throws on purpose. */
export class TradeNovaError extends Error {
  readonly code: ErrorCode;
  readonly disposition: ErrorDisposition;
  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; disposition?: ErrorDisposition },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.disposition = options?.disposition ?? 'not-retryable';
  }
}

/** One problem in a config, with where it is. */
export interface ConfigIssue {
  /** Dotted field path, e.g. `followers[3].scaling.factor`. */
  path: string;
  message: string;
  /** Source position when the config came from a file. */
  file?: string;
  line?: number;
  column?: number;
}

export class ConfigError extends TradeNovaError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(ErrorCode.ConfigInvalid, `invalid config:\n${issues.map(formatConfigIssue).join('\n')}`);
    this.issues = issues;
  }
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.file ? `${issue.file}:${issue.line ?? 1}:${issue.column ?? 1}: ` : '';
  return `${where}${issue.path || '(root)'}: ${issue.message}`;
}

/** A signal that cannot be used; `field` names the offending field. */
export class SignalError extends TradeNovaError {
  readonly field: string;
  readonly line: number | undefined;
  /** The reason alone, without the line and field prefix. */
  readonly reason: string;
  constructor(field: string, reason: string, line?: number) {
    super(ErrorCode.SignalInvalid, `${line === undefined ? '' : `line ${line}: `}${field}: ${reason}`);
    this.field = field;
    this.line = line;
    this.reason = reason;
  }
}

export class InstrumentError extends TradeNovaError {}

/** Errors a broker connection reports. Timeouts and disconnects leave the order's outcome unknown. */
export class BrokerError extends TradeNovaError {
  readonly broker: string;
  constructor(
    code: ErrorCode,
    broker: string,
    message: string,
    options?: { cause?: unknown; disposition?: ErrorDisposition },
  ) {
    super(code, `${broker}: ${message}`, options);
    this.broker = broker;
  }
}

export class BrokerAuthError extends BrokerError {
  constructor(broker: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.BrokerAuth, broker, message, { ...options, disposition: 'fatal' });
  }
}

export class BrokerTokenExpiredError extends BrokerError {
  constructor(broker: string, message = 'access token expired', options?: { cause?: unknown }) {
    super(ErrorCode.BrokerTokenExpired, broker, message, { ...options, disposition: 'retryable' });
  }
}

export class BrokerRateLimitedError extends BrokerError {
  /** How long the broker asked us to wait, in ms. */
  readonly retryAfterMs: number;
  constructor(broker: string, retryAfterMs: number, message = 'rate limited', options?: { cause?: unknown }) {
    super(ErrorCode.BrokerRateLimited, broker, `${message} (retry after ${retryAfterMs} ms)`, {
      ...options,
      disposition: 'retryable',
    });
    this.retryAfterMs = retryAfterMs;
  }
}

export class BrokerRejectedError extends BrokerError {
  /** The broker's own reason text, kept verbatim. */
  readonly reason: string;
  constructor(broker: string, reason: string, options?: { cause?: unknown }) {
    super(ErrorCode.BrokerRejected, broker, `rejected: ${reason}`, {
      ...options,
      disposition: 'not-retryable',
    });
    this.reason = reason;
  }
}

/** The request may or may not have reached the broker: reconcile before acting again. */
export class BrokerTimeoutError extends BrokerError {
  constructor(broker: string, afterMs: number, options?: { cause?: unknown }) {
    super(ErrorCode.BrokerTimeout, broker, `no answer within ${afterMs} ms (outcome unknown)`, {
      ...options,
      disposition: 'retryable',
    });
  }
}

export class BrokerDisconnectedError extends BrokerError {
  constructor(broker: string, message = 'disconnected', options?: { cause?: unknown }) {
    super(ErrorCode.BrokerDisconnected, broker, message, { ...options, disposition: 'retryable' });
  }
}

export class BrokerUnknownOrderError extends BrokerError {
  constructor(broker: string, orderId: string, options?: { cause?: unknown }) {
    super(ErrorCode.BrokerUnknownOrder, broker, `unknown order ${orderId}`, {
      ...options,
      disposition: 'not-retryable',
    });
  }
}

/** Nothing was sent: the breaker is open or the bulkhead is full. */
export class BrokerUnavailableError extends BrokerError {
  constructor(broker: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.BrokerUnavailable, broker, message, { ...options, disposition: 'retryable' });
  }
}
