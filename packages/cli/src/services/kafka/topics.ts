import { TOPICS, type TopicName } from '@tradenova/core';
import type { TopicSpec } from './client.js';

/**
 * The Kafka topic for a design topic under a prefix: `prefixed('tn.', 'trade.signals')`
 * is `tn.trade.signals`. A prefix lets several deployments (or test runs) share a cluster.
 */
export function prefixed(prefix: string, topic: TopicName): string {
  return `${prefix}${topic}`;
}

/** Every topic of the design with its partition count, under a prefix. */
export function designTopics(prefix = ''): TopicSpec[] {
  return Object.values(TOPICS).map((t) => ({ name: prefixed(prefix, t.name), partitions: t.partitions }));
}
