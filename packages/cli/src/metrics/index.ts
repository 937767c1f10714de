import { type BrokerConnection, type Engine, type EngineConfig, TOPICS } from '@tradenova/core';
import type { ConnectionPlan } from '@tradenova/core/engine';
import { prefixed } from '../services/kafka/topics.js';
import type { PreparedServices } from '../services/live-services.js';
import { RunMetrics } from './metrics.js';
import { type MetricsServer, serveMetrics } from './server.js';

export { type OrderOutcome, RunMetrics } from './metrics.js';
export { type MetricsServer, parseMetricsAddress, serveMetrics } from './server.js';

/** The part of a live session the metrics read (run/session.ts's `Session` has it). */
export interface MeteredSession {
  readonly config: EngineConfig;
  readonly engine: Engine;
  readonly plans: readonly ConnectionPlan[];
  readonly connections: Readonly<Record<string, BrokerConnection>>;
}

/**
 * Metrics for a live session: listens to the engine, reads the states of the
 * connections it holds at scrape time, starts every follower connection's breaker as closed, and
 * serves `/metrics` at `address`. Call before `engine.start()` so the first
 * events are counted.
 */
export async function startRunMetrics(
  session: MeteredSession,
  address: string,
  redact: (text: string) => string = (text) => text,
): Promise<{ metrics: RunMetrics; server: MetricsServer }> {
  const metrics = new RunMetrics(session.config);
  const server = await serveMetrics(metrics.registry, address, redact);
  session.engine.on(metrics.observe);
  const followerConnections = new Set(session.config.followers.map((f) => f.connection ?? f.broker));
  for (const plan of session.plans) {
    if (followerConnections.has(plan.key)) metrics.setBreaker(plan.broker, plan.key, 'closed');
  }
  // P&L of the followers whose connection this process holds (an executor's others are not its to report).
  metrics.watchPnl(() => {
    const held = new Set(session.engine.openConnections());
    return session.config.followers.flatMap((f, i) =>
      held.has(f.connection ?? f.broker)
        ? [{ follower: followerLabel(f.name, i, redact), ...session.engine.pnl(f.name) }]
        : [],
    );
  });
  // Only the connections this process holds: an executor leaves other executors' logins
  // alone, and they must not show as disconnected here.
  metrics.watchConnections(() => {
    const held = new Set(session.engine.openConnections());
    return session.plans.flatMap((plan) => {
      const connection = session.connections[plan.key];
      return connection && held.has(plan.key)
        ? [{ broker: plan.broker, connection: plan.key, state: connection.health().state }]
        : [];
    });
  });
  return { metrics, server };
}

/**
 * Metrics for a router (no engine, no broker connection): its events from the bus
 * (signals routed or refused), the journal lag and the lag of `<group>-router` on
 * `trade.signals`, served at `address`.
 */
export async function startRouterMetrics(
  prepared: PreparedServices,
  address: string,
  redact: (text: string) => string = (text) => text,
): Promise<{ metrics: RunMetrics; server: MetricsServer; stop: () => void }> {
  const metrics = new RunMetrics(prepared.config);
  const server = await serveMetrics(metrics.registry, address, redact);
  const off = prepared.bus.subscribe(metrics.observe);
  watchServices(metrics, prepared, 'router');
  return { metrics, server, stop: off };
}

/**
 * Points the lag gauges at the services a process runs: the journal's unwritten events,
 * and the consumer lag of the group this process reads in (`<group>-router` on
 * `trade.signals` for a router or when it copies Kafka signals, `<group>-executor` on `trade.intents`
 * for an executor), asked of the cluster at each scrape.
 */
export function watchServices(
  metrics: RunMetrics,
  prepared: PreparedServices,
  role: 'all' | 'router' | 'executor',
): void {
  const { journal, kafka, kafkaPrefix, stores } = prepared.services;
  if (journal) {
    metrics.watchJournal(() => journal.pending);
    metrics.watchService('postgres');
  }
  if (kafka) metrics.watchService('kafka');
  metrics.watchKillSwitch(async () => (await stores.control.getKillSwitch()).engaged);
  const settings = prepared.settings.kafka;
  if (!kafka || !settings) return;
  const reads =
    role === 'executor'
      ? { group: `${settings.group}-executor`, topic: TOPICS.intents.name }
      : role === 'router' || settings.consumeSignals
        ? { group: `${settings.group}-router`, topic: TOPICS.signals.name }
        : undefined;
  if (!reads) return;
  const topic = prefixed(kafkaPrefix, reads.topic);
  metrics.watchKafkaLag(async () =>
    (await kafka.consumerLag(reads.group, topic)).map((p) => ({ group: reads.group, topic, ...p })),
  );
}

/**
 * A follower's label: its config name, or where that name came from a secret or environment
 * reference, its place in the config (`followers[2]`): never the value, and still one series per follower.
 */
function followerLabel(name: string, index: number, redact: (text: string) => string): string {
  return redact(name) === name ? name : `followers[${index}]`;
}
