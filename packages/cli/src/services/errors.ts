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

/** A message for any thrown value, for reports and events. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
