import type { EngineEvent } from './events.js';

/** Topic names, partition counts and keys of the design (shared/DESIGN.md, "Bus, sinks and scale-out"). */
export const TOPICS = {
  signals: { name: 'trade.signals', partitions: 3, key: 'instrument' },
  intents: { name: 'trade.intents', partitions: 10, key: 'account id' },
  executions: { name: 'trade.executions', partitions: 10, key: 'account id' },
  positions: { name: 'positions.updates', partitions: 10, key: 'account id' },
  accountStatus: { name: 'account.status', partitions: 20, key: 'account id' },
  orderErrors: { name: 'order.errors', partitions: 5, key: 'account id' },
  heartbeat: { name: 'system.heartbeat', partitions: 1, key: null },
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS]['name'];

/** The topic and partition key an event is published under. */
export function routeEvent(event: EngineEvent): { topic: TopicName; key: string | null } {
  switch (event.type) {
    case 'signal-received':
      return {
        topic: TOPICS.signals.name,
        key: 'instrument' in event.signal ? (event.signal.instrument ?? null) : null,
      };
    case 'intent-created':
      return { topic: TOPICS.intents.name, key: event.intent.accountId };
    case 'order-placed':
    case 'order-modified':
    case 'order-rejected':
    case 'order-timed-out':
      return { topic: TOPICS.executions.name, key: event.intent.accountId };
    case 'order-cancelled':
      return { topic: TOPICS.executions.name, key: event.accountId };
    case 'order-reconciled':
      return { topic: TOPICS.executions.name, key: event.intent.accountId };
    case 'position-reconciled':
      return { topic: TOPICS.positions.name, key: event.accountId };
    case 'order-filled':
      return { topic: TOPICS.executions.name, key: event.execution.accountId };
    case 'position-updated':
      return { topic: TOPICS.positions.name, key: event.position.accountId };
    case 'account-status':
    case 'follower-recovery':
      return { topic: TOPICS.accountStatus.name, key: event.accountId };
    case 'connection-status':
    case 'breaker-changed':
      return { topic: TOPICS.accountStatus.name, key: event.connection };
    case 'account-flattened':
      return { topic: TOPICS.executions.name, key: event.accountId };
    case 'account-pnl':
      return { topic: TOPICS.accountStatus.name, key: event.accountId };
    case 'order-blocked':
    case 'order-failed':
      return { topic: TOPICS.orderErrors.name, key: event.intent.accountId };
    case 'signal-rejected':
      return { topic: TOPICS.orderErrors.name, key: null };
    case 'signal-completed':
      return { topic: TOPICS.signals.name, key: null };
    case 'service-status':
      return { topic: TOPICS.heartbeat.name, key: null };
  }
}
