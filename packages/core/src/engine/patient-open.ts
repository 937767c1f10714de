import { reconnectBackoff } from '../adapter/lifecycle/reconnect.js';
import type { Clock } from '../clock/clock.js';
import { BrokerRateLimitedError, ErrorCode, TradeNovaError } from '../errors.js';
import type { Logger } from '../util/logger.js';

/** How long opening a connection waits out a broker's rate limit before it fails. */
const OPEN_RATE_LIMIT_BUDGET_MS = 120_000;
/** How long opening a connection keeps trying a broker it cannot reach before it fails. */
const OPEN_UNREACHABLE_BUDGET_MS = 60_000;
/** The waits between those attempts: 0.5 s, doubling, at most 8 s (cockatiel's backoff). */
const UNREACHABLE_BACKOFF = { initialDelayMs: 500, maxDelayMs: 8_000, jitter: 0 };

/**
 * Runs `work` (a connection's login), waiting out a broker's rate limit as long as it asks
 * (up to OPEN_RATE_LIMIT_BUDGET_MS in all), and trying again with a growing wait while the
 * broker cannot be reached (a refused or dropped socket, a logon with no answer: errors
 * marked retryable) for up to OPEN_UNREACHABLE_BUDGET_MS. A login refused for a minute
 * after a restart storm, or a broker gateway restarting as the copier starts, is a wait,
 * not a reason to fail the start. Wrong credentials fail at once.
 */
export async function patiently(
  work: () => Promise<void>,
  at: { clock: Clock; log: Logger; stopped: () => boolean; connection?: string },
): Promise<void> {
  const startedAt = at.clock.now();
  const backoff = reconnectBackoff(UNREACHABLE_BACKOFF);
  let delays: ReturnType<typeof backoff.next> | undefined;
  let attempts = 0;
  for (;;) {
    // Stopped during a wait: no further attempt (it could open a socket nobody closes).
    if (attempts > 0 && at.stopped())
      throw new TradeNovaError(
        ErrorCode.EngineStopped,
        `stopped while opening ${at.connection ?? 'a connection'}`,
      );
    attempts++;
    try {
      return await work();
    } catch (error) {
      if (at.stopped()) throw error;
      let wait: number;
      if (error instanceof BrokerRateLimitedError) {
        wait = Math.max(100, error.retryAfterMs);
        if (at.clock.now() + wait > startedAt + OPEN_RATE_LIMIT_BUDGET_MS) throw error;
        at.log.warn(
          { err: error, waitMs: wait, connection: at.connection },
          'rate-limited while connecting; waiting',
        );
      } else if (error instanceof TradeNovaError && error.disposition === 'retryable') {
        delays = delays === undefined ? backoff.next() : delays.next(undefined);
        wait = delays.duration;
        if (at.clock.now() + wait > startedAt + OPEN_UNREACHABLE_BUDGET_MS) throw error;
        at.log.warn(
          { err: error, waitMs: wait, attempts, connection: at.connection },
          'could not reach the broker while connecting; trying again',
        );
      } else throw error;
      await new Promise<void>((resolve) => at.clock.setTimer(wait, resolve));
    }
  }
}
