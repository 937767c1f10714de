import type { Logger } from '@tradenova/core';
import {
  type Consumer,
  type IHeaders,
  Kafka,
  type KafkaMessage,
  type LogEntry,
  logLevel,
  Partitioners,
  type Producer,
} from 'kafkajs';
import { errorMessage, ServiceUnavailableError } from '../errors.js';
import {
  type ConsumeOptions,
  type DeliveryReport,
  type IncomingMessage,
  type KafkaClient,
  type KafkaConsumer,
  type KafkaProducer,
  MessageReleased,
  type TopicMessages,
  type TopicSpec,
} from './client.js';
import { skipIdleRequestChecks } from './kafkajs-idle-timer.js';

/** How to reach the cluster. */
export interface KafkajsClientOptions {
  /** `host:port` of one or more brokers. */
  brokers: readonly string[];
  clientId?: string;
  /** Where kafkajs's own log lines go; silent by default, like every library. */
  logger?: Logger;
  /**
   * Retries of one request before its error is surfaced (default 5, about 10 s with
   * kafkajs's backoff). Finite on purpose, also for the idempotent producer: an
   * endless retry would hide a broker outage from the caller.
   */
  retries?: number;
  /** How long a consumer may take to join its group before `consume` fails (default 30 s). */
  joinTimeoutMs?: number;
  /**
   * Longest a fetch waits on an idle partition (default 500 ms). Data is returned as soon
   * as it arrives either way; this bounds how long leaving a group waits for the fetch.
   */
  maxWaitTimeMs?: number;
}

/**
 * Connects to Kafka with kafkajs and checks the cluster answers a metadata request.
 * Throws `ServiceUnavailableError` naming the brokers when it does not.
 */
export async function connectKafkajs(options: KafkajsClientOptions): Promise<KafkaClient> {
  const client = new KafkajsClient(options);
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => {});
    throw new ServiceUnavailableError('kafka', options.brokers.join(','), { cause: error });
  }
  return client;
}

/** Kafka's config resource type of a broker (kafkajs's `ConfigResourceTypes.BROKER`, not an ESM named export). */
const BROKER_RESOURCE = 4;

const LEVEL_NAMES: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** `KafkaClient` over kafkajs 2.x. */
class KafkajsClient implements KafkaClient {
  readonly #kafka: Kafka;
  readonly #admin;
  readonly #retries: number;
  readonly #joinTimeoutMs: number;
  readonly #maxWaitTimeMs: number;
  readonly #open = new Set<{ close(): Promise<void> }>();
  readonly #logger: Logger | undefined;

