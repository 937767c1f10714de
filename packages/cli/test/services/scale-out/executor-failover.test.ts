import { expect, it } from 'vitest';
import { BUILT, type CliProcess, waitFor } from '../cli-process.js';
import { describeWithService } from '../require-service.js';
import { scaleOutCluster } from './cluster.js';
import { brokerMinSessionTimeout } from './session-floor.js';
import { restingLimit } from './signals.js';

/**
 * Issue 14, situation 4, for the executors: after `kill -9` of the executor that holds
 * the follower's partition of trade.intents, the surviving executor places that
 * follower's orders again within the group's session timeout (5 s where the broker
 * allows it), and `--metrics` works with `--role executor` (before, only the one-process
 * run served metrics; routers and executors ignored the flag).
 */
describeWithService('kafka', 'scale-out: an executor killed with -9', (brokers) => {
  describeWithService('redis', 'with Redis dedupe', (redisUrl) => killedExecutor(brokers, redisUrl));
});

function killedExecutor(brokers: string, redisUrl: string): void {
  const cluster = scaleOutCluster('exfail', { brokers, redisUrl }, () => [
    'leader: { broker: paper, account: LEADER1 }',
    // One follower, one login: every intent goes to one partition of trade.intents.
    'followers:',
    '  - { name: a, broker: paper, account: A1 }',
  ]);
  const { start, show } = cluster;
  const placedFor = (p: CliProcess, signalId: string) =>
    p.lines.some(
      (l) =>
        l.type === 'order-placed' && (l.intent as { signalId?: string } | undefined)?.signalId === signalId,
    );
  const publish = (signalId: string) =>
    cluster.producer.send([
      {
        topic: `${cluster.prefix}trade.signals`,
        messages: [{ key: 'MNQ', value: JSON.stringify(restingLimit(signalId)) }],
      },
    ]);

  it.skipIf(!BUILT)(
    'the surviving executor places the killed one’s follower orders again within the group session timeout; --metrics serves the executor’s metrics',
    async () => {
      const router = start('router');
      const first = start('executor', '--metrics', '127.0.0.1:0');
      const second = start('executor', '--metrics', '127.0.0.1:0');
      for (const [what, p, type] of [
        ['the router', router, 'router-started'],
        ['executor 1', first, 'executor-started'],
        ['executor 2', second, 'executor-started'],
      ] as const)
        await waitFor(`${what} to join`, () => p.lines.find((l) => l.type === type), 60_000, show);
      // Both executors in the group, then the first order: whoever places it holds the follower's partition.
      await publish('s1');
      const owner = await waitFor(
        'an executor to place s1',
        () => [first, second].find((p) => placedFor(p, 's1')),
        60_000,
        show,
      );
      const survivor = owner === first ? second : first;
      owner.child.kill('SIGKILL');
      const killedAt = Date.now();
      await publish('s2');
      await waitFor(
        'the survivor to place s2',
        () => (placedFor(survivor, 's2') ? true : undefined),
        90_000,
        show,
      );
      const gapMs = Date.now() - killedAt;
      const floor = await brokerMinSessionTimeout(brokers.split(','));
      const joined = survivor.lines.find((l) => l.type === 'executor-started')!;
      const bound = Math.max(5000, floor + 2000);
      expect(
        gapMs,
        `failover took ${gapMs} ms (session timeout ${joined.sessionTimeoutMs} ms)\n${show()}`,
      ).toBeLessThan(bound);
      process.stderr.write(`executor failover: ${gapMs} ms (broker floor ${floor} ms)\n`);
      expect(joined.sessionTimeoutMs).toBe(Math.max(3000, floor));

      // --metrics with --role executor: the survivor's endpoint counts the order it placed and its group's lag.
      const url = /metrics at (\S+)/.exec(survivor.stderr())?.[1];
      expect(url, survivor.stderr()).toBeDefined();
      const scraped = await (await fetch(url!)).text();
      expect(scraped).toMatch(/tradenova_orders_total\{broker="paper",outcome="placed"\} [1-9]/);
      expect(scraped).toContain(`group="${cluster.prefix}g-executor"`);
      for (const p of [survivor, router]) p.child.kill('SIGTERM');
      for (const p of [survivor, router]) expect(await p.exited, show()).toBe(0);
    },
    180_000,
  );
}
