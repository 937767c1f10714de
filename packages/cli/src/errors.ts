import { ConfigError, TradeNovaError } from '@tradenova/core';

/** Documented exit codes (docs/cli.md). */
export const ExitCode = {
  /** Clean run. */
  Ok: 0,
  /** The run finished but is not clean: a risk rule blocked an order, a signal was bad, or `--expect` differs. */
  NotClean: 1,
  /** Unusable input: bad config, unreadable file, bad flags. */
  BadInput: 2,
  /** An unexpected failure (a bug): please report it. */
  Internal: 70,
} as const;

/** An error the CLI reports as one clean message and an exit code, no stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.BadInput,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Turns any thrown value into the message and exit code the user sees. */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  // Kafka, PostgreSQL or Redis not answering: the message names which and where.
  if (error instanceof ServiceUnavailableError || error instanceof ServiceRefusedError)
    return { message: `${error.code}: ${error.message}`, exitCode: error.exitCode };
  if (error instanceof ConfigError) return { message: error.message, exitCode: ExitCode.BadInput };
  if (error instanceof TradeNovaError)
    return { message: `${error.code}: ${error.message}`, exitCode: ExitCode.BadInput };
  // A file the user named that is not there, wherever it was opened: bad input, not a bug.
  const errno = error as NodeJS.ErrnoException | null;
  if (errno?.code === 'ENOENT' && typeof errno.path === 'string')
    return { message: `file not found: ${errno.path}`, exitCode: ExitCode.BadInput };
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { message: `internal error (please report it):\n${message}`, exitCode: ExitCode.Internal };
}

/** Stable code of a service that cannot be reached (see docs/operations.md). */
export const SERVICE_UNAVAILABLE = 'TN_ERR_SERVICE_UNAVAILABLE';

/** Which external service an error is about. */
export type ServiceName = 'kafka' | 'postgres' | 'redis' | 'market-data';

/**
 * Kafka, PostgreSQL or Redis did not answer. Names which service and where, so the
 * message alone tells an operator what to fix; the CLI maps it to exit code 2.
 */
export class ServiceUnavailableError extends Error {
  /** Stable error code. */
  readonly code = SERVICE_UNAVAILABLE;
  /** The exit code the CLI uses for it. */
  readonly exitCode = 2;
  /** The service that did not answer. */
  readonly service: ServiceName;
  /** Where it was looked for, with any password removed. */
  readonly where: string;

  constructor(service: ServiceName, where: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`${service} is not reachable at ${redactUrl(where)}${reason}`, options);
    this.name = 'ServiceUnavailableError';
    this.service = service;
    this.where = redactUrl(where);
  }
}

/** Stable code of a service that answers but refuses what the copier needs of it. */
export const SERVICE_REFUSED = 'TN_ERR_SERVICE_REFUSED';

/**
 * A service answered but refused what the copier needs (a role without the privilege to
 * create the journal's tables, a database that does not exist, a wrong password): set-up to
 * fix, not a bug and not an outage. The message names the service, where (password
 * removed), the service's own reason and what to change; the CLI maps it to exit code 2.
 */
export class ServiceRefusedError extends Error {
  readonly code = SERVICE_REFUSED;
  readonly exitCode = 2;
  readonly service: ServiceName;
  readonly where: string;

  constructor(
    service: ServiceName,
    where: string,
    reason: string,
    fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${service} at ${redactUrl(where)} refused: ${reason} (${fix})`, options);
    this.name = 'ServiceRefusedError';
    this.service = service;
    this.where = redactUrl(where);
  }
}

/** Removes the password from a URL (`postgres://user:secret@host` → `postgres://user:***@host`); other text is returned as is. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = '***';
    return url.toString();
  } catch {
    return text;
  }
}
