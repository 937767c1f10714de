import { waitFor } from '@tradenova/core/testing';
import { expect, it } from 'vitest';
import { BUILT, type CliProcess } from '../cli-process.js';
import { describeWithService } from '../require-service.js';
import { scaleOutCluster } from './cluster.js';
import { brokerMinSessionTimeout } from './session-floor.js';
import { marketSignal } from './signals.js';

/**
 * Issue 14, situation 4: after `kill -9` of the router that owns an instrument's
 * partition, the surviving router routes its signals again within seconds. Before, the
 * router group used kafkajs's 30 s session timeout and nothing was routed for ~30 s.
 * Also: `--metrics` works with `--role router`.
 */
describeWithService('kafka', 'scale-out: a router killed with -9', (brokers) => {
  const cluster = scaleOutCluster('failover', { brokers }, () => [
    'leader: { broker: paper, account: LEADER1 }',
    'followers:',
    '  - { name: a, broker: paper, account: A1 }',
    '  - { name: b, broker: paper, account: B1 }',
  ]);
  const { show } = cluster;
  const start = (...extra: string[]) => cluster.start('router', ...extra);
  /** The partitions of trade.signals a router holds now (its last start or assignment line). */
  const held = (p: CliProcess) =>
    (p.lines.filter((l) => l.type === 'router-started' || l.type === 'router-assigned').at(-1)?.partitions ??
      []) as number[];
  const routedIds = (p: CliProcess) =>
    p.lines.flatMap((l) =>
      l.type === 'signal-received' ? [(l.signal as { signalId: string }).signalId] : [],
    );
  /** Signals published on partition 0 of trade.signals: one router owns it at a time. */
  const publish = (signalId: string) =>
    cluster.producer.send([
      {
        topic: `${cluster.prefix}trade.signals`,
        messages: [{ key: 'MNQ', partition: 0, value: JSON.stringify(marketSignal(signalId)) }],
      },
    ]);

  it.skipIf(!BUILT)(
    'the surviving router routes the killed one’s partition again within the group session timeout (5 s where the broker allows it); --metrics serves the router’s metrics',
    async () => {
      const first = start('--metrics', '127.0.0.1:0');
      await waitFor(() => first.lines.find((l) => l.type === 'router-started'), {
        message: 'router 1 to join',
        timeout: 60_000,
        context: show,
      });
      const second = start('--metrics', '127.0.0.1:0');
      await waitFor(() => second.lines.find((l) => l.type === 'router-started'), {
        message: 'router 2 to join',
        timeout: 60_000,
        context: show,
      });
      // Both in the group: the second one's join split the partitions. Whoever routes s1
      // (partition 0) owns it.
      await publish('s1');
      const owner = await waitFor(() => [first, second].find((p) => routedIds(p).includes('s1')), {
        message: 'a router to route s1',
        timeout: 60_000,
        context: show,
      });
      const survivor = owner === first ? second : first;
      owner.child.kill('SIGKILL');
      const killedAt = Date.now();
      await publish('s2');
      await waitFor(() => (routedIds(survivor).includes('s2') ? true : undefined), {
        message: 'the survivor to route s2',
        timeout: 90_000,
        context: show,
      });
      const gapMs = Date.now() - killedAt;
      // Polled every 50 ms: the gap is the group's failover plus at most that.
      const floor = await brokerMinSessionTimeout(brokers.split(','));
      const started = survivor.lines.find((l) => l.type === 'router-started')!;
      // 3 s session + 0.5 s heartbeat + the rejoin: under 5 s; a broker whose floor is
      // higher (Kafka's default 6 s) moves partitions after its floor plus the same.
      const bound = Math.max(5000, floor + 2000);
      expect(
        gapMs,
        `failover took ${gapMs} ms (session timeout ${started.sessionTimeoutMs} ms)\n${show()}`,
      ).toBeLessThan(bound);
      process.stderr.write(`router failover: ${gapMs} ms (broker floor ${floor} ms)\n`);
      expect(started.sessionTimeoutMs).toBe(Math.max(3000, floor));
      // --metrics with --role router: the survivor's endpoint counts what it routed and its group's lag.
      const url = /metrics at (\S+)/.exec(survivor.stderr())?.[1];
      expect(url, survivor.stderr()).toBeDefined();
      const scraped = await (await fetch(url!)).text();
      expect(scraped).toMatch(/tradenova_signals_total\{outcome="received"\}/);
      expect(scraped).toContain(`group="${cluster.prefix}g-router"`);
      expect(scraped).toMatch(/tradenova_signals_total\{outcome="received"\} [1-9]/);
      // The killed router held partition 0; the survivor holds it now.
      expect(held(owner)).toContain(0);
      await waitFor(() => (held(survivor).includes(0) ? true : undefined), {
        message: 'the survivor to take partition 0',
        timeout: 30_000,
        context: show,
      });
      survivor.child.kill('SIGTERM');
      expect(await survivor.exited, show()).toBe(0);
    },
    180_000,
  );
});
