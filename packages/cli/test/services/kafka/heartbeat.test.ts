import { TOPICS } from '@tradenova/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  connectKafkajs,
  designTopics,
  HEARTBEAT_SCHEMA_ID,
  type KafkaClient,
  ProcessHeartbeat,
} from '../../../src/services/kafka/index.js';
import { describeWithService } from '../require-service.js';
import { collect, uniquePrefix } from './helpers.js';

describeWithService('kafka', 'ProcessHeartbeat on a real broker', (brokers) => {
  let client: KafkaClient;
  const prefix = uniquePrefix('beat');

  beforeAll(async () => {
    client = await connectKafkajs({ brokers: brokers.split(',') });
    await client.createTopics(designTopics(prefix));
  });
  afterAll(async () => {
    await client?.deleteTopics(designTopics(prefix).map((t) => t.name)).catch(() => {});
    await client?.close();
  });

  it('publishes role, process id, partitions and lag on system.heartbeat every interval, keyed by process id', async () => {
    let reads = 0;
    const heartbeat = new ProcessHeartbeat({
      client,
      prefix,
      processId: 'host-a:42',
      role: 'executor',
      intervalMs: 100,
      status: () => {
        reads++;
        return { partitions: { [`${prefix}trade.intents`]: [1, 4] }, lag: reads };
      },
    });
    await heartbeat.start();
    const beats = await collect(client, [`${prefix}${TOPICS.heartbeat.name}`], 3, 30_000);
    await heartbeat.stop();
    const stoppedAt = reads;
    for (const [i, beat] of beats.entries()) {
      expect(beat.key).toBe('host-a:42');
      expect(beat.headers['tn-schema-id']).toBe(HEARTBEAT_SCHEMA_ID);
      expect(JSON.parse(beat.value!)).toMatchObject({
        v: 1,
        type: 'heartbeat',
        processId: 'host-a:42',
        role: 'executor',
        partitions: { [`${prefix}trade.intents`]: [1, 4] },
        lag: i + 1,
      });
    }
    // Stopped means stopped: no more beats are read or sent.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reads).toBe(stoppedAt);
  });
});
