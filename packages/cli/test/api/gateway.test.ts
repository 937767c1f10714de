import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoBrokers } from '../../src/brokers/simulators.js';
import { demoConfigYaml } from '../../src/run/demo-config.js';
import { createPgPool } from '../../src/services/journal/pg-pool.js';
import type { JournalDatabase } from '../../src/services/journal/schema.js';
import { connectKafkajs, designTopics, type KafkaClient } from '../../src/services/kafka/index.js';
import { BUILT, type CliProcess, runCli, startCli, waitFor } from '../services/cli-process.js';
import { uniquePrefix } from '../services/kafka/helpers.js';
import { describeWithService } from '../services/require-service.js';
import { call, openStream, refusedUpgrade, TEST_KEY_TEXT, token } from './api-process.js';

type Event = Record<string, unknown> & { seq?: number; type: string };
const followerOf = (m: Event): string | undefined =>
  (m.follower as string | undefined) ?? (m.intent as { follower?: string } | undefined)?.follower;

/**
 * `tradenova run --role gateway --api`: the same done-when as `demo --api`, for a cluster.
 * A `run` of the demo config (role all) copies and publishes its events on Kafka; the
 * gateway, a separate process with no engine, serves them, and its control actions reach
 * the copying process through Redis; both use one PostgreSQL journal (orders, the audit trail).
 */
