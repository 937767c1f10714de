import { type Logger, TOPICS } from '@tradenova/core';
import { ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { shutdownSignal } from '../io.js';
import { type RunMetrics, startRouterMetrics } from '../metrics/index.js';
import type { Session } from '../run/session.js';
import { groupTiming } from '../services/kafka/group-timing.js';
import { prefixed } from '../services/kafka/topics.js';
import type { PreparedServices } from '../services/live-services.js';
import { Executor } from './executor.js';
import { Router } from './router.js';

/**
 * A logger for the scale-out roles: warnings and errors as JSON lines on stderr (stdout
 * carries the events), secrets redacted. Info and debug are dropped.
 */
export function stderrLogger(stderr: NodeJS.WritableStream, redact: (text: string) => string): Logger {
  const write = (level: string) => (obj: object, msg?: string) => {
    const err = (obj as { err?: unknown }).err;
    const body = {
      level,
      time: Date.now(),
      ...(msg ? { msg } : {}),
      ...obj,
      ...(err instanceof Error ? { err: err.message } : {}),
    };
    stderr.write(`${redact(JSON.stringify(body))}\n`);
  };
  const logger: Logger = {
    debug() {},
    info() {},
    warn: write('warn'),
    error: write('error'),
    child: () => logger,
  };
  return logger;
}

/** How the router runs and ends. */
export interface RouterRunOptions {
  durationS?: number;
  stop?: Promise<unknown>;
  redact: (text: string) => string;
  logger: Logger;
  /** Serve Prometheus metrics at this address (`:9464`); off when absent. */
  metrics?: string;
  /** Called with the metrics endpoint once it listens. */
  onMetrics?: (endpoint: { url: string; metrics: RunMetrics }) => void;
}

/**
 * `tradenova run --role router`: no broker connections, no engine; routes
 * `trade.signals` to `trade.intents` until stopped, printing its events as JSON lines
 * and a closing `router-stopped` line with its counts.
 */
export async function runRouter(
  prepared: PreparedServices,
  io: CommandIo,
  options: RouterRunOptions,
): Promise<number> {
  const { services, bus, config } = prepared;
  const kafka = services.kafka;
  const kafkaConfig = prepared.settings.kafka;
  if (!kafka || !kafkaConfig) throw new Error('router: Kafka is not open');
  // The router has no engine: its sinks listen on the bus directly.
  for (const sink of services.sinks) bus.subscribe((event) => sink.write(event));
  bus.subscribe((event) => io.stdout.write(`${options.redact(JSON.stringify(event))}\n`));
  const router = new Router({
    config,
    client: kafka,
    prefix: services.kafkaPrefix,
    group: kafkaConfig.group,
    bus,
    ...(services.journal ? { journal: services.journal } : {}),
    ...groupTiming(kafkaConfig),
    // Like `executor-assigned`: scripts and tests see which instruments' partitions it holds.
    onAssignment: (partitions) =>
      io.stdout.write(`${JSON.stringify({ type: 'router-assigned', time: Date.now(), partitions })}\n`),
    logger: options.logger,
  });
  prepared.reportPartitions(() => ({
    [prefixed(services.kafkaPrefix, TOPICS.signals.name)]: router.assignment(),
  }));
  const signals = options.stop ? undefined : shutdownSignal();
  const triggers: Promise<unknown>[] = [options.stop ?? signals!.promise];
  let timer: NodeJS.Timeout | undefined;
  if (options.durationS !== undefined) {
    triggers.push(new Promise((resolve) => (timer = setTimeout(resolve, options.durationS! * 1000))));
  }
  const started = Date.now();
  let metrics: Awaited<ReturnType<typeof startRouterMetrics>> | undefined;
  try {
    if (options.metrics !== undefined) {
      metrics = await startRouterMetrics(prepared, options.metrics, options.redact);
      io.stderr.write(`tradenova: metrics at ${metrics.server.url}\n`);
      options.onMetrics?.({ url: metrics.server.url, metrics: metrics.metrics });
    }
    await router.start();
    io.stdout.write(
      `${JSON.stringify({ type: 'router-started', time: Date.now(), partitions: router.assignment(), sessionTimeoutMs: router.sessionTimeoutMs })}\n`,
    );
    await Promise.race(triggers);
    await router.stop();
  } finally {
    if (timer) clearTimeout(timer);
    signals?.dispose();
    metrics?.stop();
    await metrics?.server.close();
  }
  io.stdout.write(
    `${JSON.stringify({ type: 'router-stopped', time: Date.now(), ranMs: Date.now() - started, ...router.stats })}\n`,
  );
  return ExitCode.Ok;
}

/**
 * Makes the session an executor: its engine copies nothing by itself and executes the
 * routed intents of the accounts in its partitions of `trade.intents`. Returns the
 * executor (for its counts).
 */
export function attachExecutor(
  session: Session,
  prepared: PreparedServices,
  logger: Logger,
  hooks: {
    onJoined?: (partitions: number[], connections: string[], sessionTimeoutMs: number | undefined) => void;
    onAssignment?: (partitions: number[], connections: string[]) => void;
  } = {},
): Executor {
  const { services, bus } = prepared;
  const kafka = services.kafka;
  const kafkaConfig = prepared.settings.kafka;
  if (!kafka || !kafkaConfig) throw new Error('executor: Kafka is not open');
  const executor = new Executor({
    config: session.config,
    engine: session.engine,
    connections: session.connections,
    client: kafka,
    prefix: services.kafkaPrefix,
    group: kafkaConfig.group,
    dedupe: services.stores.dedupe,
    bus,
    ...(services.journal ? { journal: services.journal } : {}),
    ...(hooks.onAssignment ? { onAssignment: hooks.onAssignment } : {}),
    ...groupTiming(kafkaConfig),
    logger,
  });
  prepared.reportPartitions(() => ({
    [prefixed(services.kafkaPrefix, TOPICS.intents.name)]: executor.assignment(),
  }));
  // Leaves the group before the engine stops: the intents executing finish on a running
  // engine, the rest of the batch is released uncommitted to the next owner.
  session.beforeClose(() => executor.stop());
  // A source of the engine: started after the broker connections are up, stopped first at shutdown.
  session.engine.addSource({
    name: 'kafka-intents',
    start: async () => {
      await executor.start();
      hooks.onJoined?.(executor.assignment(), executor.connections(), executor.sessionTimeoutMs);
    },
    stop: () => executor.stop(),
  });
  return executor;
}
