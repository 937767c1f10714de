import { randomUUID } from 'node:crypto';
import { InMemoryBus, parseEngineConfig } from '@tradenova/core';
import type { RoutedIntent } from '@tradenova/core/engine';
import { waitFor } from '@tradenova/core/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeRouted } from '../../../src/scale-out/codec.js';
import { Router } from '../../../src/scale-out/router.js';
import { Journal } from '../../../src/services/journal/index.js';
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
    { name: 'b', account: 'B', scaling: { mode: 'multiplier', factor: 2 } },
  ],
});

describeWithService('kafka', 'a router restarted mid-trade', (brokers) => {
  describeWithService('postgres', 'with a PostgreSQL journal', (pgUrl) => {
    const prefix = uniquePrefix('router');
    const schema = `tn_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    let kafka: KafkaClient;
    let producer: KafkaProducer;
    let journal: Journal;
    const routed: RoutedIntent[] = [];

    beforeAll(async () => {
      kafka = await connectKafkajs({ brokers: brokers.split(',') });
      await kafka.createTopics(designTopics(prefix));
      // Right after a topic is created, consumer groups on it rejoin again and again while the
      // broker's metadata settles (seen in the broker log: six generations in 300 ms), and a
      // router that joined in that window once routed nothing for a minute (cause not pinned down; the failure message now says which partitions it owned). An operator's
      // topics exist long before; give these a moment, as the kill test's process start does.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      producer = await kafka.producer();
      journal = await Journal.open({ url: pgUrl, schema, migrate: true });
      // What executors would read: every routed intent, in order.
      await kafka.consume({
        groupId: `${prefix}watch`,
        topics: [`${prefix}trade.intents`],
        fromBeginning: true,
        handle: async (m) => {
          const decoded = decodeRouted(m.headers, m.value);
          if (decoded.kind === 'routed') routed.push(decoded.routed);
        },
      });
    });

    afterAll(async () => {
      await producer?.close();
      await kafka?.close();
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(journal.db).catch(() => {});
      await journal?.close();
    });

    const startRouter = async () => {
      const bus = new InMemoryBus();
      bus.subscribe((event) => journal.write(event));
      const router = new Router({ config, client: kafka, prefix, group: `${prefix}g`, bus, journal });
      await router.start();
      return router;
    };
    const publish = (signal: object) =>
      producer.send([
        { topic: `${prefix}trade.signals`, messages: [{ key: 'MNQ', value: JSON.stringify(signal) }] },
      ]);

    it('scales the exit against the position the journaled signals built, not against flat', {
      timeout: 180_000,
    }, async () => {
      const first = await startRouter();
      await publish(marketSignal('s1', 'buy', 2, '21000.00'));
      // Generous: on a fresh broker under CI load, group joins and fetches can take seconds.
      await waitFor(() => first.stats.routed === 2, {
        message: 'the router to route the entry',
        timeout: 60_000,
      }).catch((error) => {
        throw new Error(
          `${error.message}: stats ${JSON.stringify(first.stats)}, owns signal partitions [${first.assignment()}]`,
        );
      });
      await waitFor(() => routed.filter((r) => r.signal.signalId === 's1').length === 2, {
        message: 'the routed entry on trade.intents',
        timeout: 60_000,
      });
      await first.stop();
      expect(routed.find((r) => r.signal.signalId === 's1')?.leaderQty).toBe(0);

      // A new router process: it knows the leader is long 2 only from the journal.
      const second = await startRouter();
      expect(second.stats.leaderSignalsReplayed).toBe(1);
      await publish(marketSignal('s2', 'sell', 2, '21010.00'));
      await waitFor(() => second.stats.routed === 2, {
        message: 'the new router to route the exit',
        timeout: 60_000,
      });
      await waitFor(() => routed.filter((r) => r.signal.signalId === 's2').length === 2, {
        message: 'the routed exit on trade.intents',
        timeout: 60_000,
      });
      await second.stop();
      // The leader was long 2 before the sell: executors close the followers instead of opening them short.
      expect(routed.filter((r) => r.signal.signalId === 's2').map((r) => r.leaderQty)).toEqual([2, 2]);
    });
  });
});
