import { type EngineEvent, type EngineEventType, type Logger, silentLogger } from '@tradenova/core';
import { errorMessage } from '../errors.js';
import type { KafkaClient, KafkaProducer, OutgoingMessage, TopicMessages } from './client.js';
import { encodeEvent, ORIGIN_HEADER } from './envelope.js';
import { EventKeys } from './event-keys.js';
import { designTopics, prefixed } from './topics.js';

/** Events Kafka did not take, with why. Nothing in `events` is on the topic. */
export class KafkaDeliveryError extends Error {
  /** The events that were not delivered, in the order they were written. */
  readonly events: readonly EngineEvent[];
  constructor(events: readonly EngineEvent[], cause: unknown) {
    super(`kafka: ${events.length} event(s) not delivered: ${errorMessage(cause)}`, { cause });
    this.name = 'KafkaDeliveryError';
    this.events = events;
  }
}

/** Settings of a Kafka sink. */
export interface KafkaSinkOptions {
  client: KafkaClient;
  /** Prepended to every topic name of the design (default none). */
  prefix?: string;
  /**
   * Event types not to publish. A process that reads `trade.signals` should exclude
   * `signal-received`, or it would publish every signal it consumed back to the topic.
   */
  exclude?: readonly EngineEventType[];
  /** Events of these kinds are not published when this says so (e.g. signals read from Kafka). */
  skip?: (event: EngineEvent) => boolean;
  /** The accounts a broker connection holds: its state goes to `account.status` under each one's key. */
  accountsOf?: (connection: string) => readonly string[];
  /** This process's id: the key of its `system.heartbeat` events. */
  processId?: string;
  /**
   * Put on every message as the `tn-origin` header: a Kafka signal source given the
   * same value skips the signals this publisher copied itself.
   */
  origin?: string;
  /** Create the design's topics at start when they are absent (default true). */
  createTopics?: boolean;
  /** Most events per produce request (default 500). */
  maxBatch?: number;
  /**
   * Keep a batch Kafka refused and send it again with backoff (first wait `minMs`,
   * doubled up to `maxMs`) instead of failing it, while the sink is open: a broker
   * outage then delays events without losing them. After `close()` a failure fails.
   */
  retry?: { minMs?: number; maxMs?: number };
  /** Told when delivery starts failing (and is being retried) and when it works again. */
  onStatus?(
    status: { state: 'ok' } | { state: 'degraded'; error: string; pending: number; retryInMs: number },
  ): void;
  /** Called once per failed batch, as soon as it failed. `flush()` rejects with the same errors. */
  onDeliveryError?(error: KafkaDeliveryError): void;
  logger?: Logger;
}

/** Counters of what the sink did. */
export interface KafkaSinkStats {
  /** Events acknowledged by Kafka. */
  delivered: number;
  /** Events Kafka did not take (each reported as a `KafkaDeliveryError`). */
  failed: number;
  /** Written and not yet acknowledged or failed. */
  pending: number;
}

/**
 * Publishes every engine event to the design's topics (see `routeEvent`): keyed by
 * account or instrument, as versioned JSON with a schema id header, through an
 * idempotent producer. `write` is synchronous and never blocks the copy path;
 * events are sent in write order, in batches, one request at a time so per-key
 * order holds. A batch Kafka refuses is reported to `onDeliveryError`, logged, and
 * makes the next `flush()` reject: never dropped silently. Fits core's `Sink`.
 */
export class KafkaSink {
  /** Sink name, for logs and the engine's sink list. */
  readonly name = 'kafka';
  readonly #producer: KafkaProducer;
  readonly #prefix: string;
  readonly #exclude: ReadonlySet<EngineEventType>;
  readonly #maxBatch: number;
  readonly #onDeliveryError: ((error: KafkaDeliveryError) => void) | undefined;
  readonly #logger: Logger;
  readonly #options: KafkaSinkOptions;
  readonly #keys: EventKeys;
  #queue: EngineEvent[] = [];
  #draining: Promise<void> | undefined;
  #errors: KafkaDeliveryError[] = [];
  #closed = false;
  #retryMs = 0;
  #degraded = false;
  readonly #stats: KafkaSinkStats = { delivered: 0, failed: 0, pending: 0 };

