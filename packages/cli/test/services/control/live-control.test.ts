import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@tradenova/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  connectKafkajs,
  designTopics,
  type KafkaClient,
  type KafkaProducer,
} from '../../../src/services/kafka/index.js';
import { BUILT, type CliProcess, runCli, startCli } from '../cli-process.js';
import { uniquePrefix } from '../kafka/helpers.js';
import { describeWithService } from '../require-service.js';

/** A resting limit order far from the market: placed, never filled, so every step is deterministic. */
function limitSignal(signalId: string): Record<string, unknown> {
  return {
    signalId,
    action: 'new',
    leaderOrderId: `lo-${signalId}`,
    instrument: 'MNQH7',
    side: 'buy',
    qty: 1,
    orderType: 'limit',
    limitPrice: '15000.00',
  };
}

describeWithService('kafka', 'live control through Redis, applied by a running process', (brokers) => {
  describeWithService(
    'redis',
    'tradenova accounts pause | resume | kill against a running `tradenova run`',
    (redisUrl) => {
      const prefix = uniquePrefix('control');
      const redisPrefix = `${prefix}tn:`;
      let dir: string;
      let kafka: KafkaClient;
      let producer: KafkaProducer;
      let run: CliProcess | undefined;
      let n = 0;

      beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'tn-control-'));
        writeFileSync(
          join(dir, 'config.yaml'),
          [
            'leader: { broker: paper, account: LEADER1 }',
            'followers:',
            '  - { name: f1, broker: paper, account: PAPER-1 }',
            '  - { name: f2, broker: paper, account: PAPER-2 }',
            'services:',
            `  journal: { url: ${join(dir, 'journal')} }`,
            `  kafka: { brokers: [${brokers}], prefix: "${prefix}", group: ${prefix}g }`,
            `  redis: { url: "${redisUrl}", prefix: "${redisPrefix}" }`,
            '',
          ].join('\n'),
        );
        kafka = await connectKafkajs({ brokers: brokers.split(',') });
        await kafka.createTopics(designTopics(prefix));
        producer = await kafka.producer();
      });

      afterAll(async () => {
        if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
        await producer?.close();
        await kafka?.close();
        rmSync(dir, { recursive: true, force: true });
      });

      const publish = async () => {
        const id = `s${++n}`;
        await producer.send([
          {
            topic: `${prefix}trade.signals`,
            messages: [{ key: 'MNQ', value: JSON.stringify(limitSignal(id)) }],
          },
        ]);
        return id;
      };
      const outcome = (signalId: string, follower: string) => () =>
        run!.lines.find(
          (l) =>
            (l.type === 'order-placed' || l.type === 'order-blocked') &&
            (l.intent as { signalId: string; follower: string }).signalId === signalId &&
            (l.intent as { follower: string }).follower === follower,
        );
      const show = () =>
        `stderr:\n${run?.stderr()}\nlast lines:\n${run?.lines
          .slice(-5)
          .map((l) => JSON.stringify(l))
          .join('\n')}`;

      const status = (follower: string, value: string, after: number) => () =>
        run!.lines
          .slice(after)
          .find((l) => l.type === 'account-status' && l.follower === follower && l.status === value);
      const control = (...args: string[]) => {
        const r = runCli(['accounts', ...args, '-c', 'config.yaml'], dir);
        expect(r.status, r.stderr).toBe(0);
        return r.stdout;
      };
      const copy = async (follower: string) => {
        const id = await publish();
        const [a, b] = await Promise.all([
          waitFor(outcome(id, 'f1'), { message: `${id} on f1`, timeout: 10_000, context: show }),
          waitFor(outcome(id, 'f2'), { message: `${id} on f2`, timeout: 10_000, context: show }),
        ]);
        return follower === 'f1' ? [a, b] : [b, a];
      };

      it.skipIf(!BUILT)(
        'a pause, a resume and the kill switch from another process change what the running engine does at once',
        async () => {
          run = startCli(['run', '-c', 'config.yaml', '--json', '--metrics', '127.0.0.1:0'], dir);
          // The consumer joins at the end of trade.signals: publish until the run copies one.
          const deadline = Date.now() + 30_000;
          for (;;) {
            const id = await publish();
            const copied = await waitFor(outcome(id, 'f1'), {
              message: `a copy of ${id}`,
              timeout: 1500,
            }).catch(() => undefined);
            if (copied) break;
            if (run.child.exitCode !== null || Date.now() > deadline)
              throw new Error(`run never copied\n${show()}`);
          }

          let mark = run.lines.length;
          expect(control('pause', 'f1')).toContain('paused');
          await waitFor(status('f1', 'paused', mark), {
            message: 'f1 paused in the running process',
            timeout: 10_000,
            context: show,
          });
          let [f1, f2] = await copy('f1');
          expect(f1).toMatchObject({ type: 'order-blocked', reason: 'FOLLOWER_PAUSED' });
          expect(f2).toMatchObject({ type: 'order-placed' });

          mark = run.lines.length;
          control('resume', 'f1');
          await waitFor(status('f1', 'enabled', mark), {
            message: 'f1 resumed',
            timeout: 10_000,
            context: show,
          });
          [f1, f2] = await copy('f1');
          expect(f1).toMatchObject({ type: 'order-placed' });

          mark = run.lines.length;
          expect(control('kill', 'on', '--reason', 'test')).toContain('kill switch ON');
          await waitFor(status('f2', 'paused', mark), {
            message: 'f2 stopped by the kill switch',
            timeout: 10_000,
            context: show,
          });
          [f1, f2] = await copy('f1');
          // The kill switch names itself, so an operator can tell it from a pause.
          expect(f1).toMatchObject({ type: 'order-blocked', reason: 'KILL_SWITCH' });
          expect(f2).toMatchObject({ type: 'order-blocked', reason: 'KILL_SWITCH' });

          mark = run.lines.length;
          control('kill', 'off');
          await waitFor(status('f2', 'enabled', mark), {
            message: 'f2 copying again',
            timeout: 10_000,
            context: show,
          });
          [f1, f2] = await copy('f1');
          expect(f1).toMatchObject({ type: 'order-placed' });
          expect(f2).toMatchObject({ type: 'order-placed' });

          // Scaling and risk set from another process reach the running engine too.
          control('set', 'f1', 'scaling.mode=multiplier', 'scaling.factor=3');
          const qtyOf = (line: unknown) => (line as { intent: { qty: number } }).intent.qty;
          // Each try publishes a signal and waits for both outcomes, so no pause between tries.
          [f1, f2] = await waitFor(
            async () => {
              const pair = await copy('f1');
              return pair[0]?.type === 'order-placed' && qtyOf(pair[0]) === 3 ? pair : undefined;
            },
            { message: 'f1 copying 3 contracts', timeout: 15_000, interval: 0, context: show },
          );
          expect(qtyOf(f2)).toBe(1);
          control('set', 'f1', 'risk.maxOrderQty=2');
          [f1] = await waitFor(
            async () => {
              const pair = await copy('f1');
              return pair[0]?.type === 'order-blocked' ? pair : undefined;
            },
            { message: 'f1 blocked by maxOrderQty', timeout: 15_000, interval: 0, context: show },
          );
          expect(f1).toMatchObject({ type: 'order-blocked', reason: 'MAX_ORDER_QTY' });

          // The lag gauges of the services this process runs, read at scrape time: its consumer
          // group on trade.signals caught up, and the journal's unwritten events.
          const metricsUrl = /metrics at (\S+)/.exec(run.stderr())?.[1];
          expect(metricsUrl, run.stderr()).toBeDefined();
          const scraped = await (await fetch(metricsUrl!)).text();
          expect(scraped).toMatch(
            new RegExp(
              `tradenova_kafka_consumer_lag_messages\\{group="${prefix}g-router",topic="${prefix}trade\\.signals",partition="\\d+"\\} \\d+`,
            ),
          );
          expect(scraped).toMatch(/tradenova_journal_lag_events \d+/);

          run.child.kill('SIGTERM');
          expect(await run.exited).toBe(0);
          // The journal of record saw the same: three blocked entries for f1 (two paused, one over its cap), one for f2.
          const report = runCli(
            ['report', '--from', '0', '--to', String(Date.now() + 60_000), '-c', 'config.yaml', '--json'],
            dir,
          );
          expect(report.status, report.stderr).toBe(0);
          const accounts = (
            JSON.parse(report.stdout) as {
              accounts: { accountId: string; blocked: number; ordersPlaced: number }[];
            }
          ).accounts;
          expect(accounts.find((a) => a.accountId === 'PAPER-1')?.blocked).toBe(3);
          expect(accounts.find((a) => a.accountId === 'PAPER-2')?.blocked).toBe(1);
          expect(accounts.find((a) => a.accountId === 'PAPER-2')!.ordersPlaced).toBeGreaterThanOrEqual(3);
        },
        90_000,
      );
    },
  );
});
