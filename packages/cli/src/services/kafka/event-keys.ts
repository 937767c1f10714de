import { type EngineEvent, routeEvent, type TopicName } from '@tradenova/core';

/** Headers of a message sent to `order.errors` for a message read from Kafka. */
export const SOURCE_TOPIC_HEADER = 'tn-source-topic';
export const SOURCE_PARTITION_HEADER = 'tn-source-partition';
export const SOURCE_OFFSET_HEADER = 'tn-source-offset';

/** One event as messages: topic, key and headers beyond the envelope's. */
export interface KeyedEvent {
  topic: TopicName;
  key: string | null;
  headers: Record<string, string>;
}

/** Settings of `EventKeys`. */
export interface EventKeysOptions {
  /** The accounts a broker connection holds: its connection and breaker states go to each one's key. */
  accountsOf?: (connection: string) => readonly string[];
  /** This process's id: the key of what it publishes on `system.heartbeat`. */
  processId?: string;
  /** Leader orders remembered for their instrument (default 100,000; the oldest are forgotten first). */
  maxLeaderOrders?: number;
}

/**
 * The design's keys for each event (docs/architecture, shared DESIGN "Bus"), where
 * core's `routeEvent` cannot know them alone: a modify or cancel signal goes under its
 * leader order's instrument, remembered from the order's `new` signal, so one leader
 * order stays on one partition of `trade.signals` (and one router); a connection's
 * state goes to `account.status` once per account it holds, keyed by account id; a
 * refused signal is keyed (signal id, else where it was read) and carries the source
 * topic, partition and offset as headers; process health is keyed by process id.
 */
export class EventKeys {
  readonly #options: EventKeysOptions;
  readonly #instrumentOf = new Map<string, string>();

  constructor(options: EventKeysOptions = {}) {
    this.#options = options;
  }

  messages(event: EngineEvent): KeyedEvent[] {
    const route = routeEvent(event);
    switch (event.type) {
      case 'signal-received': {
        const s = event.signal;
        if (s.action === 'new') {
          this.#remember(s.leaderOrderId, s.instrument);
          return [{ topic: route.topic, key: s.instrument, headers: {} }];
        }
        if (s.action === 'modify' || s.action === 'cancel') {
          return [{ topic: route.topic, key: this.#instrumentOf.get(s.leaderOrderId) ?? null, headers: {} }];
        }
        return [{ topic: route.topic, key: route.key, headers: {} }];
      }
      case 'connection-status':
      case 'breaker-changed': {
        const accounts = this.#options.accountsOf?.(event.connection) ?? [];
        if (accounts.length === 0) return [{ topic: route.topic, key: event.connection, headers: {} }];
        return accounts.map((account) => ({ topic: route.topic, key: account, headers: {} }));
      }
      case 'signal-rejected': {
        const source = event.source;
        const headers: Record<string, string> = source
          ? {
              [SOURCE_TOPIC_HEADER]: source.topic,
              [SOURCE_PARTITION_HEADER]: String(source.partition),
              [SOURCE_OFFSET_HEADER]: source.offset,
            }
          : {};
        const key =
          event.signalId ??
          (source ? `${source.topic}#${source.partition}` : (this.#options.processId ?? 'unknown-signal'));
        return [{ topic: route.topic, key, headers }];
      }
      case 'service-status':
        return [{ topic: route.topic, key: this.#options.processId ?? route.key, headers: {} }];
      default:
        return [{ topic: route.topic, key: route.key, headers: {} }];
    }
  }

  #remember(leaderOrderId: string, instrument: string): void {
    const max = this.#options.maxLeaderOrders ?? 100_000;
    this.#instrumentOf.delete(leaderOrderId);
    this.#instrumentOf.set(leaderOrderId, instrument);
    if (this.#instrumentOf.size > max) {
      const oldest = this.#instrumentOf.keys().next().value;
      if (oldest !== undefined) this.#instrumentOf.delete(oldest);
    }
  }
}
