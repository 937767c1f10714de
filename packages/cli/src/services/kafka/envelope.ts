import type { EngineEvent } from '@tradenova/core';

/** Version of the JSON body every TradeNova Kafka message carries. */
export const ENVELOPE_VERSION = 1;

/** Header naming the body's schema, so a consumer can route or reject without parsing. */
export const SCHEMA_ID_HEADER = 'tn-schema-id';
/** Header with the event type, for consumers that only want some events of a topic. */
export const EVENT_TYPE_HEADER = 'tn-event-type';
/** Header naming the publisher (see `KafkaSink` `origin`): a source skips signals it published itself. */
export const ORIGIN_HEADER = 'tn-origin';
/** Schema id of an engine event body at this version. */
export const ENGINE_EVENT_SCHEMA_ID = `tradenova.engine-event.v${ENVELOPE_VERSION}`;

/** An engine event as published: the event's own fields plus the body version. */
export type EventEnvelope = { v: typeof ENVELOPE_VERSION } & EngineEvent;

/** The JSON body and headers of one engine event. */
export function encodeEvent(event: EngineEvent): { value: string; headers: Record<string, string> } {
  const body: EventEnvelope = { v: ENVELOPE_VERSION, ...event };
  return {
    value: JSON.stringify(body),
    headers: { [SCHEMA_ID_HEADER]: ENGINE_EVENT_SCHEMA_ID, [EVENT_TYPE_HEADER]: event.type },
  };
}
