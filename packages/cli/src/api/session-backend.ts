import { contractKey, type EngineConfig, type SignalResult, type Source, TOPICS } from '@tradenova/core';
import { connectionKeyOf } from '@tradenova/core/engine';
import type { Session } from '../run/session.js';
import { prefixed } from '../services/kafka/topics.js';
import type { PreparedServices } from '../services/live-services.js';
import { type ApiBackend, accountView, type FollowerRef } from './backend.js';
import { unavailable } from './errors.js';

/**
 * The API's view of a live session in this process: state from the engine and its
 * connections, settings and the kill switch through the control store (so they reach
 * every process, as `accounts set` does), orders and reports from the journal. Build it
 * before `engine.start()`: it adds the source `POST /v1/signals` submits through.
 */
export function sessionBackend(
  session: Pick<Session, 'engine' | 'config' | 'plans' | 'connections' | 'flatten' | 'mirrored'>,
  prepared: Pick<PreparedServices, 'bus' | 'services' | 'settings'>,
  config: EngineConfig = session.config,
): ApiBackend {
  const { engine } = session;
  const control = prepared.services.stores.control;
  const followers: FollowerRef[] = config.followers.map((f) => ({
    name: f.name,
    account: f.account,
    broker: f.broker,
    connection: connectionKeyOf(f),
  }));
  // The latest word on each account, breaker and service, from the events.
  const status = new Map<string, { status: string; reason?: string }>();
  const breakers = new Map<string, string>();
  const services = new Map<string, { state: string; where: string; reason?: string }>();
  const started = Date.now();
  prepared.bus.subscribe((event) => {
    if (event.type === 'account-status')
      status.set(event.follower, { status: event.status, ...(event.reason ? { reason: event.reason } : {}) });
    else if (event.type === 'breaker-changed') breakers.set(event.connection, event.state);
    else if (event.type === 'service-status')
      services.set(event.service, {
        state: event.state,
        where: event.where,
        ...(event.reason ? { reason: event.reason } : {}),
      });
  });
  let submit: ((signal: unknown) => Promise<SignalResult>) | undefined;
  const source: Source = {
    name: 'api',
    start: async (s) => {
      submit = s;
    },
    stop: async () => {
      submit = undefined;
    },
  };
  engine.addSource(session.mirrored(source));

  // When the session copies signals from Kafka: how far its group is behind on trade.signals.
  const signalLag = async (): Promise<Record<string, number>> => {
    const kafka = prepared.services.kafka;
    const settings = prepared.settings.kafka;
    if (!kafka || !settings?.consumeSignals) return {};
    try {
      const topic = prefixed(prepared.services.kafkaPrefix, TOPICS.signals.name);
      const lag = await kafka.consumerLag(`${settings.group}-router`, topic);
      return { kafkaSignals: lag.reduce((total, p) => total + p.lag, 0) };
    } catch {
      return {};
    }
  };

  return {
    followers,
    config,
    journal: prepared.services.journal?.db,
    onEvent: (listener) => prepared.bus.subscribe(listener),
    async health() {
      const journal = prepared.services.journal;
      const kill = await control.getKillSwitch();
      const held = new Set(engine.openConnections());
      return {
        status: 'ok',
        uptimeMs: Date.now() - started,
        killSwitch: kill,
        connections: session.plans.map((plan) => ({
          connection: plan.key,
          broker: plan.broker,
          state: held.has(plan.key)
            ? (session.connections[plan.key]?.health().state ?? 'unknown')
            : 'not-held',
          breaker: breakers.get(plan.key) ?? 'closed',
        })),
        services: {
          journal: journal
            ? {
                state: journal.degraded ? 'degraded' : 'ok',
                driver: journal.driver,
                pending: journal.pending,
              }
            : { state: 'off' },
          kafka: prepared.settings.kafka ? (services.get('kafka') ?? { state: 'ok' }) : { state: 'off' },
          redis: prepared.settings.redis ? (services.get('redis') ?? { state: 'ok' }) : { state: 'off' },
          control: prepared.services.stores.backend,
        },
        lag: { journalPending: journal?.pending ?? 0, ...(await signalLag()) },
      };
    },
    async accounts() {
      const stored = await control.listFollowers();
      const kill = await control.getKillSwitch();
      return config.followers.map((f) => {
        const last = status.get(f.name);
        return accountView(f, {
          settings: stored[f.name] ?? {},
          killEngaged: kill.engaged,
          ...(last ? { last } : {}),
          statusBefore: f.enabled ? 'enabled' : 'paused',
          positions: engine.positions(f.name),
          pnl: engine.pnl(f.name),
          connectionState: session.connections[connectionKeyOf(f)]?.health().state ?? 'unknown',
        });
      });
    },
    setFollower: (name, patch, by) => control.setFollower(name, patch, by),
    setKillSwitch: (engaged, reason, by) => control.setKillSwitch(engaged, reason, by),
    async flatten(name) {
      await session.flatten(name);
      return { flattened: true };
    },
    async reconcile(follower, policy) {
      const result = await engine.reconcile(follower, policy);
      return {
        followers: Object.fromEntries(
          [...result].map(([name, lines]) => [
            name,
            lines.map((l) => ({ ...l, contract: contractKey(l.contract) })),
          ]),
        ),
      };
    },
    async submitSignal(signal) {
      if (!submit) throw unavailable('the engine is not taking signals (starting or stopping)');
      // The engine records its outcome as events (the stream shows them); the answer does not wait for the brokers.
      void submit(signal).catch(() => undefined);
    },
  };
}
