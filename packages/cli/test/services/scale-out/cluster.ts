import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { createPgPool } from '../../../src/services/journal/pg-pool.js';
import type { JournalDatabase } from '../../../src/services/journal/schema.js';
import {
  connectKafkajs,
  designTopics,
  type KafkaClient,
  type KafkaProducer,
} from '../../../src/services/kafka/index.js';
import { type CliProcess, startCli } from '../cli-process.js';
import { uniquePrefix } from '../kafka/helpers.js';

/** The services a scale-out test runs on, as `describeWithService` hands them over. */
export interface ClusterServices {
  /** Kafka's bootstrap list (`host:port,…`). */
  brokers: string;
  /** Redis for the executors' dedupe; without it the config names none. */
  redisUrl?: string;
  /** PostgreSQL for a journal in a schema of the test's own; without it the journal is off. */
  pgUrl?: string;
}

/** Routers and executors of one test: the built CLI on one config, and what they share. */
export interface ScaleOutCluster {
  /** Topic, group and Redis key prefix of this test (nothing it does meets another test). */
  readonly prefix: string;
  /** The folder holding `config.yaml` (the processes' working directory). */
  readonly dir: string;
  readonly kafka: KafkaClient;
  /** A producer to publish leader signals on `<prefix>trade.signals`. */
  readonly producer: KafkaProducer;
  /** The journal's database (only with `pgUrl`). */
  readonly db: Kysely<JournalDatabase>;
  /** Every process started, in order. */
  readonly processes: CliProcess[];
  /** `tradenova run -c config.yaml --json --role <role> …extra`. */
  start(role: 'router' | 'executor', ...extra: string[]): CliProcess;
  /** Each process's exit and the end of its stderr, for a failed wait. */
  show(): string;
}

/**
 * Registers the set-up and tear-down of a scale-out test (call it in a `describe` body): a
 * folder whose `config.yaml` is `config()`'s lines then a `services:` section for `services`,
 * the design's topics under a fresh prefix, a producer, and a journal schema of its own.
 * After the tests, every process still running is killed and all of it is removed.
 */
export function scaleOutCluster(
  name: string,
  services: ClusterServices,
  config: () => readonly string[] | Promise<readonly string[]>,
): ScaleOutCluster {
  const prefix = uniquePrefix(name);
  const schema = `tn_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const processes: CliProcess[] = [];
  let dir: string | undefined;
  let kafka: KafkaClient | undefined;
  let producer: KafkaProducer | undefined;
  let db: Kysely<JournalDatabase> | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`scaleOutCluster: ${what} is set up in beforeAll`);
    return value;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `tn-${name}-`));
    const { brokers, redisUrl, pgUrl } = services;
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        ...(await config()),
        'services:',
        pgUrl ? `  journal: { url: "${pgUrl}", schema: ${schema} }` : '  journal: { enabled: false }',
        `  kafka: { brokers: [${brokers}], prefix: "${prefix}", group: ${prefix}g }`,
        ...(redisUrl ? [`  redis: { url: "${redisUrl}", prefix: "${prefix}tn:" }`] : []),
        '',
      ].join('\n'),
    );
    kafka = await connectKafkajs({ brokers: brokers.split(',') });
    await kafka.createTopics(designTopics(prefix));
    producer = await kafka.producer();
    if (pgUrl)
      db = new Kysely<JournalDatabase>({
        dialect: new PostgresDialect({ pool: createPgPool(pgUrl, { schema }) }),
      });
  });

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await producer?.close();
    await kafka?.close();
    if (db) {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db).catch(() => {});
      await db.destroy();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  return {
    prefix,
    get dir() {
      return ready(dir, 'the folder');
    },
    get kafka() {
      return ready(kafka, 'Kafka');
    },
    get producer() {
      return ready(producer, 'the producer');
    },
    get db() {
      return ready(db, 'the journal database (give pgUrl)');
    },
    processes,
    start(role, ...extra) {
      const p = startCli(
        ['run', '-c', 'config.yaml', '--json', '--role', role, ...extra],
        ready(dir, 'the folder'),
      );
      processes.push(p);
      return p;
    },
    show: () =>
      processes
        .map((p, i) => `#${i} exit=${p.child.exitCode} stderr:\n${p.stderr().slice(-1500)}`)
        .join('\n'),
  };
}

/**
 * Config lines for `followers` paper accounts spread over paper logins (connections): follower
 * i is `name(i)` with account `account(i)` on `login(i)`. An executor holds a whole login or none.
 */
export function paperFollowersOnLogins(
  followers: number,
  of: { login: (i: number) => string; name: (i: number) => string; account: (i: number) => string },
): string[] {
  const logins = [...new Set(Array.from({ length: followers }, (_, i) => of.login(i)))];
  return [
    'connections:',
    ...logins.map((key) => `  ${key}: { broker: paper }`),
    'followers:',
    ...Array.from(
      { length: followers },
      (_, i) =>
        `  - { name: ${of.name(i)}, broker: paper, connection: ${of.login(i)}, account: ${of.account(i)} }`,
    ),
  ];
}
