import { InMemoryBus, parseEngineConfig } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Router } from '../../../src/scale-out/router.js';
import type { Journal } from '../../../src/services/journal/index.js';
import {
  connectKafkajs,
  designTopics,
  type KafkaClient,
  type KafkaProducer,
} from '../../../src/services/kafka/index.js';
import { uniquePrefix } from '../kafka/helpers.js';
import { describeWithService } from '../require-service.js';
import { marketSignal } from './signals.js';

const config = parseEngineConfig({
  leader: { account: 'LEAD' },
  followers: [
    { name: 'a', account: 'A' },
    { name: 'b', account: 'B' },
  ],
});

/**
 * A journal whose records become durable only when the test says so: what the router
 * waits for before committing a signal's offset. Its database is away, so the router's
 * rebuild of the leader position gives up at once and keeps an empty mirror.
 */
function gatedJournal(bus: InMemoryBus) {
  let appended = 0;
  bus.subscribe(() => {
    appended++;
  });
  let open: () => void = () => {};
  const durable = new Promise<void>((resolve) => {
    open = resolve;
  });
  const journal = {
    degraded: false,
    get lastSeq() {
      return appended - 1;
    },
    whenDurable: () => durable,
    get db(): never {
      throw new Error('no database in this test');
    },
  };
  return { journal: journal as unknown as Journal, open: () => open() };
}

describeWithService('kafka', 'a router and its journal', (brokers) => {
  const prefix = uniquePrefix('rjournal');
  const group = `${prefix}g`;
  let kafka: KafkaClient;
  let producer: KafkaProducer;

  beforeAll(async () => {
    kafka = await connectKafkajs({ brokers: brokers.split(',') });
    await kafka.createTopics(designTopics(prefix));
    producer = await kafka.producer();
  });
  afterAll(async () => {
    await producer?.close();
    await kafka?.deleteTopics(designTopics(prefix).map((t) => t.name)).catch(() => {});
    await kafka?.close();
  });

  let published = 0;
  const publish = (id: string) => {
    published++;
    return producer.send([
      {
        topic: `${prefix}trade.signals`,
        messages: [{ key: 'MNQ', value: JSON.stringify(marketSignal(id, 'buy', 1, '21000.00')) }],
      },
    ]);
  };
  const uncommitted = async () =>
    (await kafka.consumerLag(`${group}-router`, `${prefix}trade.signals`)).reduce((n, p) => n + p.lag, 0);

  it('routes the next signals while the journal is not durable, and commits none of them until it is', {
    timeout: 180_000,
  }, async () => {
    const bus = new InMemoryBus();
    const received = new Set<string>();
    bus.subscribe((event) => {
      if (event.type === 'signal-received') received.add(event.signal.signalId);
    });
    const { journal, open } = gatedJournal(bus);
    const router = new Router({ config, client: kafka, prefix, group, bus, journal, journalWaitMs: 600_000 });
    await router.start();
    try {
      // Right after topics are created the group rejoins again and again for a while, and a
      // signal published then can wait long (see router-restart.test.ts): publish until one is routed.
      await waitFor(
        async () => {
          await publish(`warm-${published}`);
          return waitFor(() => received.size > 0, { timeout: 3000 }).catch(() => false);
        },
        { message: 'a first signal routed', timeout: 90_000 },
      );
      await publish('s1');
      await waitFor(() => received.has('s1'), { message: 's1 routed', timeout: 30_000 });
      // s1's journal record is not durable: s2 is routed all the same.
      await publish('s2');
      await waitFor(() => received.has('s2'), {
        message: 's2 routed while s1 waits for the journal',
        timeout: 30_000,
      });
      // Every batch waits for the same journal: nothing is committed yet.
      expect(await uncommitted()).toBe(published);
      open();
      await waitFor(async () => (await uncommitted()) === 0, {
        message: 'every offset committed once the journal is durable',
        timeout: 30_000,
      });
    } finally {
      open();
      await router.stop();
    }
  });
});
