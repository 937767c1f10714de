import { randomUUID } from 'node:crypto';
import {
  contractKey,
  type EngineConfig,
  type EngineEvent,
  type Logger,
  type Position,
  parseSignal,
  TOPICS,
} from '@tradenova/core';
import { connectionKeyOf } from '@tradenova/core/engine';
import type { KafkaConsumer, KafkaProducer } from '../services/kafka/client.js';
import { ENVELOPE_VERSION, encodeEvent, SCHEMA_ID_HEADER } from '../services/kafka/envelope.js';
import { HEARTBEAT_SCHEMA_ID, type Heartbeat } from '../services/kafka/heartbeat.js';
import { prefixed } from '../services/kafka/topics.js';
import type { PreparedServices } from '../services/live-services.js';
import { type ApiBackend, accountView, type FollowerRef } from './backend.js';
import { unavailable } from './errors.js';

/** The topics the gateway reads: what the cluster's processes publish about accounts and themselves. */
export const GATEWAY_TOPICS = [
  TOPICS.executions.name,
  TOPICS.positions.name,
  TOPICS.accountStatus.name,
  TOPICS.orderErrors.name,
  TOPICS.heartbeat.name,
] as const;

/** A process heard on `system.heartbeat` lately older than this is shown as silent. */
const SILENT_AFTER_MS = 30_000;

/**
 * The API's view of a scale-out cluster, for `tradenova run --role gateway`: no engine and
 * no broker connection here. Events come from `trade.executions`, `positions.updates`,
 * `account.status`, `order.errors` and `system.heartbeat`, read in a consumer group of
 * its own (so every gateway sees every partition, from now on); settings and the kill
 * switch go through the Redis control store, which every executor applies; a submitted
 * signal is published on `trade.signals` for the routers. Flatten and reconcile need the
 * process that holds the broker connection, so the gateway answers them 503.
 */
