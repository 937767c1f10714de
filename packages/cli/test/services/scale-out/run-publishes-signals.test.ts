import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectKafkajs, designTopics, type KafkaClient } from '../../../src/services/kafka/index.js';
import { BUILT, startCli } from '../cli-process.js';
import { collect, uniquePrefix } from '../kafka/helpers.js';
import { describeWithService } from '../require-service.js';

/**
 * `run` with the Kafka sink (and, by default, the Kafka signal source): the leader's own
 * signals go out on trade.signals keyed by instrument, modify and cancel under their
 * order's instrument, and the process does not copy them a second time when it reads
 * them back.
 */
describeWithService('kafka', 'run publishes its leader’s signals on trade.signals', (brokers) => {
  const prefix = uniquePrefix('publish');
  let dir: string;
  let kafka: KafkaClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tn-publish-'));
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'connections:',
        '  scripted: { broker: paper, options: { script: demo, seed: 3 } }',
        'leader: { connection: scripted, broker: paper, account: LEAD }',
        'followers:',
        '  - { name: a, broker: paper, account: A1 }',
        'services:',
        '  journal: { enabled: false }',
        `  kafka: { brokers: [${brokers}], prefix: "${prefix}", group: ${prefix}g, statusIntervalMs: 1000 }`,
        '',
      ].join('\n'),
    );
    kafka = await connectKafkajs({ brokers: brokers.split(',') });
    await kafka.createTopics(designTopics(prefix));
  });
  afterAll(async () => {
    await kafka?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!BUILT)(
    'keyed by instrument, one leader order on one partition, copied once',
    async () => {
      const run = startCli(['run', '-c', 'config.yaml', '--json', '--duration', '8'], dir);
      expect(await run.exited, run.stderr()).toBe(0);
      const signals = run.lines
        .filter((l) => l.type === 'signal-received')
        .map(
          (l) =>
            l.signal as { signalId: string; action: string; leaderOrderId?: string; instrument?: string },
        );
      expect(signals.length, run.stderr()).toBeGreaterThan(0);
      // Read back by its own Kafka source and skipped: each signal copied once.
      const ids = signals.map((s) => s.signalId);
      expect(new Set(ids).size).toBe(ids.length);

      // On the topic: each signal and its completion, once.
      const completed = run.lines.filter((l) => l.type === 'signal-completed').length;
      const published = await collect(kafka, [`${prefix}trade.signals`], signals.length + completed, 30_000);
      const received = published.filter((m) => m.headers['tn-event-type'] === 'signal-received');
      expect(received.map((m) => JSON.parse(m.value!).signal.signalId).sort()).toEqual([...ids].sort());
      const instrumentOf = new Map<string, string>();
      const partitionOf = new Map<string, number>();
      for (const m of received) {
        const s = JSON.parse(m.value!).signal as (typeof signals)[number];
        expect(m.headers['tn-origin']).toBe(`${prefix}g:LEAD`);
        if (s.action === 'new') {
          expect(m.key).toBe(s.instrument);
          instrumentOf.set(s.leaderOrderId!, s.instrument!);
          partitionOf.set(s.leaderOrderId!, m.partition);
        } else if ((s.action === 'modify' || s.action === 'cancel') && instrumentOf.has(s.leaderOrderId!)) {
          expect(m.key).toBe(instrumentOf.get(s.leaderOrderId!));
          expect(m.partition).toBe(partitionOf.get(s.leaderOrderId!));
        }
      }
      // Its heartbeat too: role all, keyed by process id.
      const beats = await collect(kafka, [`${prefix}system.heartbeat`], 1, 30_000);
      expect(JSON.parse(beats[0]!.value!)).toMatchObject({ type: 'heartbeat', role: 'all' });
      expect(beats[0]!.key).toBe(JSON.parse(beats[0]!.value!).processId);
    },
    120_000,
  );
});
