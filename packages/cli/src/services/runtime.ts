import { resolve } from 'node:path';
import {
  type EngineEvent,
  type EngineEventType,
  type EventBus,
  type Logger,
  type ServicesConfig,
  type Sink,
  silentLogger,
} from '@tradenova/core';
import { errorMessage, redactUrl } from './errors.js';
import { Journal } from './journal/journal.js';
import { lockJournalDir } from './journal/lock.js';
import { parseJournalLocation } from './journal/open-database.js';
import { DEFAULT_SPILL_DIR, recoverSpills, spillEvents } from './journal/spill.js';
import type { KafkaClient } from './kafka/client.js';
import { KafkaSink, type KafkaSinkOptions } from './kafka/kafka-sink.js';
import { connectKafkajs } from './kafka/kafkajs-client.js';
import { createMemoryStores } from './redis/memory-stores.js';
import { connectRedisStores } from './redis/redis-stores.js';
import type { ServiceStores } from './redis/stores.js';

/** Command-line overrides of the config's `services:` section. */
export interface ServiceFlags {
  /** `--journal <location>`: a `postgres://` URL or a directory; `false` from `--no-journal`. */
  journal?: string | false;
  /** `--no-journal`. */
  noJournal?: boolean;
  /** `--kafka host:port[,host:port]`. */
  kafka?: string;
  /** `--redis redis://…`. */
  redis?: string;
}

/** The `services:` section with the command-line flags applied. */
export function effectiveServices(services: ServicesConfig, flags: ServiceFlags = {}): ServicesConfig {
  const journal = { ...services.journal };
  if (typeof flags.journal === 'string') journal.url = flags.journal;
  if (flags.noJournal || flags.journal === false) journal.enabled = false;
  const kafka =
    flags.kafka !== undefined
      ? {
          prefix: '',
          clientId: 'tradenova',
          publish: true,
          consumeSignals: true,
          group: 'tradenova',
          ...services.kafka,
          brokers: flags.kafka.split(',').map((b) => b.trim()),
        }
      : services.kafka;
  const redis =
    flags.redis !== undefined ? { prefix: 'tn:', ...services.redis, url: flags.redis } : services.redis;
  return { journal, ...(kafka ? { kafka } : {}), ...(redis ? { redis } : {}) };
}

/** Passwords in the services' URLs, for the redactor: they never reach a log line or an event. */
export function servicePasswords(services: ServicesConfig, flags: ServiceFlags = {}): string[] {
  const urls = [services.journal.url, services.redis?.url, flags.journal || undefined, flags.redis];
  const out: string[] = [];
  for (const url of urls) {
    if (!url) continue;
    try {
      const password = decodeURIComponent(new URL(url).password);
      if (password) out.push(password);
    } catch {
      // A directory, not a URL.
    }
  }
  return out;
}

/** Options of `openServices`. */
export interface OpenServicesOptions {
  /** Where service state changes go, as `service-status` events (the engine's bus). */
  bus: EventBus;
  /** Event types the Kafka sink must not publish (a process reading `trade.signals` excludes `signal-received`). */
  kafkaExclude?: readonly EngineEventType[];
  /** Keys, origin and filters of the Kafka sink (see `KafkaSinkOptions`). */
  kafkaSink?: Pick<KafkaSinkOptions, 'skip' | 'accountsOf' | 'processId' | 'origin'>;
  /** Where unwritten journal records are kept over a shutdown (default `.tradenova/journal-spill`). */
  spillDir?: string;
  /** How long shutdown waits for the journal before spilling what is left (default 10 s). */
  journalCloseMs?: number;
  logger?: Logger;
  /** Redacts referenced secret and environment values from what the journal writes. */
  redact?: (text: string) => string;
}

/** The external services of one process, opened and checked. */
export interface Services {
  /** The journal of record (absent with `enabled: false`). */
  readonly journal?: Journal;
  /** The Kafka cluster, when configured. */
  readonly kafka?: KafkaClient;
  /** Topic prefix on that cluster. */
  readonly kafkaPrefix: string;
  /** Control, dedupe and token stores: on Redis when configured, in this process otherwise. */
  readonly stores: ServiceStores;
  /** Sinks for the engine: the journal and the Kafka sink (as configured), already running. */
  readonly sinks: readonly Sink[];
  /** Closes everything this opened (sinks are closed by the engine's stop, or here if never attached). */
  close(): Promise<void>;
}

/**
 * Opens Kafka, the journal and Redis as configured, each checked before anything trades:
 * one that does not answer is a `ServiceUnavailableError` naming it and where (exit 2),
 * and what was already opened is closed again. At run time each reports its state as a
 * `service-status` event on the bus; the journal and the Kafka sink keep what they could
 * not write and retry with backoff, so an outage never stops orders.
 */