describeWithService('kafka', 'tradenova run --role gateway', (brokers) => {
  describeWithService('redis', 'with the Redis control store', (redisUrl) => {
    describeWithService('postgres', 'and a PostgreSQL journal', (pgUrl) => {
      const prefix = uniquePrefix('gateway');
      const schema = `tn_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      let db: Kysely<JournalDatabase>;
      const env = { TRADENOVA_API_SIGNING_KEY: TEST_KEY_TEXT };
      let dir: string;
      let kafka: KafkaClient;
      let copier: CliProcess;
      let gateway: CliProcess;
      let base: string;

      beforeAll(async () => {
        if (!BUILT) return;
        dir = mkdtempSync(join(tmpdir(), 'tn-gateway-'));
        writeFileSync(
          join(dir, 'config.yaml'),
          [
            demoConfigYaml(demoBrokers(), 5),
            'services:',
            `  journal: { url: "${pgUrl}", schema: ${schema} }`,
            `  kafka: { brokers: [${brokers}], prefix: "${prefix}", group: ${prefix}g, statusIntervalMs: 1000 }`,
            `  redis: { url: "${redisUrl}", prefix: "${prefix}tn:" }`,
            '',
          ].join('\n'),
        );
        kafka = await connectKafkajs({ brokers: brokers.split(',') });
        await kafka.createTopics(designTopics(prefix));
        const migrated = runCli(['migrate', '-c', 'config.yaml'], dir);
        expect(migrated.status, migrated.stderr).toBe(0);
        db = new Kysely<JournalDatabase>({
          dialect: new PostgresDialect({ pool: createPgPool(pgUrl, { schema }) }),
        });
        // The gateway first: it reads from the moment it joins, and the copier's events come after.
        gateway = startCli(['run', '-c', 'config.yaml', '--role', 'gateway', '--api', '127.0.0.1:0'], dir, {
          ...process.env,
          ...env,
        });
        base = await waitFor(
          'the gateway api line',
          () => /api at (http:\/\/\S+)\/v1/.exec(gateway.stderr())?.[1],
          60_000,
          () => gateway.stderr(),
        );
        await waitFor(
          'gateway-started',
          () => gateway.lines.find((l) => l.type === 'gateway-started'),
          30_000,
        );
        copier = startCli(['run', '-c', 'config.yaml', '--json', '--duration', '600'], dir, process.env);
      }, 120_000);
      afterAll(async () => {
        for (const p of [copier, gateway]) {
          if (p && p.child.exitCode === null) p.child.kill('SIGTERM');
          await p?.exited;
        }
        await kafka?.close();
        if (db) {
          await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db).catch(() => {});
          await db.destroy();
        }
        if (dir) rmSync(dir, { recursive: true, force: true });
      }, 60_000);

      it.skipIf(!BUILT)(
        'orders come from the journal the copier writes; the audit trail goes there too',
        async () => {
          const read = (await token('read')).token;
          let orders: { name: string; status: string }[] = [];
          const deadline = Date.now() + 60_000;
          while (orders.length < 3 && Date.now() < deadline) {
            const answer = await call(base, 'GET', '/v1/orders?limit=3', { token: read });
            expect(answer.status).toBe(200);
            orders = answer.body.orders as typeof orders;
            if (orders.length < 3) await new Promise((r) => setTimeout(r, 250));
          }
          expect(orders).toHaveLength(3);
          const f01 = (await token('read', { accounts: ['DEMO-F01'] })).token;
          let mine: { name: string }[] = [];
          while (mine.length === 0 && Date.now() < deadline) {
            const answer = await call(base, 'GET', '/v1/orders?limit=50', { token: f01 });
            mine = answer.body.orders as typeof mine;
            if (mine.length === 0) await new Promise((r) => setTimeout(r, 250));
          }
          expect(mine.length).toBeGreaterThan(0);
          expect(mine.every((o) => o.name === 'f01-paper-fixed-1')).toBe(true);
          const control = await token('control', { name: 'journal-check' });
          expect(
            (await call(base, 'POST', '/v1/kill', { token: control.token, body: { reason: 'check' } }))
              .status,
          ).toBe(200);
          expect((await call(base, 'DELETE', '/v1/kill', { token: control.token })).status).toBe(200);
          const rows = await db
            .selectFrom('api_audit')
            .select(['action', 'token_id', 'token_name', 'outcome'])
            .where('token_id', '=', control.id)
            .orderBy('id')
            .execute();
          expect(rows).toEqual([
            { action: 'kill-engage', token_id: control.id, token_name: 'journal-check', outcome: 'ok' },
            { action: 'kill-release', token_id: control.id, token_name: 'journal-check', outcome: 'ok' },
          ]);
        },
        90_000,
      );

      it.skipIf(!BUILT)(
        'answers 401 without a token, 200 on /v1/health and /v1/accounts with a read token',
        async () => {
          expect((await call(base, 'GET', '/v1/accounts')).status).toBe(401);
          expect(await refusedUpgrade(base)).toBe(401);
          expect((await call(base, 'GET', '/healthz')).status).toBe(200);
          const read = (await token('read')).token;
          // The copier's heartbeat reaches the gateway's health.
          let processes: { role: string }[] = [];
          const deadline = Date.now() + 60_000;
          while (Date.now() < deadline) {
            const answer = await call(base, 'GET', '/v1/health', { token: read });
            expect(answer.status).toBe(200);
            expect(answer.body.role).toBe('gateway');
            processes = answer.body.processes as { role: string }[];
            if (processes.some((p) => p.role === 'all')) break;
            await new Promise((r) => setTimeout(r, 250));
          }
          expect(processes.map((p) => p.role)).toContain('all');
          const accounts = await call(base, 'GET', '/v1/accounts', { token: read });
          expect(accounts.status).toBe(200);
          expect((accounts.body.accounts as unknown[]).length).toBeGreaterThanOrEqual(20);
        },
        90_000,
      );

      it.skipIf(!BUILT)('serves /v1/openapi.json', async () => {
        const doc = await call(base, 'GET', '/v1/openapi.json');
        expect(doc.status).toBe(200);
        expect(doc.body.openapi).toBe('3.1.0');
      });

      it.skipIf(!BUILT)(
        "streams the cluster's events from Kafka, filtered by the token's accounts",
        async () => {
          const read = (await token('read')).token;
          const f01 = (await token('read', { accounts: ['DEMO-F01'] })).token;
          const all = await openStream(base, read);
          const mine = await openStream(base, f01);
          try {
            const f02 = (await all.next(
              (m) => followerOf(m as Event) === 'f02-tradovate-double',
              90_000,
            )) as Event;
            expect(typeof f02.seq).toBe('number');
            await mine.next((m) => typeof m.seq === 'number' && (m.seq as number) > f02.seq!, 60_000);
            for (const e of mine.messages.filter((m) => typeof m.seq === 'number') as Event[]) {
              if (e.type === 'signal-completed') continue;
              expect(followerOf(e)).toBe('f01-paper-fixed-1');
            }
          } finally {
            all.ws.close();
            mine.ws.close();
          }
        },
        120_000,
      );

      it.skipIf(!BUILT)(
        '403 for PATCH with a read token; a control token pauses the follower in the copying process',
        async () => {
          const read = (await token('read')).token;
          const control = await token('control', { name: 'gw-ops' });
          const denied = await call(base, 'PATCH', '/v1/accounts/f03-projectx-same', {
            token: read,
            body: { paused: true },
          });
          expect(denied.status).toBe(403);
          const stream = await openStream(base, read);
          try {
            const ok = await call(base, 'PATCH', '/v1/accounts/f03-projectx-same', {
              token: control.token,
              body: { paused: true },
            });
            expect(ok.status).toBe(200);
            // Through Redis to the copier, whose engine says so on account.status, back through Kafka.
            const paused = await stream.next(
              (m) =>
                m.type === 'account-status' && m.follower === 'f03-projectx-same' && m.status === 'paused',
              60_000,
            );
            expect(paused.accountId).toBe('DEMO-F03');
            const audit = await waitFor(
              'the audit line',
              () => gateway.lines.find((l) => l.type === 'api-action' && l.action === 'account-patch'),
              10_000,
            );
            expect(audit).toMatchObject({ tokenId: control.id, tokenName: 'gw-ops', outcome: 'ok' });
            const flat = await call(base, 'POST', '/v1/accounts/f03-projectx-same/flatten', {
              token: control.token,
            });
            expect(flat.status).toBe(503);
            expect(flat.body.code).toBe('TN_ERR_API_UNAVAILABLE');
          } finally {
            stream.ws.close();
            await call(base, 'PATCH', '/v1/accounts/f03-projectx-same', {
              token: control.token,
              body: { paused: null },
            });
          }
        },
        90_000,
      );

      it.skipIf(!BUILT)(
        'tradenova api token revoke puts the id on the Redis deny list the gateway reads',
        async () => {
          const doomed = await token('read', { name: 'leaked' });
          expect((await call(base, 'GET', '/v1/health', { token: doomed.token })).status).toBe(200);
          const revoked = runCli(['api', 'token', 'revoke', doomed.id, '-c', 'config.yaml'], dir);
          expect(revoked.status, revoked.stderr).toBe(0);
          const after = await call(base, 'GET', '/v1/health', { token: doomed.token });
          expect(after.status).toBe(401);
          expect(after.body.message).toMatch(/revoked/);
        },
      );

      it.skipIf(!BUILT)(
        'a signal posted to the gateway goes on trade.signals and the copier copies it',
        async () => {
          const control = (await token('control')).token;
          const alertId = `gw-${Date.now()}`;
          const posted = await call(base, 'POST', '/v1/signals', {
            token: control,
            body: { action: 'flat', ticker: 'MES1!', alertId },
          });
          expect(posted.status).toBe(202);
          await waitFor(
            'the copier receiving the signal',
            () =>
              copier.lines.find(
                (l) =>
                  l.type === 'signal-received' && (l.signal as { signalId?: string }).signalId === alertId,
              ),
            60_000,
            () => copier.stderr(),
          );
        },
        90_000,
      );
    });
  });
});
