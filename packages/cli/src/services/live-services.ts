import {
  type Engine,
  type EngineConfig,
  type EngineEventType,
  InMemoryBus,
  type Logger,
  type ServicesConfig,
  type Source,
  silentLogger,
  TOPICS,
} from '@tradenova/core';
import { connectionKeyOf } from '@tradenova/core/engine';
import { CliError } from '../errors.js';
import { ControlApplier, withStoredSettings } from './control/apply-control.js';
import { journaled } from './journal/durable.js';
import { groupTiming } from './kafka/group-timing.js';
import { defaultProcessId, type ProcessHeartbeat, startHeartbeat, statusOf } from './kafka/heartbeat.js';
import { KafkaSignalSource } from './kafka/signal-source.js';
import { prefixed } from './kafka/topics.js';
import { effectiveServices, openServices, type ServiceFlags, type Services } from './runtime.js';

/** What a live process does: everything (`all`), or one scale-out role (`gateway` serves the control API). */
export type RunRole = 'all' | 'router' | 'executor' | 'gateway';

/** Services opened for a live session, before the session exists. */
export interface PreparedServices {
  /** The engine's bus: services publish their state on it. */
  readonly bus: InMemoryBus;
  readonly services: Services;
  /** The config with the stored follower settings laid over the YAML. */
  readonly config: EngineConfig;
  /** The services as used: the config's `services:` with the command-line flags applied. */
  readonly settings: ServicesConfig;
  /** Wires the sinks, the Kafka signal source (role `all`) and the control store into the session. */
  attach(session: ServicedSession, options?: { kafkaSignals?: boolean }): Promise<void>;
  /** What the process heartbeat says it owns (routers and executors tell it their partitions). */
  reportPartitions(read: () => Record<string, number[]>): void;
  /** Stops following control changes and closes every service. */
  close(): Promise<void>;
}

/** The part of a live session the services are wired into (run/session.ts's `Session` has it). */
export interface ServicedSession {
  readonly engine: Engine;
  /** The source with the session's leader mirror following its signals. */
  mirrored(source: Source): Source;
}

/**
 * Opens the configured services for `run` / `demo` (before any broker is touched, so an
 * unreachable service fails fast with exit 2), reads the stored follower settings, and
 * returns what wires them into the session once it is open.
 */
