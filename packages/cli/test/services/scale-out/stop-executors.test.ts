import { intentId } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { expect, it } from 'vitest';
import { BUILT, type CliProcess, runCli } from '../cli-process.js';
import { collect } from '../kafka/helpers.js';
import { describeWithService } from '../require-service.js';
import { paperFollowersOnLogins, scaleOutCluster } from './cluster.js';
import { restingLimit } from './signals.js';

const FOLLOWERS = 40;
const SIGNALS = 25;
/** Four logins, ten accounts each: both executors hold some. */
const CONNECTIONS = 4;
const connectionOf = (i: number) => `p${i % CONNECTIONS}`;
const followerName = (i: number) => `f${String(i).padStart(2, '0')}`;

/** Signal i: a resting buy limit (placed, never filled). */
const signal = (i: number) => restingLimit(`s${String(i).padStart(3, '0')}`, `lo-${i}`);

/**
 * Issue 14, situation 3: a router killed, executors holding a backlog (each order takes
 * 150 ms at the paper broker, so 25 signals × 10 accounts per login are seconds of work),
 * then SIGTERM to every executor. Before, the intents in hand were refused by the
 * stopping engine, journaled as `order-failed` (TN_ERR_ENGINE_STOPPED) and committed;
 * the restarted executor found those records and counted them as done (`alreadyDone`),
 * so their orders were never placed.
 */
