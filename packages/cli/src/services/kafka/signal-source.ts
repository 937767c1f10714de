import { type EngineEvent, type Logger, silentLogger, TOPICS, type TradeSignal } from '@tradenova/core';
import type { IncomingMessage, KafkaClient, KafkaConsumer, KafkaProducer } from './client.js';
import { encodeEvent, ORIGIN_HEADER } from './envelope.js';
import { EventKeys } from './event-keys.js';
import { decodeSignalMessage } from './signal-decode.js';
import { prefixed } from './topics.js';

/** Where a signal came from on Kafka, for logs and the journal. */
export interface SignalOrigin {
  topic: string;
  partition: number;
  offset: string;
}

/** Handles one parsed signal; the message's offset is committed after this resolves. */
export type SignalHandler = (signal: TradeSignal, origin: SignalOrigin) => Promise<unknown> | unknown;

/** Settings of the Kafka signal source. */
export interface KafkaSignalSourceOptions {
  client: KafkaClient;
  /** Topic prefix, as given to the sink (default none). */
  prefix?: string;
  /** Consumer group (default `tradenova-router`): members share the partitions of `trade.signals`. */
  groupId?: string;
  /** Partitions handled at the same time (default 1); signals of one partition stay in order. */
  concurrency?: number;
  /** Where a new group starts (default: only signals published after it joined). */
  fromBeginning?: boolean;
  /** The leader account for signals that name none. */
  leaderAccount?: string;
  /**
   * Records a malformed message's `signal-rejected` event instead of the source sending
   * it to `order.errors` itself (a process with a Kafka sink and a journal publishes it
   * on its bus, which reaches both). The offset is committed after this resolves.
   */
  report?: (event: EngineEvent) => Promise<void> | void;
  /**
   * Signals whose `tn-origin` header is this are skipped: this process published them
   * (its own leader's signals) and copied them already.
   */
  ignoreOrigin?: string;
  /**
   * Runs once per fetched batch of signals, after their handlers and before their offsets
   * are committed (the router waits for its journal here, once per batch, not per signal).
   */
  beforeCommit?: () => Promise<void>;
  /**
   * Commits (after `beforeCommit`) behind the next batch, so the next signal does not wait
   * for the broker's answer to the last commit (see `ConsumeOptions.commitBehind`). Default:
   * true when `beforeCommit` is set; false otherwise (each signal's offset committed after its handler).
   */
  commitBehind?: boolean;
  /** Clock for signals without a time (default `Date.now`). */
  now?: () => number;
  /** Called with this member's partitions of `trade.signals` each time the group gives it an assignment. */
  onAssignment?: (partitions: number[]) => void;
  /** How long the group waits for a silent (killed) member before its partitions move (kafkajs's 30 s when absent). */
  sessionTimeoutMs?: number;
  /** How often this member tells the group it is alive. */
  heartbeatIntervalMs?: number;
  logger?: Logger;
}

/** Counters of what the source did. */
export interface KafkaSignalSourceStats {
  /** Signals handed to the handler. */
  signals: number;
  /** Malformed messages sent to `order.errors`. */
  rejected: number;
  /** Other events on the topic (e.g. `signal-completed`), skipped. */
  skipped: number;
}

/**
 * Consumes `trade.signals` in a consumer group and hands each valid signal to the
 * handler, in partition order. A malformed message is published to `order.errors` as a
 * `signal-rejected` event with the reason (and the source offset in headers), and the
 * source goes on. Offsets are committed only after the handler or the error report is
 * done, so nothing is lost on a crash (at least once). Fits core's `Source`: pass the
 * engine's `submit` as the handler.
 */
export class KafkaSignalSource {
  /** Source name, for logs. */
  readonly name = 'kafka';
  readonly #options: KafkaSignalSourceOptions;
  readonly #logger: Logger;
  #producer: KafkaProducer | undefined;
  #consumer: KafkaConsumer | undefined;
  readonly #stats: KafkaSignalSourceStats = { signals: 0, rejected: 0, skipped: 0 };

