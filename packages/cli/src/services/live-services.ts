import {
  type EngineConfig,
  type EngineEventType,
  InMemoryBus,
  type Logger,
  type ServicesConfig,
  silentLogger,
} from '@tradenova/core';
import { CliError } from '../errors.js';
import type { Session } from '../run/session.js';
import { journaled } from '../scale-out/durable.js';
import { groupTiming } from '../scale-out/group-timing.js';
import { ControlApplier, withStoredSettings } from './control/apply-control.js';
import { KafkaSignalSource } from './kafka/signal-source.js';
import { effectiveServices, openServices, type ServiceFlags, type Services } from './runtime.js';

/** What a live process does: everything (`all`), or one scale-out role. */
export type RunRole = 'all' | 'router' | 'executor';

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
  attach(session: Session, options?: { kafkaSignals?: boolean }): Promise<void>;
  /** Stops following control changes and closes every service. */
  close(): Promise<void>;
}

/**
 * Opens the configured services for `run` / `demo` (before any broker is touched, so an
 * unreachable service fails fast with exit 2), reads the stored follower settings, and
 * returns what wires them into the session once it is open.
 */
export async function prepareLiveServices(
  config: EngineConfig,
  flags: ServiceFlags,
  options: { role: RunRole; logger?: Logger },
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
  const bus = new InMemoryBus({ onListenerError: (e) => logger.error({ err: e }, 'listener failed') });
  const consumeSignals = options.role === 'all' && services.kafka?.consumeSignals === true;
  // A process that reads trade.signals must not publish the signals it copies back there
  // (it would read them again: a loop); executors leave signal events to the router and
  // do not echo their engine's intents onto trade.intents, the topic they consume.
  const exclude: EngineEventType[] =
    options.role === 'executor'
      ? ['signal-received', 'signal-completed', 'intent-created']
      : consumeSignals || options.role === 'router'
        ? ['signal-received']
        : [];
  const opened = await openServices(services, { bus, kafkaExclude: exclude, logger });
  let merged: EngineConfig;
  try {
    merged = withStoredSettings(config, await opened.stores.control.listFollowers());
  } catch (error) {
    await opened.close();
    throw error;
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
          // A malformed signal goes on the bus like any event: journal and order.errors both get it.
          report: async (event) => {
            bus.publish(event);
            await journaled(opened.journal, 2000);
          },
          logger,
        });
        // Signals from Kafka come without the leader's fills: the session's mirror follows them.
        session.engine.addSource(
          session.mirrored({
            name: 'kafka',
            start: (submit) => source.start((signal) => submit(signal)),
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
    async close() {
      offStatus();
      applier?.stop();
      await opened.close();
    },
  };
}