  private constructor(producer: KafkaProducer, options: KafkaSinkOptions) {
    this.#producer = producer;
    this.#prefix = options.prefix ?? '';
    this.#exclude = new Set(options.exclude ?? []);
    this.#maxBatch = options.maxBatch ?? 500;
    this.#onDeliveryError = options.onDeliveryError;
    this.#logger = options.logger ?? silentLogger;
    this.#options = options;
    this.#keys = new EventKeys({
      ...(options.accountsOf ? { accountsOf: options.accountsOf } : {}),
      ...(options.processId ? { processId: options.processId } : {}),
    });
  }

  /** Creates the topics that are missing (unless told not to) and opens the producer. */
  static async start(options: KafkaSinkOptions): Promise<KafkaSink> {
    const logger = options.logger ?? silentLogger;
    const wanted = designTopics(options.prefix ?? '');
    if (options.createTopics ?? true) {
      const created = await options.client.createTopics(wanted);
      if (created.length > 0) logger.info({ topics: created }, 'kafka: created topics');
    }
    const existing = await options.client.listTopics();
    for (const topic of wanted) {
      const partitions = existing.get(topic.name);
      // Fewer partitions than the design still works, with less parallelism; say so once.
      if (partitions !== undefined && partitions !== topic.partitions) {
        logger.warn(
          { topic: topic.name, partitions, expected: topic.partitions },
          'kafka: topic has a different partition count than the design',
        );
      }
    }
    return new KafkaSink(await options.client.producer(), options);
  }

  /** Queues one event for Kafka. Throws only after `close()`. */
  write(event: EngineEvent): void {
    if (this.#closed) throw new Error('kafka sink: write after close');
    if (this.#exclude.has(event.type) || this.#options.skip?.(event)) return;
    this.#queue.push(event);
    this.#stats.pending++;
    this.#draining ??= this.#drain();
  }

  /** Resolves when every event written so far is acknowledged; rejects with the delivery errors since the last flush. */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
    const errors = this.#errors;
    this.#errors = [];
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `kafka: ${errors.length} batches not delivered`);
  }

  /** Flushes, then closes the producer. Rejects like `flush()` when something was not delivered. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.flush();
    } finally {
      await this.#producer.close();
    }
  }

  /** What was delivered, failed and is still pending. */
  get stats(): Readonly<KafkaSinkStats> {
    return { ...this.#stats };
  }

  async #drain(): Promise<void> {
    // Let the current turn's writes (a signal's whole fan-out) join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const retry = this.#options.retry;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      try {
        await this.#producer.send(this.#group(batch));
        this.#stats.delivered += batch.length;
        this.#stats.pending -= batch.length;
        this.#retryMs = 0;
        if (this.#degraded) {
          this.#degraded = false;
          this.#status({ state: 'ok' });
        }
      } catch (error) {
        if (retry && !this.#closed) {
          // Back at the head of the queue: events of one key still go out in write order.
          this.#queue.unshift(...batch);
          this.#retryMs = Math.min(retry.maxMs ?? 5000, Math.max(retry.minMs ?? 100, this.#retryMs * 2));
          this.#degraded = true;
          this.#logger.warn(
            { err: error, pending: this.#queue.length },
            'kafka: delivery failed; will retry',
          );
          this.#status({
            state: 'degraded',
            error: errorMessage(error),
            pending: this.#queue.length,
            retryInMs: this.#retryMs,
          });
          await new Promise<void>((resolve) => setTimeout(resolve, this.#retryMs));
          continue;
        }
        this.#stats.failed += batch.length;
        this.#stats.pending -= batch.length;
        this.#fail(new KafkaDeliveryError(batch, error));
      }
    }
    this.#draining = undefined;
  }

  #status(status: Parameters<NonNullable<KafkaSinkOptions['onStatus']>>[0]): void {
    try {
      this.#options.onStatus?.(status);
    } catch (error) {
      this.#logger.error({ err: error }, 'kafka: onStatus threw');
    }
  }

  #group(batch: readonly EngineEvent[]): TopicMessages[] {
    const byTopic = new Map<string, OutgoingMessage[]>();
    const origin = this.#options.origin;
    for (const event of batch) {
      const encoded = encodeEvent(event);
      for (const route of this.#keys.messages(event)) {
        const topic = prefixed(this.#prefix, route.topic);
        let messages = byTopic.get(topic);
        if (!messages) {
          messages = [];
          byTopic.set(topic, messages);
        }
        messages.push({
          key: route.key,
          value: encoded.value,
          headers: { ...encoded.headers, ...route.headers, ...(origin ? { [ORIGIN_HEADER]: origin } : {}) },
        });
      }
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  }

  #fail(error: KafkaDeliveryError): void {
    this.#errors.push(error);
    this.#logger.error({ err: error, events: error.events.length }, 'kafka: delivery failed');
    try {
      this.#onDeliveryError?.(error);
    } catch (listenerError) {
      this.#logger.error({ err: listenerError }, 'kafka: onDeliveryError threw');
    }
  }
}
