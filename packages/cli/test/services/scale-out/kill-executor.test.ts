import { writeFileSync } from 'node:fs';
import { intentId } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { expect, it } from 'vitest';
import { BUILT, type CliProcess, runCli } from '../cli-process.js';
import { describeWithService } from '../require-service.js';
import { paperFollowersOnLogins, scaleOutCluster } from './cluster.js';
import { restingLimit } from './signals.js';

const FOLLOWERS = 200;
const SIGNALS = 12;
/** Broker logins the followers share, ten accounts each: an executor holds a whole login or none of it. */
const CONNECTIONS = 20;
const connectionOf = (i: number) => `p${String(i % CONNECTIONS).padStart(2, '0')}`;

/** Signal i: a resting buy limit (placed, never filled). */
const signal = (i: number) => restingLimit(`s${String(i).padStart(3, '0')}`, `lo-${i}`);

describeWithService('kafka', 'scale-out: router and executors as separate processes', (brokers) => {
  describeWithService('redis', 'with Redis dedupe', (redisUrl) => {
    describeWithService('postgres', 'and a PostgreSQL journal', (pgUrl) => {
      const cluster = scaleOutCluster('scale', { brokers, redisUrl, pgUrl }, () => [
        'leader: { broker: paper, account: LEADER1 }',
        ...paperFollowersOnLogins(FOLLOWERS, {
          login: connectionOf,
          name: (i) => `f${String(i).padStart(3, '0')}`,
          account: (i) => `ACC-${String(i).padStart(3, '0')}`,
        }),
      ]);
      const { start, show } = cluster;
      const outcomes = (p: CliProcess) =>
        p.lines.filter(
          (l) => l.type === 'order-placed' || l.type === 'order-blocked' || l.type === 'order-failed',
        ).length;

      it.skipIf(!BUILT)(
        '2 executors, 200 followers, one executor SIGKILLed mid-stream and started again: every intent ends in exactly one order or one recorded error, none twice, each account in order',
        async () => {
          const migrated = runCli(['migrate', '-c', 'config.yaml'], cluster.dir);
          expect(migrated.status, migrated.stderr).toBe(0);
          const router = start('router');
          const a = start('executor');
          const b = start('executor');
          await waitFor(() => router.lines.find((l) => l.type === 'router-started'), {
            message: 'the router to join',
            timeout: 30_000,
            context: show,
          });
          // Both executors in the group before the stream starts: the second one's join ends the
          // rebalance that splits the partitions between them, so each owns intents to execute.
          for (const [name, p] of [
            ['A', a],
            ['B', b],
          ] as const) {
            await waitFor(() => p.lines.find((l) => l.type === 'executor-started'), {
              message: `executor ${name} to join`,
              timeout: 30_000,
              context: show,
            });
          }
          const producer = await cluster.kafka.producer();
          try {
            for (let i = 0; i < SIGNALS; i++) {
              await producer.send([
                {
                  topic: `${cluster.prefix}trade.signals`,
                  messages: [{ key: 'MNQ', value: JSON.stringify(signal(i)) }],
                },
              ]);
            }
            // Executor A dies mid-stream: with part of its share done and intents of several partitions in hand.
            await waitFor(() => (outcomes(a) > 250 ? true : undefined), {
              message: 'executor A to place some orders',
              timeout: 30_000,
              context: show,
            });
            a.child.kill('SIGKILL');
            // A malformed signal goes to order.errors (and the journal) and the stream goes on.
            await producer.send([
              {
                topic: `${cluster.prefix}trade.signals`,
                messages: [{ key: null, value: '{"action":"new"' }],
              },
            ]);
          } finally {
            await producer.close();
          }
          expect(await a.exited).toBe('SIGKILL');
          const a2 = start('executor');

          const expected = FOLLOWERS * SIGNALS;
          const counted = async () => {
            const orders = await cluster.db
              .selectFrom('orders')
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .where('status', 'in', ['placed', 'rejected', 'timed-out', 'reconciled-placed'])
              .executeTakeFirstOrThrow();
            const errors = await cluster.db
              .selectFrom('errors')
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .where('kind', 'in', ['order-blocked', 'order-failed'])
              .executeTakeFirstOrThrow();
            return Number(orders.n) + Number(errors.n);
          };
          /** Which signals lack outcomes, and for how many accounts: tells a lost signal from a stuck partition. */
          const shortSignals = async () => {
            const rows = await cluster.db.selectFrom('intents').select(['signal_id']).execute();
            const bySignal = new Map<string, number>();
            for (const r of rows) bySignal.set(r.signal_id, (bySignal.get(r.signal_id) ?? 0) + 1);
            return [...bySignal].filter(([, n]) => n < FOLLOWERS).map(([id, n]) => `${id}: ${n} intents`);
          };
          // A killed member leaves the group only after its session times out (10 s), then its
          // partitions move: the deadline leaves room for that on a loaded machine.
          await waitFor(
            async () => {
              const n = await counted();
              if (n < expected) throw new Error(`only ${n} of ${expected} outcomes`);
              return true;
            },
            { message: 'an outcome for every intent', timeout: 90_000, interval: 250, context: show },
          ).catch(async (error: Error) => {
            // Asked once, at the end: tells a lost signal from a stuck partition.
            throw new Error(
              `${error.message}; short: ${(await shortSignals()).join(', ') || 'none by intents'}`,
            );
          });
          // Once the group has settled on the survivors, each broker login is held by exactly one of them.
          const lastAssigned = (p: CliProcess) =>
            p.lines.filter((l) => l.type === 'executor-assigned').at(-1) as
              | { partitions: number[]; connections: string[] }
              | undefined;
          const settled = await waitFor(
            () => {
              const [x, y] = [lastAssigned(b), lastAssigned(a2)];
              if (!x || !y) return undefined;
              const partitions = [...x.partitions, ...y.partitions].sort((m, n) => m - n);
              return partitions.join() === [...Array(10).keys()].join() ? [x, y] : undefined;
            },
            { message: 'the survivors to share every partition', timeout: 30_000, context: show },
          );
          const [heldB, heldA2] = settled.map((l) => l.connections);
          expect(heldB!.filter((c) => heldA2!.includes(c))).toEqual([]);
          expect([...heldB!, ...heldA2!].sort()).toEqual(
            Array.from({ length: CONNECTIONS }, (_, i) => connectionOf(i)).sort(),
          );
          for (const p of [router, b, a2]) p.child.kill('SIGTERM');
          for (const p of [router, b, a2]) expect(await p.exited, show()).toBe(0);

          // Exactly one outcome per intent: an order (placed / rejected / timed out / found at the
          // broker after the move) or a recorded error, never two, never none.
          const orderRows = await cluster.db
            .selectFrom('orders')
            .select(['id', 'intent_id', 'account_id', 'status'])
            .where('status', 'in', ['placed', 'rejected', 'timed-out', 'reconciled-placed'])
            .orderBy('id')
            .execute();
          const errorRows = await cluster.db
            .selectFrom('errors')
            .select(['intent_id', 'kind', 'message'])
            .where('kind', 'in', ['order-blocked', 'order-failed'])
            .execute();
          const perIntent = new Map<string, number>();
          for (const r of [...orderRows, ...errorRows])
            perIntent.set(r.intent_id!, (perIntent.get(r.intent_id!) ?? 0) + 1);
          const bySignalIndex = new Map<string, number>();
          const missing: string[] = [];
          const twice: string[] = [];
          for (let f = 0; f < FOLLOWERS; f++) {
            for (let s = 0; s < SIGNALS; s++) {
              const id = intentId(signal(s).signalId, `f${String(f).padStart(3, '0')}`, 'entry');
              bySignalIndex.set(id, s);
              const n = perIntent.get(id) ?? 0;
              if (n === 0) missing.push(id);
              if (n > 1) twice.push(id);
            }
          }
          expect(missing).toEqual([]);
          expect(twice).toEqual([]);
          expect(perIntent.size).toBe(expected);
          expect(errorRows, JSON.stringify(errorRows.slice(0, 3))).toEqual([]);
          // Each account's orders were journaled in signal order.
          const lastByAccount = new Map<string, number>();
          for (const r of orderRows) {
            const s = bySignalIndex.get(r.intent_id!)!;
            expect(
              s,
              `${r.account_id} order for signal ${s} after ${lastByAccount.get(r.account_id)}`,
            ).toBeGreaterThan(lastByAccount.get(r.account_id) ?? -1);
            lastByAccount.set(r.account_id, s);
          }
          // The malformed signal is a recorded error with the reason.
          const rejected = await cluster.db
            .selectFrom('errors')
            .selectAll()
            .where('kind', '=', 'signal-rejected')
            .execute();
          expect(rejected.length).toBe(1);
          expect(rejected[0]?.message).toMatch(/JSON/);
          // The router routed each signal once (it must not read back its own events) and refused the bad one.
          expect(router.lines.find((l) => l.type === 'router-stopped')).toMatchObject({
            signals: SIGNALS,
            routed: FOLLOWERS * SIGNALS,
            rejected: 1,
          });
          // Every intent was handled by someone: the killed executor before it died, or the
          // survivors (executed, or found already done in the journal or at the broker). Which
          // survivor took the killed one's partitions depends on when the restarted one joined,
          // so the split between them is not asserted; both ran and stopped cleanly.
          const stats = [b, a2].map((p) => p.lines.find((l) => l.type === 'executor-stopped')!);
          expect(stats.every(Boolean), show()).toBe(true);
          const handled = stats.reduce(
            (n, s) => n + (s.executed as number) + (s.alreadyDone as number) + (s.foundAtBroker as number),
            0,
          );
          expect(handled + outcomes(a), JSON.stringify(stats)).toBeGreaterThanOrEqual(expected);
          if (process.env.TN_SCALE_STATS) writeFileSync(process.env.TN_SCALE_STATS, JSON.stringify(stats));
        },
        150_000,
      );
    });
  });
});