  constructor(options: KafkajsClientOptions) {
    const logger = options.logger;
    this.#logger = logger;
    this.#retries = options.retries ?? 5;
    this.#joinTimeoutMs = options.joinTimeoutMs ?? 30_000;
    this.#maxWaitTimeMs = options.maxWaitTimeMs ?? 500;
    skipIdleRequestChecks();
    this.#kafka = new Kafka({
      clientId: options.clientId ?? 'tradenova',
      brokers: [...options.brokers],
      connectionTimeout: 3000,
      retry: { retries: this.#retries },
      logLevel: logger ? logLevel.INFO : logLevel.NOTHING,
      logCreator:
        () =>
        ({ namespace, level, log }: LogEntry) => {
          if (!logger) return;
          const { message, ...rest } = log;
          logger[LEVEL_NAMES[level] ?? 'debug']({ ...rest, namespace }, `kafkajs: ${message}`);
        },
    });
    this.#admin = this.#kafka.admin();
  }

  async connect(): Promise<void> {
    await this.#admin.connect();
    await this.#admin.describeCluster();
  }

  async listTopics(): Promise<Map<string, number>> {
    const { topics } = await this.#admin.fetchTopicMetadata();
    return new Map(topics.filter((t) => !t.name.startsWith('__')).map((t) => [t.name, t.partitions.length]));
  }

  async createTopics(topics: readonly TopicSpec[]): Promise<string[]> {
    const existing = await this.listTopics();
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return [];
    // Another process may create the same topics at the same moment; kafkajs treats
    // "already exists" as success, which is what we want.
    await this.#admin.createTopics({
      // kafkajs's own wait gives up on UNKNOWN_TOPIC_OR_PARTITION, which a broker answers
      // for a moment after creating a topic; #waitForLeaders retries through it.
      waitForLeaders: false,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor ?? -1,
      })),
    });
    await this.#waitForLeaders(missing.map((t) => t.name));
    return missing.map((t) => t.name);
  }

  async #waitForLeaders(topics: string[], timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown = 'no leaders yet';
    while (Date.now() < deadline) {
      try {
        const metadata = await this.#admin.fetchTopicMetadata({ topics });
        if (
          metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
        ) {
          // A leader in the metadata may not serve its partition yet: a produce right after
          // was refused "not the leader for that topic-partition" until kafkajs's retries ran
          // out on a loaded machine. Listing offsets asks each partition's leader itself.
          for (const topic of topics) await this.#admin.fetchTopicOffsets(topic);
          return;
        }
      } catch (error) {
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`kafka: topics have no leaders after ${timeoutMs} ms: ${errorMessage(last)}`, {
      cause: last,
    });
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length > 0) await this.#admin.deleteTopics({ topics: [...names] });
  }

  async consumerLag(groupId: string, topic: string): Promise<{ partition: number; lag: number }[]> {
    const [ends, committed] = await Promise.all([
      this.#admin.fetchTopicOffsets(topic),
      this.#admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const done = new Map(
      (committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [
        p.partition,
        BigInt(p.offset),
      ]),
    );
    return ends.map((end) => {
      const high = BigInt(end.high);
      const at = done.get(end.partition) ?? -1n;
      // -1: the group never committed here; everything from the start of the retained log is owed.
      const from = at < 0n ? BigInt(end.low) : at;
      return { partition: end.partition, lag: Number(high > from ? high - from : 0n) };
    });
  }

  async producer(): Promise<KafkaProducer> {
    const producer = this.#kafka.producer({
      idempotent: true,
      // kafkajs keeps ordering under retries only with one request in flight per broker.
      maxInFlightRequests: 1,
      // Murmur2 on the key, the same partition a Java client picks for the same key.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: this.#retries },
    });
    await producer.connect();
    const handle = new KafkajsProducer(
      producer,
      (topic) => this.#partitionCount(topic),
      () => this.#open.delete(handle),
    );
    this.#open.add(handle);
    return handle;
  }

  readonly #partitions = new Map<string, number>();

  async #partitionCount(topic: string): Promise<number> {
    let count = this.#partitions.get(topic);
    if (count === undefined) {
      const { topics } = await this.#admin.fetchTopicMetadata({ topics: [topic] });
      count = topics[0]?.partitions.length ?? 1;
      this.#partitions.set(topic, count);
    }
    return count;
  }

  async consume(options: ConsumeOptions): Promise<KafkaConsumer> {
    const starts = options.fromBeginning
      ? new Map()
      : await this.#startOffsets(options.groupId, options.topics);
    const session = await this.#sessionTiming(options);
    const consumer = this.#kafka.consumer({
      groupId: options.groupId,
      ...session,
      maxWaitTimeInMs: this.#maxWaitTimeMs,
      retry: { retries: this.#retries },
    });
    const handle = new KafkajsConsumer(
      consumer,
      () => this.#open.delete(handle),
      session.sessionTimeout,
      this.#logger,
    );
    this.#open.add(handle);
    try {
      await handle.start(options, this.#joinTimeoutMs, starts);
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
    return handle;
  }

  /**
   * The session timeout and heartbeat a member joins with. A timeout below the broker's
   * `group.min.session.timeout.ms` would make every join fail (INVALID_SESSION_TIMEOUT),
   * so it is raised to that minimum, read from the broker once, with a warning: failover
   * then takes that long. The heartbeat stays well inside the timeout, as kafkajs wants.
   */
  async #sessionTiming(
    options: Pick<ConsumeOptions, 'groupId' | 'sessionTimeoutMs' | 'heartbeatIntervalMs'>,
  ): Promise<{ sessionTimeout?: number; heartbeatInterval?: number }> {
    const wanted = options.sessionTimeoutMs;
    if (wanted === undefined) {
      return options.heartbeatIntervalMs === undefined
        ? {}
        : { heartbeatInterval: options.heartbeatIntervalMs };
    }
    const minimum = await this.#minSessionTimeout();
    const sessionTimeout = Math.max(wanted, minimum);
    if (sessionTimeout > wanted) {
      this.#logger?.warn(
        { groupId: options.groupId, sessionTimeoutMs: wanted, brokerMinimumMs: minimum },
        'kafka: session timeout raised to the broker minimum (group.min.session.timeout.ms); failover takes that long',
      );
    }
    const heartbeat = options.heartbeatIntervalMs ?? Math.max(500, Math.floor(sessionTimeout / 6));
    return { sessionTimeout, heartbeatInterval: Math.min(heartbeat, Math.floor(sessionTimeout / 3)) };
  }

  #brokerMinimum: Promise<number> | undefined;

  /** The broker's `group.min.session.timeout.ms` (Kafka's default 6 s when it cannot be read). */
  #minSessionTimeout(): Promise<number> {
    this.#brokerMinimum ??= (async () => {
      try {
        const { brokers } = await this.#admin.describeCluster();
        const id = brokers[0]?.nodeId;
        if (id === undefined) return 6000;
        const { resources } = await this.#admin.describeConfigs({
          includeSynonyms: false,
          resources: [
            {
              type: BROKER_RESOURCE,
              name: String(id),
              configNames: ['group.min.session.timeout.ms'],
            },
          ],
        });
        const value = Number(resources[0]?.configEntries[0]?.configValue);
        return Number.isFinite(value) && value > 0 ? value : 6000;
      } catch (error) {
        this.#logger?.warn({ err: error }, 'kafka: group.min.session.timeout.ms not read; assuming 6000');
        return 6000;
      }
    })();
    return this.#brokerMinimum;
  }

  /**
   * Where a group that starts "at the end" starts: the current end of each partition
   * with no committed offset, read before the member joins. kafkajs would otherwise
   * resolve "the end" lazily at the first fetch, and again on every restart of the
   * member until its first commit, so a message published in between (right after the
   * join, or while a coordinator still loading on a fresh broker restarted the member)
   * was silently skipped. The member seeks to these offsets when it is given such a
   * partition and commits them at once, so the group owns that position from then on.
   * When the committed offsets cannot be read, kafkajs decides (seeking could skip).
   */
  async #startOffsets(groupId: string, topics: readonly string[]): Promise<StartOffsets> {
    const starts: StartOffsets = new Map();
    for (const topic of topics) {
      try {
        const [committed] = await this.#admin.fetchOffsets({ groupId, topics: [topic] });
        const unset = (committed?.partitions ?? []).filter((p) => p.offset === '-1').map((p) => p.partition);
        if (unset.length === 0) continue;
        const ends = new Map((await this.#admin.fetchTopicOffsets(topic)).map((e) => [e.partition, e.high]));
        starts.set(topic, new Map(unset.map((p) => [p, ends.get(p) ?? '0'])));
      } catch (error) {
        this.#logger?.warn({ err: error, groupId, topic }, 'kafka: start position not read');
      }
    }
    return starts;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#open].map((h) => h.close()));
    await this.#admin.disconnect();
  }
}

