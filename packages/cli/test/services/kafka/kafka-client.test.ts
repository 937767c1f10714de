import { randomUUID } from 'node:crypto';
import { waitFor } from '@tradenova/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../../src/services/errors.js';
import {
  connectKafkajs,
  type IncomingMessage,
  type KafkaClient,
  type KafkaProducer,
  MessageReleased,
} from '../../../src/services/kafka/index.js';
import { describeWithService } from '../require-service.js';
import { collect, uniquePrefix } from './helpers.js';

describeWithService('kafka', 'kafkajs KafkaClient on a real broker', (brokers) => {
  let client: KafkaClient;
  let producer: KafkaProducer;
  const prefix = uniquePrefix('client');
  const topic = `${prefix}events`;

  beforeAll(async () => {
    client = await connectKafkajs({ brokers: brokers.split(',') });
    producer = await client.producer();
  });
  afterAll(async () => {
    await producer?.close();
    await client
      ?.deleteTopics([topic, `${prefix}commits`, `${prefix}retry`, `${prefix}pinned`, `${prefix}released`])
      .catch(() => {});
    await client?.close();
  });

  it('creates only the topics that are missing, with the partitions asked for', async () => {
    expect(await client.createTopics([{ name: topic, partitions: 4 }])).toEqual([topic]);
    expect(await client.createTopics([{ name: topic, partitions: 4 }])).toEqual([]);
    expect((await client.listTopics()).get(topic)).toBe(4);
  });

  it('sends keys and headers, and one key always lands in one partition', async () => {
    const messages = Array.from({ length: 12 }, (_, i) => ({
      key: `acct-${i % 3}`,
      value: JSON.stringify({ i }),
      headers: { 'tn-test': `h${i}` },
    }));
    const reports = await producer.send([{ topic, messages }]);
    expect(reports.length).toBeGreaterThan(0);
    const received = await collect(client, [topic], 12);
    for (const message of received) {
      const i = (JSON.parse(message.value ?? '{}') as { i: number }).i;
      expect(message.key).toBe(`acct-${i % 3}`);
      expect(message.headers['tn-test']).toBe(`h${i}`);
    }
    const partitionsByKey = new Map<string | null, Set<number>>();
    for (const m of received)
      partitionsByKey.set(m.key, (partitionsByKey.get(m.key) ?? new Set()).add(m.partition));
    for (const partitions of partitionsByKey.values()) expect(partitions.size).toBe(1);
    // Per key, the order sent is the order received.
    const order = received.filter((m) => m.key === 'acct-0').map((m) => JSON.parse(m.value ?? '{}').i);
    expect(order).toEqual([0, 3, 6, 9]);
  });

  // The topic is deleted with the others in afterAll: kafkajs's producer refreshes metadata
  // for every topic it ever sent to, and fails on one deleted under it.
  it('a new group starting at the end owns that position at once: a restart before its first commit skips nothing', async () => {
    const pinned = `${prefix}pinned`;
    await client.createTopics([{ name: pinned, partitions: 2 }]);
    const old = Array.from({ length: 3 }, (_, i) => ({ key: `k${i}`, value: `old-${i}` }));
    await producer.send([{ topic: pinned, messages: old }]);
    const group = `${prefix}pinned-group`;
    const seen: string[] = [];
    const first = await client.consume({
      groupId: group,
      topics: [pinned],
      handle: async (m) => void seen.push(m.value ?? ''),
    });
    // Joined at the end: nothing old is handled, and the group already has that position.
    expect((await client.consumerLag(group, pinned)).map((p) => p.lag)).toEqual([0, 0]);
    await first.close();
    // Published while no member runs, before any message was ever committed by one.
    await producer.send([{ topic: pinned, messages: [{ key: 'k9', value: 'new-1' }] }]);
    const second = await client.consume({
      groupId: group,
      topics: [pinned],
      handle: async (m) => void seen.push(m.value ?? ''),
    });
    await waitFor(() => seen.includes('new-1'), {
      message: 'the message published in between',
      timeout: 15_000,
    });
    await second.close();
    expect(seen).toEqual(['new-1']);
  });

  it('an idle client arms no timers (kafkajs re-armed a pending-request check every millisecond)', async () => {
    await client.listTopics();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const original = globalThis.setTimeout;
    let armed = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      armed++;
      return original(...args);
    }) as typeof setTimeout;
    try {
      await new Promise((resolve) => original(resolve, 1000));
    } finally {
      globalThis.setTimeout = original;
    }
    // Unpatched kafkajs arms about 1,600 a second here; a handful is the client's own work.
    expect(armed).toBeLessThan(100);
  });

  it('commits an offset only after the handler finished: a restarted member resumes after it', async () => {
    const commits = `${prefix}commits`;
    await client.createTopics([{ name: commits, partitions: 1 }]);
    const groupId = `g-${randomUUID()}`;
    await producer.send([
      { topic: commits, messages: ['a', 'b', 'c'].map((value) => ({ key: 'k', value })) },
    ]);
    const first: string[] = [];
    const member = await client.consume({
      groupId,
      topics: [commits],
      fromBeginning: true,
      handle: async (m) => {
        first.push(m.value ?? '');
      },
    });
    await waitFor(() => first.length === 3, { message: 'three messages', timeout: 15_000 });
    await member.close();

    // 'end' marks the end of the stream: one partition, so anything replayed would come before it.
    await producer.send([
      {
        topic: commits,
        messages: [
          { key: 'k', value: 'd' },
          { key: 'k', value: 'end' },
        ],
      },
    ]);
    const second: string[] = [];
    const again = await client.consume({
      groupId,
      topics: [commits],
      fromBeginning: true,
      handle: async (m) => {
        second.push(m.value ?? '');
      },
    });
    await waitFor(() => second.includes('end'), { message: 'the end marker', timeout: 15_000 });
    await again.close();
    expect(first).toEqual(['a', 'b', 'c']);
    expect(second).toEqual(['d', 'end']);
  });

  it('delivers a message again when its handler threw, and keeps partition order', async () => {
    const retry = `${prefix}retry`;
    await client.createTopics([{ name: retry, partitions: 1 }]);
    await producer.send([{ topic: retry, messages: ['1', '2', '3'].map((value) => ({ key: 'k', value })) }]);
    const seen: string[] = [];
    let thrown = false;
    const member = await client.consume({
      groupId: `g-${randomUUID()}`,
      topics: [retry],
      fromBeginning: true,
      handle: async (m: IncomingMessage) => {
        seen.push(m.value ?? '');
        if (m.value === '2' && !thrown) {
          thrown = true;
          throw new Error('handler failed once');
        }
      },
    });
    await waitFor(() => seen.includes('3'), { message: 'message 3', timeout: 15_000 });
    await member.close();
    expect(seen).toEqual(['1', '2', '2', '3']);
  });

  it('a session timeout below the broker floor is raised to it: the member joins instead of failing', async () => {
    const member = await client.consume({
      groupId: `g-${randomUUID()}`,
      topics: [topic],
      sessionTimeoutMs: 1000,
      heartbeatIntervalMs: 300,
      handle: async () => {},
    });
    try {
      // 1000 where the broker allows it (group.min.session.timeout.ms), else the broker's floor.
      expect(member.sessionTimeoutMs).toBeGreaterThanOrEqual(1000);
      expect(member.sessionTimeoutMs).toBeLessThanOrEqual(6000);
    } finally {
      await member.close();
    }
  });

  it('messages released while the member stops stay uncommitted: the next member gets the whole batch', async () => {
    const released = `${prefix}released`;
    await client.createTopics([{ name: released, partitions: 1 }]);
    const values = ['a1', 'b1', 'a2', 'b2', 'a3', 'b3'];
    await producer.send([
      { topic: released, messages: values.map((value) => ({ key: value.slice(0, 1), value })) },
    ]);
    const groupId = `g-${randomUUID()}`;
    let stopping = false;
    let entered: () => void = () => {};
    const inHand = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const done: string[] = [];
    const errors: unknown[] = [];
    const member = await client.consume({
      groupId,
      topics: [released],
      fromBeginning: true,
      orderBy: 'key',
      beforeCommit: async () => {},
      onError: (error) => errors.push(error),
      handle: async (m) => {
        if (stopping) throw new MessageReleased();
        if (m.value === 'a1') {
          entered();
          await finished;
        }
        done.push(m.value ?? '');
      },
    });
    await inHand;
    // Stop while a1 is in hand: it finishes, the rest of the batch is released.
    stopping = true;
    const closing = member.close();
    finish();
    await closing;
    expect(done).toContain('a1');
    expect(done).not.toContain('a3');
    expect(errors).toEqual([]);

    const again: string[] = [];
    const next = await client.consume({
      groupId,
      topics: [released],
      fromBeginning: true,
      handle: async (m) => {
        again.push(m.value ?? '');
      },
    });
    await waitFor(() => again.length >= values.length, { message: 'the whole batch again', timeout: 15_000 });
    await next.close();
    expect(again).toEqual(values);
  });
});

it('names Kafka and the address when no broker answers', async () => {
  const started = Date.now();
  const error = await connectKafkajs({ brokers: ['127.0.0.1:1'], retries: 0 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ServiceUnavailableError);
  expect((error as ServiceUnavailableError).service).toBe('kafka');
  expect((error as Error).message).toContain('127.0.0.1:1');
  expect(Date.now() - started).toBeLessThan(10_000);
});
