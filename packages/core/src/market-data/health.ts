import type { EventOf } from '../bus/events.js';
import { contractKey } from '../instruments/contract.js';
import type { FeedFreshness, MarketDataSource, MarketDataState } from './source.js';

/** The `service-status` event a price feed's health becomes (service `market-data`). */
export type FeedStatusEvent = EventOf<'service-status'> & { service: 'market-data' };

/** A point-in-time summary of a feed, for reports and status lines. */
export interface FeedHealth {
  source: string;
  state: MarketDataState;
  /** Contract keys with no price for longer than the source's stale limit, sorted. */
  stale: string[];
  /** Age of the oldest subscribed price in ms (0 with no subscriptions). */
  oldestAgeMs: number;
}

/** The feed's health now: its connection state and which contracts are stale. */
export function feedHealth(source: MarketDataSource): FeedHealth {
  const freshness = source.freshness();
  return {
    source: source.name,
    state: source.state(),
    stale: freshness
      .filter((f) => f.stale)
      .map((f) => contractKey(f.contract))
      .sort(),
    oldestAgeMs: freshness.reduce((max, f) => Math.max(max, f.ageMs), 0),
  };
}

/**
 * Turns a feed's freshness and connection changes into `service-status` events
 * (service `market-data`) for the engine's bus, where the dashboard shows them
 * and the journal records them: `degraded` when a contract goes stale or the
 * connection drops (a stale price must not mark P&L or pass a price check
 * unnoticed), `ok` once every contract is fresh and the feed is connected again.
 * Only changes are published. Returns the function that stops watching.
 */
export function publishFeedStatus(
  source: MarketDataSource,
  publish: (event: FeedStatusEvent) => void,
  options: { where: string; now?: () => number },
): () => void {
  const now = options.now ?? Date.now;
  let last: 'ok' | 'degraded' | undefined;
  const evaluate = (cause?: FeedFreshness) => {
    const health = feedHealth(source);
    const connected = health.state === 'connected';
    const state = connected && health.stale.length === 0 ? 'ok' : 'degraded';
    if (state === last) return;
    // Before the first problem there is nothing to report as recovered, and a first connect is no outage.
    if (last === undefined && (state === 'ok' || health.state === 'connecting')) {
      if (state === 'ok') last = state;
      return;
    }
    last = state;
    const event: FeedStatusEvent = {
      type: 'service-status',
      time: now(),
      service: 'market-data',
      state,
      where: `${source.name} ${options.where}`,
    };
    if (state === 'degraded') {
      event.reason = !connected
        ? `feed ${health.state}`
        : `no price for ${health.stale.join(', ')} in ${cause ? cause.ageMs : health.oldestAgeMs} ms`;
    }
    publish(event);
  };
  const offFresh = source.onFreshness((f) => evaluate(f));
  const offState = source.onState(() => evaluate());
  return () => {
    offFresh();
    offState();
  };
}
