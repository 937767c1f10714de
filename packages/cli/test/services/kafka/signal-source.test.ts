import { randomUUID } from 'node:crypto';
import { TOPICS, type TradeSignal } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  connectKafkajs,
  designTopics,
  encodeEvent,
  type KafkaClient,
  type KafkaProducer,
  KafkaSignalSource,
} from '../../../src/services/kafka/index.js';
import { sampleSignal } from '../fixtures.js';
import { describeWithService } from '../require-service.js';
import { collect, uniquePrefix } from './helpers.js';

describeWithService('kafka', 'KafkaSignalSource on a real broker', (brokers) => {
  let client: KafkaClient;
  let producer: KafkaProducer;
  const prefix = uniquePrefix('source');
  const signals = `${prefix}${TOPICS.signals.name}`;
  const errors = `${prefix}${TOPICS.orderErrors.name}`;

  beforeAll(async () => {
    client = await connectKafkajs({ brokers: brokers.split(',') });
    await client.createTopics(designTopics(prefix));
    producer = await client.producer();
  });
  afterAll(async () => {
    await producer?.close();
    await client?.deleteTopics(designTopics(prefix).map((t) => t.name)).catch(() => {});
    await client?.close();
  });

  it('hands valid signals to the handler and reports malformed ones to order.errors, then goes on', async () => {
    const groupId = `router-${randomUUID()}`;
    const received: TradeSignal[] = [];
    const source = new KafkaSignalSource({ client, prefix, groupId, fromBeginning: true });
    await source.start(async (signal) => {
      received.push(signal);
    });
    const bare = sampleSignal('s-bare');
    const enveloped = encodeEvent({ type: 'signal-received', time: 1, signal: sampleSignal('s-env') }).value;
    const completed = encodeEvent({
      type: 'signal-completed',
      time: 2,
      signalId: 's-env',
      outcomes: [],
    }).value;
    const values = [
      'not json {',
      JSON.stringify(bare),
      JSON.stringify({ ...sampleSignal('s-neg'), qty: -1 }),
      enveloped,
      completed,
      JSON.stringify({ v: 2, type: 'signal-received' }),
      JSON.stringify(sampleSignal('s-last')),
    ];
    // One key: one partition, so the order below is the order handled.
    await producer.send([{ topic: signals, messages: values.map((value) => ({ key: 'MNQZ25', value })) }]);
    await waitFor(() => received.length === 3 && source.stats.rejected === 3, {
      message: 'three signals and three rejects',
      timeout: 15_000,
    });
    expect(received.map((s) => s.signalId)).toEqual(['s-bare', 's-env', 's-last']);
    expect(received[0]).toEqual(bare);
    expect(source.stats).toEqual({ signals: 3, rejected: 3, skipped: 1 });

    const reports = await collect(client, [errors], 3);
    const bodies = reports.map((m) => JSON.parse(m.value ?? '{}') as Record<string, unknown>);
    expect(bodies.map((b) => b.type)).toEqual(['signal-rejected', 'signal-rejected', 'signal-rejected']);
    expect(bodies.map((b) => b.field).sort()).toEqual(['(value)', 'qty', 'v']);
    const negative = bodies.find((b) => b.field === 'qty');
    expect(negative).toMatchObject({ v: 1, signalId: 's-neg', code: 'TN_ERR_SIGNAL_INVALID' });
    expect(String(negative?.message)).toMatch(/more than 0/);
    const notJson = reports.find((m) => JSON.parse(m.value ?? '{}').field === '(value)');
    expect(notJson?.headers).toMatchObject({ 'tn-source-topic': signals, 'tn-source-offset': '0' });
    // Keyed: by signal id when the message named one, else by where it was read.
    expect(reports.find((m) => JSON.parse(m.value ?? '{}').field === 'qty')?.key).toBe('s-neg');
    expect(notJson?.key).toBe(`${signals}#${notJson?.headers['tn-source-partition']}`);
    expect(reports.every((m) => m.key !== null && m.headers['tn-source-offset'] !== undefined)).toBe(true);
    await source.stop();

    // Everything above was committed: a new member of the group sees only what comes next.
    const later: string[] = [];
    const next = new KafkaSignalSource({ client, prefix, groupId, fromBeginning: true });
    await next.start((signal) => {
      later.push(signal.signalId);
    });
    // 's-end' marks the end of the stream: one key, one partition, so anything replayed comes before it.
    await producer.send([
      {
        topic: signals,
        messages: ['s-new', 's-end'].map((id) => ({
          key: 'MNQZ25',
          value: JSON.stringify(sampleSignal(id)),
        })),
      },
    ]);
    await waitFor(() => later.includes('s-end'), { message: 'the end marker', timeout: 15_000 });
    await next.stop();
    expect(later).toEqual(['s-new', 's-end']);
  });

  it('skips the signals its own process published (tn-origin), copies everyone else’s', async () => {
    const groupId = `router-${randomUUID()}`;
    const received: string[] = [];
    const source = new KafkaSignalSource({
      client,
      prefix,
      groupId,
      fromBeginning: false,
      ignoreOrigin: 'g:LEAD',
    });
    await source.start((signal) => {
      received.push(signal.signalId);
    });
    const message = (id: string, origin?: string) => ({
      key: 'MNQZ25',
      value: JSON.stringify(sampleSignal(id)),
      ...(origin ? { headers: { 'tn-origin': origin } } : {}),
    });
    await producer.send([
      {
        topic: signals,
        messages: [message('mine', 'g:LEAD'), message('theirs', 'g:OTHER'), message('bare')],
      },
    ]);
    await waitFor(() => received.length >= 2 && source.stats.skipped >= 1, {
      message: 'two signals copied, one skipped',
      timeout: 15_000,
    });
    await source.stop();
    expect(received).toEqual(['theirs', 'bare']);
    expect(source.stats).toMatchObject({ signals: 2, skipped: 1 });
  });
});