class KafkajsProducer implements KafkaProducer {
  readonly #producer: Producer;
  readonly #partitionCount: (topic: string) => Promise<number>;
  readonly #onClose: () => void;
  readonly #next = new Map<string, number>();

  constructor(producer: Producer, partitionCount: (topic: string) => Promise<number>, onClose: () => void) {
    this.#producer = producer;
    this.#partitionCount = partitionCount;
    this.#onClose = onClose;
  }

  async send(batch: readonly TopicMessages[]): Promise<DeliveryReport[]> {
    const topicMessages = [];
    for (const t of batch) {
      const messages = [];
      for (const m of t.messages) {
        // kafkajs picks a keyless message's partition anew on each retry, so a retried
        // request regroups its batches and the broker rejects the idempotent producer's
        // sequence numbers (OUT_OF_ORDER_SEQUENCE_NUMBER, seen on 3.9 and 4.x after a
        // NOT_LEADER right after topic creation). A partition fixed here, before the
        // first attempt, makes every retry send the same batches.
        const partition = m.partition ?? (m.key === null ? await this.#roundRobin(t.topic) : undefined);
        messages.push({ key: m.key, value: m.value, headers: m.headers, partition });
      }
      topicMessages.push({ topic: t.topic, messages });
    }
    const results = await this.#producer.sendBatch({ acks: -1, topicMessages });
    return results.map((r) => ({
      topic: r.topicName,
      partition: r.partition,
      baseOffset: r.baseOffset ?? '',
    }));
  }

  async #roundRobin(topic: string): Promise<number> {
    const count = await this.#partitionCount(topic);
    const next = this.#next.get(topic) ?? Math.floor(Math.random() * count);
    this.#next.set(topic, (next + 1) % count);
    return next % count;
  }