export async function gatewayBackend(
  prepared: Pick<PreparedServices, 'services' | 'settings'>,
  config: EngineConfig,
  logger: Logger,
): Promise<ApiBackend & { stop(): Promise<void> }> {
  const kafka = prepared.services.kafka;
  const settings = prepared.settings.kafka;
  if (!kafka || !settings) throw new Error('gateway: Kafka is not open');
  const prefix = prepared.services.kafkaPrefix;
  const control = prepared.services.stores.control;
  const followers: FollowerRef[] = config.followers.map((f) => ({
    name: f.name,
    account: f.account,
    broker: f.broker,
    connection: connectionKeyOf(f),
  }));
  const listeners = new Set<(event: EngineEvent) => void>();
  const positions = new Map<string, Map<string, Position>>();
  const status = new Map<string, { status: string; reason?: string }>();
  const connections = new Map<string, { broker: string; state: string; breaker?: string }>();
  const processes = new Map<string, Heartbeat>();
  const started = Date.now();
  let lastMessageAt: number | undefined;
  /** Why the consumer stopped, once it did: health says so instead of `ok`. */
  let consumerError: string | undefined;

  const observe = (event: EngineEvent) => {
    switch (event.type) {
      case 'position-updated': {
        const held = positions.get(event.follower) ?? new Map<string, Position>();
        held.set(contractKey(event.position.contract), event.position);
        positions.set(event.follower, held);
        break;
      }
      case 'account-status':
        status.set(event.follower, {
          status: event.status,
          ...(event.reason ? { reason: event.reason } : {}),
        });
        break;
      case 'connection-status':
        connections.set(event.connection, {
          ...connections.get(event.connection),
          broker: event.broker,
          state: event.state,
        });
        break;
      case 'breaker-changed': {
        const known = connections.get(event.connection);
        connections.set(event.connection, {
          broker: event.broker,
          state: known?.state ?? 'unknown',
          breaker: event.state,
        });
        break;
      }
    }
  };

  const consumer: KafkaConsumer = await kafka.consume({
    // A group of its own: a gateway reads every partition, and two gateways do not share them.
    groupId: `${settings.group}-gateway-${randomUUID()}`,
    topics: GATEWAY_TOPICS.map((t) => prefixed(prefix, t)),
    concurrency: GATEWAY_TOPICS.length,
    async handle(message) {
      lastMessageAt = Date.now();
      if (message.value === null) return;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(message.value) as Record<string, unknown>;
      } catch {
        return; // Not ours: another producer on the topic.
      }
      if (message.headers[SCHEMA_ID_HEADER] === HEARTBEAT_SCHEMA_ID || body.type === 'heartbeat') {
        const beat = body as unknown as Heartbeat;
        if (typeof beat.processId === 'string') processes.set(beat.processId, beat);
        return;
      }
      if (body.v !== ENVELOPE_VERSION || typeof body.type !== 'string') return;
      const { v: _v, ...event } = body;
      observe(event as EngineEvent);
      for (const listener of listeners) listener(event as EngineEvent);
    },
    onError: (error) => {
      consumerError = error instanceof Error ? error.message : String(error);
      logger.error({ err: error }, 'gateway: consumer stopped');
    },
  });
  let producer: KafkaProducer | undefined;

  return {
    followers,
    config,
    journal: prepared.services.journal?.db,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async health() {
      const now = Date.now();
      const kill = await control.getKillSwitch();
      const journal = prepared.services.journal;
      return {
        status: consumerError ? 'degraded' : 'ok',
        role: 'gateway',
        uptimeMs: now - started,
        killSwitch: kill,
        processes: [...processes.values()].map((p) => ({
          processId: p.processId,
          role: p.role,
          partitions: p.partitions,
          ...(p.lag !== undefined ? { lag: p.lag } : {}),
          lastSeenMs: now - p.time,
          state: now - p.time > SILENT_AFTER_MS ? 'silent' : 'ok',
        })),
        connections: [...connections].map(([connection, c]) => ({
          connection,
          broker: c.broker,
          state: c.state,
          breaker: c.breaker ?? 'closed',
        })),
        services: {
          kafka: {
            state: consumerError ? 'degraded' : 'ok',
            ...(consumerError ? { reason: consumerError } : {}),
            lastMessageMs: lastMessageAt === undefined ? null : now - lastMessageAt,
          },
          redis: { state: 'ok', control: prepared.services.stores.backend },
          journal: journal
            ? { state: journal.degraded ? 'degraded' : 'ok', driver: journal.driver }
            : { state: 'off' },
        },
        lag: {
          maxProcessLag: Math.max(0, ...[...processes.values()].map((p) => p.lag ?? 0)),
        },
      };
    },
    async accounts() {
      const stored = await control.listFollowers();
      const kill = await control.getKillSwitch();
      return config.followers.map((f) => {
        const held = [...(positions.get(f.name)?.values() ?? [])];
        const sum = (pick: (p: Position) => number) => held.reduce((t, p) => t + pick(p), 0);
        const last = status.get(f.name);
        return accountView(f, {
          settings: stored[f.name] ?? {},
          killEngaged: kill.engaged,
          ...(last ? { last } : {}),
          statusBefore: 'unknown',
          positions: held,
          pnl: { realized: sum((p) => p.realizedPnl), unrealized: sum((p) => p.unrealizedPnl) },
          connectionState: connections.get(connectionKeyOf(f))?.state ?? 'unknown',
        });
      });
    },
    setFollower: (name, patch, by) => control.setFollower(name, patch, by),
    setKillSwitch: (engaged, reason, by) => control.setKillSwitch(engaged, reason, by),
    async flatten() {
      throw unavailable(
        "flatten needs the process that holds the account's broker connection: the gateway has none (engage the kill switch, or flatten with tradenova flatten)",
      );
    },
    async reconcile() {
      throw unavailable(
        'reconcile runs in the executors that hold the broker connections, not in the gateway',
      );
    },
    async submitSignal(raw) {
      const signal = parseSignal(raw, { leaderAccount: config.leader.account, now: Date.now() });
      producer ??= await kafka.producer();
      const { value, headers } = encodeEvent({ type: 'signal-received', time: Date.now(), signal });
      // Keyed by instrument like the leader's own signals, so one instrument stays on one router.
      const key = 'instrument' in signal && typeof signal.instrument === 'string' ? signal.instrument : null;
      await producer.send([
        { topic: prefixed(prefix, TOPICS.signals.name), messages: [{ key, value, headers }] },
      ]);
    },
    async stop() {
      await consumer.close().catch(() => undefined);
      await producer?.close().catch(() => undefined);
    },
  };
}
