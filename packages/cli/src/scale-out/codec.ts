import { TOPICS } from '@tradenova/core';
import { ROUTED_INTENT_VERSION, type RoutedIntent, routedPartition } from '@tradenova/core/engine';
import type { KafkaClient } from '../services/kafka/client.js';
import { EVENT_TYPE_HEADER, SCHEMA_ID_HEADER } from '../services/kafka/envelope.js';
import { prefixed } from '../services/kafka/topics.js';

/** Schema id of a routed intent on `trade.intents` (the engine's own `intent-created` events share the topic). */
export const ROUTED_INTENT_SCHEMA_ID = `tradenova.routed-intent.v${ROUTED_INTENT_VERSION}`;

/**
 * The JSON body, key, headers and partition of one routed intent: keyed by account (the
 * design's key), on its connection's partition (see `routedPartition`).
 */
export function encodeRouted(
  routed: RoutedIntent,
  partitions: number,
): {
  key: string;
  value: string;
  headers: Record<string, string>;
  partition: number;
} {
  return {
    key: routed.accountId,
    partition: routedPartition(routed.connection, partitions),
    value: JSON.stringify(routed),
    headers: { [SCHEMA_ID_HEADER]: ROUTED_INTENT_SCHEMA_ID, [EVENT_TYPE_HEADER]: 'intent-routed' },
  };
}

/** What one `trade.intents` message is for an executor. */
export type DecodedRouted =
  | { kind: 'routed'; routed: RoutedIntent }
  /** Another message on the topic (the engine's `intent-created` events): not for executors. */
  | { kind: 'other' }
  | { kind: 'invalid'; reason: string };

/** Reads one `trade.intents` message; never throws. */
export function decodeRouted(headers: Record<string, string>, value: string | null): DecodedRouted {
  if (headers[SCHEMA_ID_HEADER] !== ROUTED_INTENT_SCHEMA_ID) return { kind: 'other' };
  if (value === null) return { kind: 'invalid', reason: 'empty message' };
  let body: unknown;
  try {
    body = JSON.parse(value);
  } catch (error) {
    return { kind: 'invalid', reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const r = body as Partial<RoutedIntent> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    r.v !== ROUTED_INTENT_VERSION ||
    typeof r.follower !== 'string' ||
    typeof r.accountId !== 'string' ||
    typeof r.signal !== 'object' ||
    r.signal === null ||
    typeof r.signal.signalId !== 'string'
  ) {
    return { kind: 'invalid', reason: 'not a routed intent (v, follower, accountId, signal.signalId)' };
  }
  return { kind: 'routed', routed: r as RoutedIntent };
}

/** Partitions of `trade.intents` as the cluster has them (the design's count when the topic is not there yet). */
export async function intentPartitions(client: KafkaClient, prefix: string): Promise<number> {
  return (await client.listTopics()).get(prefixed(prefix, TOPICS.intents.name)) ?? TOPICS.intents.partitions;
}
