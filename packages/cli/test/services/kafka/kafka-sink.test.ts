import { type EngineEvent, routeEvent, TOPICS } from '@tradenova/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  connectKafkajs,
  designTopics,
  ENGINE_EVENT_SCHEMA_ID,
  type KafkaClient,
  KafkaDeliveryError,
  KafkaSink,
} from '../../../src/services/kafka/index.js';
import { everyEventList } from '../fixtures.js';
import { describeWithService } from '../require-service.js';
import { collect, uniquePrefix } from './helpers.js';

describeWithService('kafka', 'KafkaSink on a real broker', (brokers) => {
  let client: KafkaClient;
  // Gives up after one retry, so the refused-delivery test fails fast; the others use the
  // default retries, which also ride out a new partition's first NOT_LEADER answers.
  let impatient: KafkaClient;
  const prefixes: string[] = [];

  beforeAll(async () => {
    client = await connectKafkajs({ brokers: brokers.split(',') });
    impatient = await connectKafkajs({ brokers: brokers.split(','), retries: 1 });
  });
  afterAll(async () => {
    const topics = prefixes.flatMap((p) => designTopics(p).map((t) => t.name));
    await client?.deleteTopics(topics).catch(() => {});
    await client?.close();
    await impatient?.close();
  });

  it('creates every design topic with its partition count under the prefix', async () => {
    const prefix = uniquePrefix('sink');
    prefixes.push(prefix);
    const sink = await KafkaSink.start({ client, prefix });
    await sink.close();
    const topics = await client.listTopics();
    for (const t of Object.values(TOPICS)) expect(topics.get(`${prefix}${t.name}`)).toBe(t.partitions);
  });

  it('publishes every event type to its topic and key as versioned JSON with a schema id', async () => {
    const prefix = uniquePrefix('sink');
    prefixes.push(prefix);
    const sink = await KafkaSink.start({ client, prefix });
    const events = everyEventList('ACC-42');
    for (const event of events) sink.write(event);
    await sink.flush();
    expect(sink.stats).toEqual({ delivered: events.length, failed: 0, pending: 0 });
    await sink.close();

    const topics = [...new Set(events.map((e) => `${prefix}${routeEvent(e).topic}`))];
    const received = await collect(client, topics, events.length);
    expect(received).toHaveLength(events.length);
    for (const event of events) {
      const message = received.find((m) => m.headers['tn-event-type'] === event.type);
      expect(message, event.type).toBeDefined();
      const route = routeEvent(event);
      expect(message?.topic).toBe(`${prefix}${route.topic}`);
      expect(message?.key).toBe(route.key);
      expect(message?.headers['tn-schema-id']).toBe(ENGINE_EVENT_SCHEMA_ID);
      expect(JSON.parse(message?.value ?? 'null')).toEqual({ v: 1, ...event });
    }
    // Keyed by account: every account-keyed event of ACC-42 shares one partition per topic.
    const executions = received.filter((m) => m.topic === `${prefix}${TOPICS.executions.name}`);
    expect(new Set(executions.map((m) => m.partition)).size).toBe(1);
  });

  it('leaves out excluded event types', async () => {
    const prefix = uniquePrefix('sink');
    prefixes.push(prefix);
    const sink = await KafkaSink.start({ client, prefix, exclude: ['signal-received'] });
    const events = everyEventList();
    for (const event of events) sink.write(event);
    await sink.close();
    expect(sink.stats.delivered).toBe(events.length - 1);
  });

  it('surfaces a delivery Kafka refused: to the listener, in stats, and from flush()', async () => {
    // No topics: the sink is told not to create them and the broker does not auto-create.
    const prefix = uniquePrefix('missing');
    const reported: KafkaDeliveryError[] = [];
    const sink = await KafkaSink.start({
      client: impatient,
      prefix,
      createTopics: false,
      onDeliveryError: (error) => reported.push(error),
    });
    const event: EngineEvent = everyEventList()[0]!;
    sink.write(event);
    const error = await sink.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaDeliveryError);
    expect((error as KafkaDeliveryError).events).toEqual([event]);
    expect(reported).toHaveLength(1);
    expect(sink.stats).toMatchObject({ delivered: 0, failed: 1, pending: 0 });
    // Reported once: the next flush has nothing new to say.
    await expect(sink.flush()).resolves.toBeUndefined();
    await sink.close();
    expect(() => sink.write(event)).toThrow(/after close/);
  });
});
