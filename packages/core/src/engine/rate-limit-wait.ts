import type { Clock } from '../clock/clock.js';
import { BrokerRateLimitedError } from '../errors.js';
import type { Logger } from '../util/logger.js';

/** How long opening a connection waits out a broker's rate limit before it fails. */
const OPEN_RATE_LIMIT_BUDGET_MS = 120_000;

/**
 * Runs `work`, waiting out a broker's rate limit as long as it asks (up to
 * OPEN_RATE_LIMIT_BUDGET_MS in all): a login refused for a minute after a restart storm
 * is a wait, not a reason to fail the start.
 */
export async function patiently(
  work: () => Promise<void>,
  at: { clock: Clock; log: Logger; stopped: () => boolean },
): Promise<void> {
  const giveUpAt = at.clock.now() + OPEN_RATE_LIMIT_BUDGET_MS;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof BrokerRateLimitedError) || at.stopped()) throw error;
      const wait = Math.max(100, error.retryAfterMs);
      if (at.clock.now() + wait > giveUpAt) throw error;
      at.log.warn({ err: error, waitMs: wait }, 'rate-limited while connecting; waiting');
      await new Promise<void>((resolve) => at.clock.setTimer(wait, resolve));
    }
  }
}