export async function prepareLiveServices(
  config: EngineConfig,
  flags: ServiceFlags,
  options: { role: RunRole; logger?: Logger; redact?: (text: string) => string },
): Promise<PreparedServices> {
  const logger = options.logger ?? silentLogger;
  const services = effectiveServices(config.services, flags);
  if (options.role !== 'all' && !services.kafka) {
    throw new CliError(
      `--role ${options.role} needs Kafka: set services.kafka.brokers in the config (or --kafka host:port)`,
    );
  }
  if (options.role === 'executor' && !services.redis) {
    throw new CliError(
      '--role executor needs Redis (intent dedupe shared by every executor): set services.redis.url in the config (or --redis redis://host:port)',
    );
  }
  if (options.role === 'gateway' && !services.redis) {
    throw new CliError(
      '--role gateway needs Redis (the control store every process applies, and the deny list of revoked tokens): set services.redis.url in the config (or --redis redis://host:port)',
    );
  }
  const bus = new InMemoryBus({ onListenerError: (e) => logger.error({ err: e }, 'listener failed') });
  const consumeSignals = options.role === 'all' && services.kafka?.consumeSignals === true;
  // Routers publish no signal events (every signal they see came from trade.signals);
  // executors leave signal events to the router and do not echo their engine's intents
  // onto trade.intents, the topic they consume.
  const exclude: EngineEventType[] =
    options.role === 'executor'
      ? ['signal-received', 'signal-completed', 'intent-created']
      : options.role === 'router'
        ? ['signal-received']
        : [];
  // `--role all` publishes its own leader's signals (remote routers can copy them), but
  // not the ones it read from trade.signals (a loop); and its Kafka source skips the
  // signals it published itself (copied already), told by the origin header.
  const fromKafka = new RecentIds(10_000);
  const processId = defaultProcessId();
  const origin = services.kafka ? `${services.kafka.group}:${config.leader.account}` : undefined;
  const opened = await openServices(services, {
    bus,
    kafkaExclude: exclude,
    kafkaSink: {
      processId,
      ...(origin ? { origin } : {}),
      accountsOf: accountsByConnection(config),
      skip: (event) => event.type === 'signal-received' && fromKafka.has(event.signal.signalId),
    },
    logger,
    ...(options.redact ? { redact: options.redact } : {}),
  });
  let merged: EngineConfig;
  try {
    merged = withStoredSettings(config, await opened.stores.control.listFollowers());
  } catch (error) {
    await opened.close();
    throw error;
  }
  let partitionsOf: () => Record<string, number[]> = () => ({});
  // Started once nothing else can fail here: a heartbeat left running would keep the process up.
  let heartbeat: ProcessHeartbeat | undefined;
  if (opened.kafka && services.kafka && services.kafka.statusIntervalMs !== 0) {
    const { group, prefix } = services.kafka;
    const reads =
      options.role === 'executor'
        ? { group: `${group}-executor`, topic: prefixed(prefix, TOPICS.intents.name) }
        : options.role === 'router' || consumeSignals
          ? { group: `${group}-router`, topic: prefixed(prefix, TOPICS.signals.name) }
          : undefined;
    heartbeat = await startHeartbeat({
      client: opened.kafka,
      prefix,
      processId,
      role: options.role,
      intervalMs: services.kafka.statusIntervalMs ?? 5000,
      status: statusOf(opened.kafka, () => partitionsOf(), reads),
      logger,
    });
  }
  let applier: ControlApplier | undefined;
  let offStatus = () => {};
  return {
    bus,
    services: opened,
    config: merged,
    settings: services,
    async attach(session, attachOptions = {}) {
      for (const sink of opened.sinks) session.engine.addSink(sink);
      if ((attachOptions.kafkaSignals ?? consumeSignals) && opened.kafka && services.kafka) {
        const source = new KafkaSignalSource({
          client: opened.kafka,
          prefix: services.kafka.prefix,
          groupId: `${services.kafka.group}-router`,
          leaderAccount: merged.leader.account,
          ...groupTiming(services.kafka),
          ...(origin ? { ignoreOrigin: origin } : {}),
          // The offset commit's round trip runs while the next signal is copied.
          commitBehind: true,
          // A malformed signal goes on the bus like any event: journal and order.errors both get it.
          report: async (event) => {
            bus.publish(event);
            await journaled(opened.journal, 2000);
          },
          logger,
        });
        // Signals from Kafka come without the leader's fills: the session's mirror follows them.
        partitionsOf = () => ({
          [prefixed(services.kafka!.prefix, TOPICS.signals.name)]: source.assignment(),
        });
        session.engine.addSource(
          session.mirrored({
            name: 'kafka',
            start: (submit) =>
              source.start((signal) => {
                fromKafka.add(signal.signalId);
                return submit(signal);
              }),
            stop: () => source.stop(),
          }),
        );
      }
      applier = new ControlApplier(session.engine, opened.stores.control, logger, config);
      await applier.start();
      const control = applier;
      // Pub/sub messages sent while Redis was away are not replayed: read the state again.
      offStatus = bus.subscribe((event) => {
        if (event.type === 'service-status' && event.service === 'redis' && event.state === 'ok') {
          void control.resync().catch((e) => logger.warn({ err: e }, 'control: resync failed'));
        }
      });
    },
    reportPartitions(read) {
      partitionsOf = read;
    },
    async close() {
      await heartbeat?.stop().catch(() => undefined);
      offStatus();
      applier?.stop();
      await opened.close();
    },
  };
}

/** Ids seen lately, the oldest forgotten first: which signals came from Kafka. */
class RecentIds {
  readonly #ids = new Set<string>();
  constructor(readonly max: number) {}
  add(id: string): void {
    this.#ids.delete(id);
    this.#ids.add(id);
    if (this.#ids.size > this.max) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
  }
  has(id: string): boolean {
    return this.#ids.has(id);
  }
}

/** The accounts each broker connection holds (followers and the leader), for `account.status` keys. */
function accountsByConnection(config: EngineConfig): (connection: string) => readonly string[] {
  const byKey = new Map<string, string[]>();
  const add = (key: string, account: string) => {
    const list = byKey.get(key) ?? [];
    if (!list.includes(account)) list.push(account);
    byKey.set(key, list);
  };
  add(connectionKeyOf(config.leader), config.leader.account);
  for (const f of config.followers) add(connectionKeyOf(f), f.account);
  return (connection) => byKey.get(connection) ?? [];
}