export async function openServices(
  services: ServicesConfig,
  options: OpenServicesOptions,
): Promise<Services> {
  const logger = options.logger ?? silentLogger;
  const status = (event: Omit<Extract<EngineEvent, { type: 'service-status' }>, 'type' | 'time'>) => {
    options.bus.publish({ type: 'service-status', time: Date.now(), ...event });
  };
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse())
      await close().catch((e) => logger.warn({ err: e }, 'services: close failed'));
    closers.length = 0;
  };
  try {
    const sinks: Sink[] = [];
    let kafka: KafkaClient | undefined;
    const kafkaConfig = services.kafka;
    if (kafkaConfig) {
      const where = kafkaConfig.brokers.join(',');
      kafka = await connectKafkajs({ brokers: kafkaConfig.brokers, clientId: kafkaConfig.clientId, logger });
      const client = kafka;
      closers.push(() => client.close());
      if (kafkaConfig.publish) {
        const sink = await KafkaSink.start({
          client,
          prefix: kafkaConfig.prefix,
          ...(options.kafkaExclude ? { exclude: options.kafkaExclude } : {}),
          ...options.kafkaSink,
          retry: { minMs: 200, maxMs: 5000 },
          onStatus: (s) =>
            status(
              s.state === 'ok'
                ? { service: 'kafka', state: 'ok', where }
                : { service: 'kafka', state: 'degraded', where, reason: s.error, pending: s.pending },
            ),
          logger,
        });
        sinks.push(guardedClose(sink, logger));
      }
    }

    let journal: Journal | undefined;
    if (services.journal.enabled) {
      const location = parseJournalLocation(services.journal.url);
      const where = 'url' in location ? redactUrl(location.url) : resolve(location.dir);
      let release = () => {};
      if ('dir' in location) release = lockJournalDir(resolve(location.dir));
      try {
        journal = await Journal.open({
          ...('url' in location
            ? { url: location.url, ...(services.journal.schema ? { schema: services.journal.schema } : {}) }
            : { dir: location.dir }),
          onStatus: (s) =>
            status(
              s.state === 'ok'
                ? { service: 'postgres', state: 'ok', where }
                : { service: 'postgres', state: 'degraded', where, reason: s.error, pending: s.pending },
            ),
          logger,
          ...(options.redact ? { redact: options.redact } : {}),
        });
      } catch (error) {
        release();
        throw error;
      }
      const spillDir = resolve(options.spillDir ?? DEFAULT_SPILL_DIR);
      const recovered = await recoverSpills(spillDir, journal);
      if (recovered > 0)
        logger.info({ recovered, spillDir }, 'journal: wrote records kept from an earlier run');
      sinks.push(journalSink(journal, spillDir, options.journalCloseMs ?? 10_000, logger, release));
    }

    let stores: ServiceStores;
    const redisConfig = services.redis;
    if (redisConfig) {
      const where = redactUrl(redisConfig.url);
      stores = await connectRedisStores({
        url: redisConfig.url,
        prefix: redisConfig.prefix,
        onStatus: (s) =>
          status(
            s.state === 'ok'
              ? { service: 'redis', state: 'ok', where }
              : { service: 'redis', state: 'degraded', where, reason: s.error },
          ),
      });
    } else {
      stores = createMemoryStores();
    }
    const openStores = stores;
    closers.push(() => openStores.close());

    let sinksClosed = false;
    return {
      ...(journal ? { journal } : {}),
      ...(kafka ? { kafka } : {}),
      kafkaPrefix: kafkaConfig?.prefix ?? '',
      stores,
      sinks,
      async close() {
        if (!sinksClosed) {
          sinksClosed = true;
          for (const sink of sinks) await sink.close?.();
        }
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** A sink whose close never throws: a delivery failure at shutdown is logged, the journal holds the record. */
function guardedClose(sink: KafkaSink, logger: Logger): Sink {
  let closed = false;
  return {
    name: sink.name,
    write: (event) => sink.write(event),
    flush: () => sink.flush().catch((e) => logger.error({ err: e }, 'kafka: events not delivered')),
    close: async () => {
      if (closed) return;
      closed = true;
      await sink.close().catch((e) => logger.error({ err: e }, 'kafka: events not delivered at shutdown'));
    },
  };
}

/**
 * The journal as the engine's sink. `flush` waits only while the database answers; at
 * shutdown whatever it could not commit in time goes to a spill file, written to the
 * database by the next process that opens the journal: nothing appended is lost.
 */
function journalSink(
  journal: Journal,
  spillDir: string,
  closeMs: number,
  logger: Logger,
  release: () => void,
): Sink {
  let closed = false;
  return {
    name: journal.name,
    write: (event) => journal.append(event),
    // The engine flushes before it closes; a database outage must not hold up shutdown here.
    flush: () => journal.flush().catch(() => {}),
    async close() {
      if (closed) return;
      closed = true;
      try {
        const left = await journal.closeWithin(closeMs);
        const file = await spillEvents(spillDir, left);
        if (file)
          logger.warn(
            { file, events: left.length },
            'journal: database away at shutdown; records kept in a spill file',
          );
      } catch (error) {
        logger.error({ err: error }, `journal: close failed: ${errorMessage(error)}`);
      } finally {
        release();
      }
    },
  };
}
