import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type SierraChartSimulator,
  startSierraChartSimulator,
} from '@tradenova/adapter-others/sierrachart/simulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../../../src/chaos/hosted.js';
import {
  connectKafkajs,
  designTopics,
  type KafkaClient,
  type KafkaProducer,
} from '../../../src/services/kafka/index.js';
import { BUILT, type CliProcess, startCli, waitFor } from '../cli-process.js';
import { uniquePrefix } from '../kafka/helpers.js';
import { describeWithService } from '../require-service.js';

/**
 * An executor whose follower's broker cannot be reached keeps trying the connection (for up
 * to a minute). SIGTERM meanwhile must end it at once and give the intent in hand back to
 * the partition's next owner: not journaled as a failure, and placed by the next executor
 * once the broker is there.
 */
describeWithService('kafka', 'scale-out: an executor stopped while its broker is unreachable', (brokers) => {
  describeWithService('redis', 'with Redis dedupe', (redisUrl) => {
    const prefix = uniquePrefix('unreach');
    let dir: string;
    let port: number;
    let kafka: KafkaClient;
    let producer: KafkaProducer;
    let sim: SierraChartSimulator | undefined;
    const processes: CliProcess[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tn-unreach-'));
      port = await freePort();
      writeFileSync(
        join(dir, 'config.yaml'),
        [
          'leader: { broker: paper, account: LEADER1 }',
          'connections:',
          `  sc: { broker: sierrachart, options: { host: 127.0.0.1, port: ${port} } }`,
          'followers:',
          '  - { name: a, broker: sierrachart, connection: sc, account: Sim1 }',
          'services:',
          '  journal: { enabled: false }',
          `  kafka: { brokers: [${brokers}], prefix: "${prefix}", group: ${prefix}g }`,
          `  redis: { url: "${redisUrl}", prefix: "${prefix}tn:" }`,
          '',
        ].join('\n'),
      );
      kafka = await connectKafkajs({ brokers: brokers.split(',') });
      await kafka.createTopics(designTopics(prefix));
      producer = await kafka.producer();
    });

    afterAll(async () => {
      for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await producer?.close();
      await kafka?.close();
      await sim?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const start = (role: string) => {
      const p = startCli(['run', '-c', 'config.yaml', '--json', '--role', role], dir);
      processes.push(p);
      return p;
    };
    const show = () =>
      processes
        .map((p, i) => `#${i} exit=${p.child.exitCode} stderr:\n${p.stderr().slice(-1500)}`)
        .join('\n');

    it.skipIf(!BUILT)(
      'SIGTERM ends it at once, the intent is released, and the next executor places it once the broker answers',
      async () => {
        const router = start('router');
        const first = start('executor');
        for (const [what, p, type] of [
          ['the router', router, 'router-started'],
          ['the executor', first, 'executor-started'],
        ] as const)
          await waitFor(`${what} to join`, () => p.lines.find((l) => l.type === type), 60_000, show);
        await producer.send([
          {
            topic: `${prefix}trade.signals`,
            messages: [
              {
                key: 'MNQ',
                value: JSON.stringify({
                  ...{ signalId: 's1', action: 'new', leaderOrderId: 'lo-1', instrument: 'MNQH7' },
                  ...{ side: 'buy', qty: 1, orderType: 'limit', limitPrice: '15000.00' },
                }),
              },
            ],
          },
        ]);
        // The executor has the intent and is trying the connection again.
        await waitFor(
          'the executor to try the unreachable broker again',
          () => (first.stderr().includes('could not reach the broker while connecting') ? true : undefined),
          30_000,
          show,
        );
        await waitFor(
          'the executor to hold the intent',
          () => (first.stderr().includes('an intent waits for its connection to open') ? true : undefined),
          30_000,
          show,
        );
        const termAt = Date.now();
        first.child.kill('SIGTERM');
        expect(await first.exited, show()).toBe(0);
        const stopMs = Date.now() - termAt;
        // Not the minute the connection would have been tried for.
        expect(stopMs, show()).toBeLessThan(20_000);
        expect(
          first.lines.filter((l) => l.type === 'order-failed'),
          show(),
        ).toEqual([]);
        const stopped = first.lines.find((l) => l.type === 'executor-stopped');
        expect(stopped, show()).toMatchObject({ released: 1, failed: 0, executed: 0 });

        sim = await startSierraChartSimulator({ port });
        const second = start('executor');
        await waitFor(
          'the next executor to place s1',
          () =>
            second.lines.find(
              (l) =>
                l.type === 'order-placed' &&
                (l.intent as { signalId?: string } | undefined)?.signalId === 's1',
            ),
          90_000,
          show,
        );
        const orders = sim.exchange.getOrders('Sim1');
        expect(orders.map((o) => [o.side, o.qty, o.orderType])).toEqual([['buy', 1, 'limit']]);
        for (const p of [second, router]) p.child.kill('SIGTERM');
        for (const p of [second, router]) expect(await p.exited, show()).toBe(0);
      },
      240_000,
    );
  });
});
