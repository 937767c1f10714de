import {
  type SierraChartSimulator,
  startSierraChartSimulator,
} from '@tradenova/adapter-others/sierrachart/simulator';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../../../src/chaos/hosted.js';
import { BUILT, waitFor } from '../cli-process.js';
import { describeWithService } from '../require-service.js';
import { scaleOutCluster } from './cluster.js';
import { restingLimit } from './signals.js';

/**
 * An executor whose follower's broker cannot be reached keeps trying the connection (for up
 * to a minute). SIGTERM meanwhile must end it at once and give the intent in hand back to
 * the partition's next owner: not journaled as a failure, and placed by the next executor
 * once the broker is there.
 */
describeWithService('kafka', 'scale-out: an executor stopped while its broker is unreachable', (brokers) => {
  describeWithService('redis', 'with Redis dedupe', (redisUrl) => {
    let port: number;
    let sim: SierraChartSimulator | undefined;
    const cluster = scaleOutCluster('unreach', { brokers, redisUrl }, async () => {
      port = await freePort();
      return [
        'leader: { broker: paper, account: LEADER1 }',
        'connections:',
        `  sc: { broker: sierrachart, options: { host: 127.0.0.1, port: ${port} } }`,
        'followers:',
        '  - { name: a, broker: sierrachart, connection: sc, account: Sim1 }',
      ];
    });
    afterAll(async () => {
      await sim?.close();
    });
    const { start, show } = cluster;

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
        await cluster.producer.send([
          {
            topic: `${cluster.prefix}trade.signals`,
            messages: [
              {
                key: 'MNQ',
                value: JSON.stringify(restingLimit('s1', 'lo-1')),
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
