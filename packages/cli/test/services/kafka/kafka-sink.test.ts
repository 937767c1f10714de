import { type EngineEvent, routeEvent, TOPICS } from '@tradenova/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  connectKafkajs,
  designTopics,
  ENGINE_EVENT_SCHEMA_ID,
  EventKeys,
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
      // The design's key (EventKeys: refused signals are keyed too).
      expect(message?.key).toBe(new EventKeys().messages(event)[0]?.key);
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

  it('keys one leader order to one partition, account states by account, refused signals with their source', async () => {
    const prefix = uniquePrefix('sink');
    prefixes.push(prefix);
    const sink = await KafkaSink.start({
      client,
      prefix,
      origin: 'g:LEAD',
      processId: 'host:1',
      accountsOf: (connection) => (connection === 'login-1' ? ['A1', 'A2'] : []),
    });
    const base = { leaderAccount: 'LEAD', detectedAt: 1, receivedAt: 1 };
    // Instruments chosen so the three land on different partitions by their own key.
    const instruments = ['MNQH7', 'ESH7', 'NQH7', 'YMH7', 'RTYH7', 'CLH7'];
    const events: EngineEvent[] = [];
    for (const [i, instrument] of instruments.entries()) {
      events.push({
        type: 'signal-received',
        time: 1,
        signal: {
          ...base,
          signalId: `n${i}`,
          action: 'new',
          leaderOrderId: `lo${i}`,
          instrument,
          side: 'buy',
          qty: 1,
          orderType: 'limit',
          limitPrice: '100.00',
        },
      });
      events.push({
        type: 'signal-received',
        time: 1,
        signal: {
          ...base,
          signalId: `m${i}`,
          action: 'modify',
          leaderOrderId: `lo${i}`,
          limitPrice: '101.00',
        },
      });
      events.push({
        type: 'signal-received',
        time: 1,
        signal: { ...base, signalId: `c${i}`, action: 'cancel', leaderOrderId: `lo${i}` },
      });
    }
    events.push({
      type: 'connection-status',
      time: 1,
      broker: 'paper',
      connection: 'login-1',
      state: 'connected',
    });
    events.push({
      type: 'signal-rejected',
      time: 1,
      field: '(value)',
      code: 'TN_ERR_SIGNAL_INVALID',
      message: 'not JSON',
      source: { topic: 'x.trade.signals', partition: 2, offset: '41' },
    });
    for (const event of events) sink.write(event);
    await sink.close();
    const received = await collect(
      client,
      [`${prefix}trade.signals`, `${prefix}account.status`, `${prefix}order.errors`],
      instruments.length * 3 + 2 + 1,
    );
    const bySignal = new Map(
      received
        .filter((m) => m.topic === `${prefix}trade.signals`)
        .map((m) => [JSON.parse(m.value!).signal.signalId as string, m]),
    );
    for (const [i, instrument] of instruments.entries()) {
      const [n, m, c] = [`n${i}`, `m${i}`, `c${i}`].map((id) => bySignal.get(id)!);
      // Modify and cancel under their leader order's instrument: the new order's partition.
      expect([n!.key, m!.key, c!.key]).toEqual([instrument, instrument, instrument]);
      expect(new Set([n!.partition, m!.partition, c!.partition]).size).toBe(1);
      expect(n!.headers['tn-origin']).toBe('g:LEAD');
    }
    // The instruments really spread over partitions: the keys above decided where each went.
    expect(new Set([...bySignal.values()].map((m) => m.partition)).size).toBeGreaterThan(1);
    const status = received.filter((m) => m.topic === `${prefix}account.status`);
    expect(status.map((m) => m.key).sort()).toEqual(['A1', 'A2']);
    const error = received.find((m) => m.topic === `${prefix}order.errors`)!;
    expect(error.key).toBe('x.trade.signals#2');
    expect(error.headers).toMatchObject({
      'tn-source-topic': 'x.trade.signals',
      'tn-source-partition': '2',
      'tn-source-offset': '41',
    });
  });
});