  constructor(options: KafkaSignalSourceOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Joins the group; resolves once this member owns its partitions. */
  async start(handler: SignalHandler): Promise<void> {
    if (this.#consumer) throw new Error('kafka signal source: already started');
    const { client, prefix = '' } = this.#options;
    this.#producer = await client.producer();
    this.#consumer = await client.consume({
      groupId: this.#options.groupId ?? 'tradenova-router',
      topics: [prefixed(prefix, TOPICS.signals.name)],
      fromBeginning: this.#options.fromBeginning ?? false,
      ...(this.#options.concurrency ? { concurrency: this.#options.concurrency } : {}),
      ...(this.#options.sessionTimeoutMs !== undefined
        ? { sessionTimeoutMs: this.#options.sessionTimeoutMs }
        : {}),
      ...(this.#options.heartbeatIntervalMs !== undefined
        ? { heartbeatIntervalMs: this.#options.heartbeatIntervalMs }
        : {}),
      handle: (message) => this.#handle(message, handler),
      ...(this.#options.beforeCommit || this.#options.commitBehind
        ? {
            beforeCommit: this.#options.beforeCommit ?? (async () => {}),
            commitBehind: this.#options.commitBehind ?? true,
          }
        : {}),
      ...(this.#options.onAssignment
        ? {
            onAssignment: (assignment: Record<string, number[]>) =>
              this.#options.onAssignment?.(assignment[prefixed(prefix, TOPICS.signals.name)] ?? []),
          }
        : {}),
      onError: (error) => this.#logger.error({ err: error }, 'kafka signal source: consumer stopped'),
    });
  }

  /** Leaves the group after the signal in hand is handled. */
  async stop(): Promise<void> {
    const consumer = this.#consumer;
    const producer = this.#producer;
    this.#consumer = undefined;
    this.#producer = undefined;
    await consumer?.close();
    await producer?.close();
  }

  /** The session timeout its group member joined with (undefined before start). */
  get sessionTimeoutMs(): number | undefined {
    return this.#consumer?.sessionTimeoutMs;
  }

  /** Partitions of `trade.signals` this member owns now. */
  assignment(): number[] {
    return Object.values(this.#consumer?.assignment() ?? {}).flat();
  }

  /** What the source did so far. */
  get stats(): Readonly<KafkaSignalSourceStats> {
    return { ...this.#stats };
  }

  async #handle(message: IncomingMessage, handler: SignalHandler): Promise<void> {
    const now = this.#options.now ?? Date.now;
    const decoded = decodeSignalMessage(message.value, {
      leaderAccount: this.#options.leaderAccount ?? 'leader',
      now: now(),
    });
    const origin = { topic: message.topic, partition: message.partition, offset: message.offset };
    const ignore = this.#options.ignoreOrigin;
    if (ignore !== undefined && message.headers[ORIGIN_HEADER] === ignore) {
      this.#stats.skipped++;
      return;
    }
    switch (decoded.kind) {
      case 'signal':
        this.#stats.signals++;
        await handler(decoded.signal, origin);
        return;
      case 'other':
        this.#stats.skipped++;
        return;
      case 'invalid': {
        const { kind: _kind, ...reason } = decoded;
        const event: EngineEvent = { type: 'signal-rejected', time: now(), ...reason, source: origin };
        this.#logger.warn(
          { ...origin, field: reason.field, reason: reason.message },
          'kafka: malformed signal',
        );
        // Awaited before the offset is committed: a report lost in a crash is sent again.
        await this.#report(event);
        this.#stats.rejected++;
        return;
      }
    }
  }

  async #report(event: EngineEvent): Promise<void> {
    if (this.#options.report) {
      await this.#options.report(event);
      return;
    }
    const producer = this.#producer;
    if (!producer) throw new Error('kafka signal source: not started');
    const { value, headers } = encodeEvent(event);
    // The same key and source headers as the Kafka sink gives it.
    const [route] = new EventKeys().messages(event);
    await producer.send([
      {
        topic: prefixed(this.#options.prefix ?? '', TOPICS.orderErrors.name),
        messages: [{ key: route?.key ?? null, value, headers: { ...headers, ...route?.headers } }],
      },
    ]);
  }
}