  async close(): Promise<void> {
    this.#onClose();
    await this.#producer.disconnect();
  }
}

/** Start offsets by topic and partition, for partitions with no committed offset. */
type StartOffsets = Map<string, Map<number, string>>;

class KafkajsConsumer implements KafkaConsumer {
  readonly #consumer: Consumer;
  readonly #onClose: () => void;
  readonly #logger: Logger | undefined;
  #assignment: Record<string, number[]> = {};
  readonly sessionTimeoutMs: number | undefined;
  /** With `commitBehind`: per partition, the last batch's `beforeCommit` and commit still running. */
  readonly #behind = new Map<string, Promise<void>>();
  /** Set by `close()`: batches commit before their handler returns, so leaving waits for them. */
  #closing = false;

  constructor(
    consumer: Consumer,
    onClose: () => void,
    sessionTimeoutMs: number | undefined,
    logger: Logger | undefined,
  ) {
    this.#consumer = consumer;
    this.#onClose = onClose;
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.#logger = logger;
  }

  /**
   * Runs `beforeCommit` then the commit of a handled batch, behind the partition's
   * earlier ones. Awaited (its error thrown) unless `behind`: then it runs on while the
   * next batch is handled, and its error is logged (the partition's next commit covers it).
   */
  async #settle(
    topic: string,
    partition: number,
    offset: string,
    beforeCommit: () => Promise<void>,
    commit: (offsets: { topic: string; partition: number; offset: string }[]) => Promise<void>,
    behind: boolean,
  ): Promise<void> {
    const key = `${topic}#${partition}`;
    const step = (this.#behind.get(key) ?? Promise.resolve()).then(async () => {
      await beforeCommit();
      // Taken away meanwhile: the new owner handles the batch again; an old commit could move it back.
      if (behind && !this.#assignment[topic]?.includes(partition)) return;
      await commit([{ topic, partition, offset }]);
    });
    const tracked = step.catch((error: unknown) => {
      this.#logger?.warn(
        { err: error, topic, partition },
        'kafka: offset not committed; the next commit covers it',
      );
    });
    this.#behind.set(key, tracked);
    void tracked.then(() => {
      if (this.#behind.get(key) === tracked) this.#behind.delete(key);
    });
    if (!behind || this.#closing) await step;
  }

  /** `starts`: where partitions with no committed offset begin, until this member commits one. */
  async start(options: ConsumeOptions, joinTimeoutMs: number, starts: StartOffsets): Promise<void> {
    const consumer = this.#consumer;
    /** Commits, and forgets the start of each partition committed: the group holds its position now. */
    const commit = async (offsets: { topic: string; partition: number; offset: string }[]) => {
      await consumer.commitOffsets(offsets);
      for (const o of offsets) starts.get(o.topic)?.delete(o.partition);
    };
    let joined: () => void = () => {};
    let failed: (error: unknown) => void = () => {};
    const join = new Promise<void>((resolve, reject) => {
      joined = resolve;
      failed = reject;
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.#assignment = payload.memberAssignment;
      // Before the first fetch of the new assignment: the start position read before
      // joining, committed right away so a restarted member starts there too.
      const pinned: { topic: string; partition: number; offset: string }[] = [];
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const offset = starts.get(topic)?.get(partition);
          if (offset === undefined) continue;
          consumer.seek({ topic, partition, offset });
          pinned.push({ topic, partition, offset });
        }
      }
      options.onAssignment?.(payload.memberAssignment);
      // `consume` resolves once the group owns the start position (or the commit failed:
      // the seek still holds for this member). Committed on the next turn: kafkajs marks
      // the member running only after this event, and drops a commit made before that.
      const commitAll = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
        pinned.length === 0 ? undefined : commit(pinned),
      );
      void commitAll
        .catch(() => undefined)
        .then(() => {
          // Partitions another member was given may be committed by it by now: seeking
          // them later could go back. Kept only: this member's whose commit failed.
          for (const [topic, offsets] of starts) {
            for (const partition of offsets.keys()) {
              if (!payload.memberAssignment[topic]?.includes(partition)) offsets.delete(partition);
            }
          }
          joined();
        });
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // A retriable crash (e.g. the group coordinator still loading on a fresh broker) is
      // followed by kafkajs restarting the member; only a final one is the caller's problem.
      if (payload.restart) return;
      failed(payload.error);
      options.onError?.(payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? false });
    const incoming = (topic: string, partition: number, message: KafkaMessage): IncomingMessage => ({
      topic,
      partition,
      offset: message.offset,
      key: message.key === null ? null : message.key.toString('utf8'),
      value: message.value === null ? null : message.value.toString('utf8'),
      headers: decodeHeaders(message.headers),
      timestamp: Number(message.timestamp),
    });
    const beforeCommit = options.beforeCommit;
    if (beforeCommit) {
      const settle = (topic: string, partition: number, last: string) =>
        this.#settle(
          topic,
          partition,
          (BigInt(last) + 1n).toString(),
          beforeCommit,
          commit,
          options.commitBehind ?? false,
        );
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.concurrency ?? 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          let last: string | undefined;
          if (options.orderBy === 'key') {
            // One chain per key: a key's messages in order, different keys side by side.
            const chains = new Map<string, Promise<void>>();
            for (const message of batch.messages) {
              if (!isRunning() || isStale()) break;
              const m = incoming(batch.topic, batch.partition, message);
              const key = m.key ?? '';
              const previous = chains.get(key) ?? Promise.resolve();
              chains.set(
                key,
                previous.then(() => options.handle(m)).then(() => heartbeat().catch(() => undefined)),
              );
              last = message.offset;
            }
            const settled = await Promise.allSettled(chains.values());
            const failures = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
            // Nothing of the batch is committed: it comes again, and handlers skip what they finished.
            // Released messages (the process is stopping) are no failure: the next owner gets them.
            const failure = failures.find((r) => !(r.reason instanceof MessageReleased));
            if (failure) throw failure.reason;
            if (failures.length > 0) return;
            if (last === undefined) return;
            resolveOffset(last);
            await settle(batch.topic, batch.partition, last);
            return;
          }
          for (const message of batch.messages) {
            // A rebalance took the partition away: what is left goes to its new owner.
            if (!isRunning() || isStale()) break;
            try {
              await options.handle(incoming(batch.topic, batch.partition, message));
            } catch (error) {
              // Released: what was handled before it is committed below, the rest goes to the next owner.
              if (error instanceof MessageReleased) break;
              throw error;
            }
            resolveOffset(message.offset);
            last = message.offset;
            await heartbeat();
          }
          if (last === undefined) return;
          await settle(batch.topic, batch.partition, last);
        },
      });
    } else {
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: options.concurrency ?? 1,
        eachMessage: async ({ topic, partition, message }) => {
          try {
            await options.handle(incoming(topic, partition, message));
          } catch (error) {
            // Not committed: the partition's next owner gets it.
            if (error instanceof MessageReleased) return;
            throw error;
          }
          // Only now: a message whose handling threw or was cut off is delivered again.
          await commit([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        },
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`consumer group ${options.groupId}: not joined within ${joinTimeoutMs} ms`)),
        joinTimeoutMs,
      );
    });
    try {
      await Promise.race([join, timeout]);
    } catch (error) {
      throw new Error(`kafka consumer ${options.groupId} failed to start: ${errorMessage(error)}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  assignment(): Record<string, number[]> {
    return this.#assignment;
  }

  async close(): Promise<void> {
    this.#onClose();
    // Commits still running behind the handlers land before the member leaves.
    this.#closing = true;
    await Promise.all(this.#behind.values());
    await this.#consumer.disconnect();
  }
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}
