/**
 * The slice of Kafka TradeNova uses, as our own interface: kafkajs implements it today
 * (kafkajs-client.ts), and a KafkaJS-compatible successor can replace it without
 * touching the sink, the source or the scale-out roles.
 */

/**
 * Thrown by a handler for a message it did not handle because its process is stopping:
 * the consumer commits nothing past it (its batch stays uncommitted, so the partition's
 * next owner gets it again) and logs nothing. Not an error, so no outcome is recorded.
 */
export class MessageReleased extends Error {
  constructor(reason = 'released: the consumer is stopping') {
    super(reason);
    this.name = 'MessageReleased';
  }
}

/** A topic to create: name and partition count (replication defaults to the broker's). */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor?: number;
}

/**
 * One message to send. Its partition is `partition` when given, else the key's (the
 * client's partitioner); a null key with no partition spreads messages over partitions.
 */
export interface OutgoingMessage {
  key: string | null;
  value: string;
  headers?: Record<string, string>;
  partition?: number;
}

/** Messages for one topic. */
export interface TopicMessages {
  topic: string;
  messages: OutgoingMessage[];
}

/** Where a batch landed: the first offset written in each partition. */
export interface DeliveryReport {
  topic: string;
  partition: number;
  baseOffset: string;
}

/** Sends messages; resolves once every message is acknowledged by all in-sync replicas. */
export interface KafkaProducer {
  send(batch: readonly TopicMessages[]): Promise<DeliveryReport[]>;
  close(): Promise<void>;
}

/** A received message. Headers are decoded as UTF-8 text. */
export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  /** Broker or producer time, ms since epoch. */
  timestamp: number;
}

/** How to consume: a group, its topics, and the handler each message goes through. */
export interface ConsumeOptions {
  groupId: string;
  topics: readonly string[];
  /** Where a group with no committed offset starts. Default: the end (only new messages). */
  fromBeginning?: boolean;
  /**
   * Handles one message. Its offset is committed only after this resolves, so a crash
   * or a throw means the message is delivered again (at least once). Messages of one
   * partition are handled one at a time, in order.
   */
  handle(message: IncomingMessage): Promise<void>;
  /**
   * When set, the messages of one fetched batch are handled one after another with no
   * commit between them; this runs once after the batch (the executor waits for its
   * journal here) and only then is the batch's last handled offset committed. A crash
   * before it means the whole batch is delivered again.
   */
  beforeCommit?(): Promise<void>;
  /**
   * With `beforeCommit`: the next batch of a partition is handled while the previous
   * one's `beforeCommit` and commit still run (they stay in order per partition, and a
   * commit still comes only after its `beforeCommit`), so a slow `beforeCommit` (the
   * journal's flush) adds no latency to the messages behind it. A commit that fails is
   * covered by the partition's next one; one for a partition this member no longer owns
   * is dropped (its next owner gets the batch again). `close()` waits for them.
   */
  commitBehind?: boolean;
  /** The consumer stopped on an error it could not recover from by itself. */
  onError?(error: unknown): void;
  /** Partitions handled at the same time (default 1); each partition stays in order. */
  concurrency?: number;
  /**
   * With `beforeCommit`: `'key'` handles the messages of one fetched batch with different
   * keys at the same time, each key's in order (an executor's accounts sharing a
   * partition do not wait for each other); a handler that throws makes the whole batch
   * be delivered again. Default `'partition'`: one message at a time.
   */
  orderBy?: 'partition' | 'key';
  /** Called with this member's partitions, by topic, each time the group gives it an assignment. */
  onAssignment?(assignment: Record<string, number[]>): void;
  /**
   * How long the group waits for a silent (killed) member before its partitions move
   * (default 30 s). Raised to the broker's `group.min.session.timeout.ms` (6 s unless
   * the broker says otherwise) with a warning when set below it.
   */
  sessionTimeoutMs?: number;
  /** How often the member tells the group it is alive (default: a sixth of the session timeout, at least 500 ms). */
  heartbeatIntervalMs?: number;
}

/** A running group member. */
export interface KafkaConsumer {
  /** Partitions this member owns right now, by topic. */
  assignment(): Record<string, number[]>;
  /** The session timeout it joined with (after raising to the broker's minimum); undefined: the client's default. */
  readonly sessionTimeoutMs: number | undefined;
  /** Leaves the group after the message being handled is done. */
  close(): Promise<void>;
}

/** A connection to a Kafka cluster. */
export interface KafkaClient {
  /** Existing topics and their partition counts. */
  listTopics(): Promise<Map<string, number>>;
  /** Creates the topics that do not exist yet; returns the names it created. */
  createTopics(topics: readonly TopicSpec[]): Promise<string[]>;
  deleteTopics(names: readonly string[]): Promise<void>;
  /** How many messages a consumer group is behind the end of each partition of a topic (its committed offsets). */
  consumerLag(groupId: string, topic: string): Promise<{ partition: number; lag: number }[]>;
  /** An idempotent producer (acks from all in-sync replicas, no duplicates on retry). */
  producer(): Promise<KafkaProducer>;
  /** Joins a consumer group; resolves once this member has joined and owns its partitions. */
  consume(options: ConsumeOptions): Promise<KafkaConsumer>;
  /** Closes producers, consumers and the admin connection it opened. */
  close(): Promise<void>;
}