describeWithService('kafka', 'scale-out: executors stopped with a backlog', (brokers) => {
  describeWithService('redis', 'with Redis dedupe', (redisUrl) => {
    describeWithService('postgres', 'and a PostgreSQL journal', (pgUrl) => {
      const cluster = scaleOutCluster('stop', { brokers, redisUrl, pgUrl }, () => [
        'leader: { broker: paper, account: LEADER1 }',
        // Each order takes 400 ms at the paper broker: a login's backlog is seconds of work.
        'paper: { latencyMs: 400 }',
        ...paperFollowersOnLogins(FOLLOWERS, {
          login: connectionOf,
          name: followerName,
          account: (i) => `ACC-${i}`,
        }),
      ]);
      const { start, show } = cluster;
      const placed = (p: CliProcess) => p.lines.filter((l) => l.type === 'order-placed').length;
      const joined = (p: CliProcess, type: string, what: string) =>
        waitFor(() => p.lines.find((l) => l.type === type), {
          message: what,
          timeout: 60_000,
          context: show,
        });

      it.skipIf(!BUILT)(
        'SIGTERM to executors holding a backlog, then a restart: every follower order placed exactly once, none lost, nothing recorded as failed',
        async () => {
          const migrated = runCli(['migrate', '-c', 'config.yaml'], cluster.dir);
          expect(migrated.status, migrated.stderr).toBe(0);
          // Everyone in the group first (a new router group starts at the end of trade.signals).
          const router = start('router');
          const a = start('executor');
          const b = start('executor');
          await joined(router, 'router-started', 'the router to join');
          await joined(a, 'executor-started', 'executor A to join');
          await joined(b, 'executor-started', 'executor B to join');
          const lastAssignment = (p: CliProcess) =>
            (p.lines.filter((l) => String(l.type).startsWith('executor-')).at(-1)?.partitions ??
              []) as number[];
          await waitFor(
            () => (lastAssignment(a).length + lastAssignment(b).length === 10 ? true : undefined),
            { message: 'the executors to share the partitions', timeout: 60_000, context: show },
          );
          // The leader's session at once: the router routes a signal in milliseconds, a login
          // needs 400 ms per round of orders, so the executors fall behind and fetch batches
          // holding several signals per account.
          const producer = await cluster.kafka.producer();
          try {
            await producer.send([
              {
                topic: `${cluster.prefix}trade.signals`,
                messages: Array.from({ length: SIGNALS }, (_, i) => ({
                  key: 'MNQ',
                  value: JSON.stringify(signal(i)),
                })),
              },
            ]);
          } finally {
            await producer.close();
          }
          // Busy with a backlog in hand: the router well ahead, and the executors into a batch
          // that holds several signals per account (the first one held the first signal only).
          await waitFor(
            () =>
              router.lines.filter((l) => l.type === 'signal-received').length >= 15 &&
              placed(a) + placed(b) >= 100
                ? true
                : undefined,
            {
              message: 'the router to route ahead and the executors to place some orders',
              timeout: 60_000,
              context: show,
            },
          );
          router.child.kill('SIGKILL');
          for (const p of [a, b]) p.child.kill('SIGTERM');
          for (const p of [a, b]) expect(await p.exited, show()).toBe(0);
          expect(await router.exited).toBe('SIGKILL');
          const stopped = [a, b].map((p) => p.lines.find((l) => l.type === 'executor-stopped')!);
          expect(stopped.every(Boolean), show()).toBe(true);
          const beforeRestart = placed(a) + placed(b);
          // The stop really cut a backlog: not everything was placed before it.
          expect(beforeRestart, `${JSON.stringify(stopped)}\n${show()}`).toBeLessThan(FOLLOWERS * SIGNALS);

          // A new router for the signals not routed yet, one executor for every login: the next
          // owner of everything left uncommitted.
          const router2 = start('router');
          const c = start('executor');
          const expected = FOLLOWERS * SIGNALS;
          const countPlaced = async () =>
            Number(
              (
                await cluster.db
                  .selectFrom('orders')
                  .select((eb) => eb.fn.count<string>('intent_id').distinct().as('n'))
                  .where('status', '=', 'placed')
                  .executeTakeFirstOrThrow()
              ).n,
            );
          await waitFor(
            async () => {
              const n = await countPlaced();
              if (n < expected) throw new Error(`only ${n} of ${expected} intents placed`);
              return true;
            },
            { message: 'every intent placed', timeout: 120_000, interval: 250, context: show },
          );
          for (const p of [router2, c]) p.child.kill('SIGTERM');
          for (const p of [router2, c]) expect(await p.exited, show()).toBe(0);

          // Exactly one placed order per intent: none lost, none twice.
          const rows = await cluster.db
            .selectFrom('orders')
            .select(['intent_id', 'status'])
            .where('status', '=', 'placed')
            .execute();
          const perIntent = new Map<string, number>();
          for (const r of rows) perIntent.set(r.intent_id!, (perIntent.get(r.intent_id!) ?? 0) + 1);
          const missing: string[] = [];
          const twice: string[] = [];
          for (let f = 0; f < FOLLOWERS; f++) {
            for (let s = 0; s < SIGNALS; s++) {
              const id = intentId(signal(s).signalId, followerName(f), 'entry');
              const n = perIntent.get(id) ?? 0;
              if (n === 0) missing.push(id);
              if (n > 1) twice.push(id);
            }
          }
          expect(missing).toEqual([]);
          expect(twice).toEqual([]);
          expect(perIntent.size).toBe(expected);
          // A refusal at shutdown is never recorded as an outcome.
          const failures = await cluster.db
            .selectFrom('errors')
            .select(['kind', 'code', 'intent_id'])
            .where('kind', 'in', ['order-failed', 'order-blocked'])
            .execute();
          expect(failures, JSON.stringify(failures.slice(0, 3))).toEqual([]);
          // The stopped executors gave back what they had not started; the new one executed it.
          const released = stopped.reduce((n, s) => n + (s.released as number), 0);
          const after = c.lines.find((l) => l.type === 'executor-stopped')!;
          expect(released, JSON.stringify(stopped)).toBeGreaterThan(0);
          expect(after.executed as number, JSON.stringify(after)).toBeGreaterThan(0);
          expect(placed(c)).toBe(expected - beforeRestart);
          // trade.intents holds the routers' routed intents only: executors echo nothing onto
          // the topic they consume (their engines' intent-created events stay off it).
          const onTopic = (
            await cluster.kafka.consumerLag(`${cluster.prefix}nobody`, `${cluster.prefix}trade.intents`)
          ).reduce((n, p) => n + p.lag, 0);
          const intents = await collect(cluster.kafka, [`${cluster.prefix}trade.intents`], onTopic, 60_000);
          expect(intents.filter((m) => m.headers['tn-schema-id'] !== 'tradenova.routed-intent.v1')).toEqual(
            [],
          );
          expect(intents.length).toBeGreaterThanOrEqual(expected);
        },
        240_000,
      );
    });
  });
});
