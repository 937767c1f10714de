import { ConfigError, TradeNovaError } from '@tradenova/core';
import { ServiceUnavailableError } from './services/errors.js';

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
  // Kafka, PostgreSQL or Redis not answering (services/errors.ts): the message names which and where.
  if (error instanceof ServiceUnavailableError)
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
