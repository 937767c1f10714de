import { hostname } from 'node:os';
import { type Logger, silentLogger, TOPICS } from '@tradenova/core';
import type { KafkaClient, KafkaProducer } from './client.js';
import { ENVELOPE_VERSION, EVENT_TYPE_HEADER, SCHEMA_ID_HEADER } from './envelope.js';
import { prefixed } from './topics.js';

/** Schema id of a process heartbeat on `system.heartbeat`. */
export const HEARTBEAT_SCHEMA_ID = `tradenova.heartbeat.v${ENVELOPE_VERSION}`;

/** What a process says about itself every few seconds. */
export interface ProcessStatus {
  /** Partitions it owns, by topic (empty for a process that consumes nothing). */
  partitions: Record<string, number[]>;
  /** Messages its consumer group is behind on those partitions; absent when it consumes nothing or it could not be read. */
  lag?: number;
}

/** One heartbeat body. */
export interface Heartbeat extends ProcessStatus {
  v: typeof ENVELOPE_VERSION;
  type: 'heartbeat';
  processId: string;
  role: string;
  time: number;
  startedAt: number;
}

/** An id for this process: host and pid, unique among live processes. */
export function defaultProcessId(): string {
  return `${hostname()}:${process.pid}`;
}

/** Settings of `ProcessHeartbeat`. */
export interface ProcessHeartbeatOptions {
  client: KafkaClient;
  prefix?: string;
  processId: string;
  role: string;
  /** Every this many ms (default 5000). */
  intervalMs?: number;
  /** Read at each beat. */
  status: () => Promise<ProcessStatus> | ProcessStatus;
  logger?: Logger;
}

/**
 * Publishes the process's health on `system.heartbeat` every few seconds, keyed by
 * process id: role, the partitions it owns and its lag. A beat Kafka refuses is logged
 * and the next one tries again; it never stops the process.
 */
export class ProcessHeartbeat {
  readonly #options: ProcessHeartbeatOptions;
  readonly #logger: Logger;
  readonly #startedAt = Date.now();
  #producer: KafkaProducer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;

  constructor(options: ProcessHeartbeatOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Opens its producer and sends the first beat at once. */
  async start(): Promise<void> {
    this.#producer = await this.#options.client.producer();
    this.#tick();
  }

  #tick(): void {
    this.#beating = this.beat()
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'heartbeat: not published'))
      .finally(() => {
        // Unref'd: a heartbeat never keeps a process alive by itself.
        if (this.#producer)
          this.#timer = setTimeout(() => this.#tick(), this.#options.intervalMs ?? 5000).unref();
      });
  }

  /** Sends one beat now. */
  async beat(): Promise<void> {
    const producer = this.#producer;
    if (!producer) return;
    const status = await this.#options.status();
    const body: Heartbeat = {
      v: ENVELOPE_VERSION,
      type: 'heartbeat',
      processId: this.#options.processId,
      role: this.#options.role,
      time: Date.now(),
      startedAt: this.#startedAt,
      ...status,
    };
    await producer.send([
      {
        topic: prefixed(this.#options.prefix ?? '', TOPICS.heartbeat.name),
        messages: [
          {
            key: this.#options.processId,
            value: JSON.stringify(body),
            headers: { [SCHEMA_ID_HEADER]: HEARTBEAT_SCHEMA_ID, [EVENT_TYPE_HEADER]: 'heartbeat' },
          },
        ],
      },
    ]);
  }

  /** Stops beating (after the beat in flight) and closes its producer. */
  async stop(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    clearTimeout(this.#timer);
    await this.#beating;
    clearTimeout(this.#timer);
    await producer?.close();
  }
}

/** Starts a heartbeat; one that cannot start (Kafka refuses its producer) is logged and left out. */
export async function startHeartbeat(
  options: ProcessHeartbeatOptions,
): Promise<ProcessHeartbeat | undefined> {
  const heartbeat = new ProcessHeartbeat(options);
  try {
    await heartbeat.start();
    return heartbeat;
  } catch (error) {
    (options.logger ?? silentLogger).warn({ err: error }, 'heartbeat: not started');
    await heartbeat.stop().catch(() => undefined);
    return undefined;
  }
}

/**
 * A process's status: the partitions it owns, and, when it reads a topic in a group,
 * that group's committed lag summed over the partitions it owns (left out when the
 * cluster cannot say).
 */
export function statusOf(
  client: KafkaClient,
  partitionsOf: () => Record<string, number[]>,
  reads: { group: string; topic: string } | undefined,
): () => Promise<ProcessStatus> {
  return async () => {
    const partitions = partitionsOf();
    if (!reads) return { partitions };
    const held = new Set(partitions[reads.topic] ?? []);
    try {
      const lag = (await client.consumerLag(reads.group, reads.topic))
        .filter((p) => held.has(p.partition))
        .reduce((n, p) => n + p.lag, 0);
      return { partitions, lag };
    } catch {
      return { partitions };
    }
  };
}
