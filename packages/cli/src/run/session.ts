import { dirname, resolve } from 'node:path';
import {
  type BrokerConnection,
  type BrokerFill,
  createEngine,
  defaultInstruments,
  type Engine,
  type EngineConfig,
  type EventBus,
  InMemoryBus,
  type LeaderActivity,
  LeaderMirror,
  LeaderSignalSource,
  type Logger,
  PaperBroker,
  parseMoney,
  SimulatedExchange,
  type Source,
  silentLogger,
  systemClock,
  withLeaderMirror,
} from '@tradenova/core';
import { type ConnectionPlan, planConnections } from '@tradenova/core/engine';
import { resolvePlugin } from '../brokers/plugins.js';
import { type RunningSimulator, startSimulator } from '../brokers/simulators.js';
import { CliError } from '../errors.js';
import { createSources } from '../sources/index.js';
import { IntentLedger } from './accounting.js';
import { type AttachedMarketData, attachMarketData } from './market-data.js';
import type { AdoptedOrders, SourceGate } from './recovery-adopt.js';

/**
 * Connection options the CLI reads itself and never hands to an adapter:
 * `simulator: loopback` starts that broker's simulator in this process and
 * points the adapter at it; `script: demo` (on the leader's connection) runs the
 * scripted demo leader and price feed.
 */
export const SESSION_OPTION_KEYS = ['simulator', 'script', 'seed'] as const;

/** A live copy session: connections, engine and leader source, started. */
export interface Session {
  readonly engine: Engine;
  readonly config: EngineConfig;
  /** Broker connections by connection key (the leader's included). */
  readonly connections: Readonly<Record<string, BrokerConnection>>;
  readonly plans: readonly ConnectionPlan[];
  readonly leaderConnection: BrokerConnection;
  /** Simulated exchanges in this process (paper and loopback simulators): where demo prices go. */
  readonly exchanges: readonly SimulatedExchange[];
  /** The live price feed, when the config has `marketData`. */
  readonly marketData?: AttachedMarketData;
  /** Simulators started for `simulator: loopback` connections. */
  readonly simulators: readonly RunningSimulator[];
  /** Options of the leader's connection the CLI reads (`script`, `seed`). */
  readonly leaderScript?: { script: string; seed: number };
  /**
   * Wraps a source whose signals come without the leader's broker fills (Kafka, a
   * webhook) so the session's leader mirror follows them and exits scale right.
   */
  mirrored(source: Source): Source;
  /** Where the config's webhook sources listen, once the engine started them (the path, never the token). */
  webhookUrls(): string[];
  /** Subscribes to the leader's own orders and fills, for the dashboard. */
  onLeaderActivity(listener: (activity: LeaderActivity) => void): () => void;
  /** Every follower intent of the session and its outcome. */
  readonly ledger: IntentLedger;
  /** Flattens one follower (or all) through the engine and records the outcome in the ledger. */
  flatten(follower?: string): Promise<void>;
  /** Work to stop before the engine stops (a scripted leader, a price feed). */
  beforeClose(stop: () => Promise<void>): void;
  /** Stops sources, finishes or records in-flight orders, closes connections and simulators. Idempotent. */
  close(): Promise<void>;
}

/** Options of `openSession`. */
export interface SessionOptions {
  /** The config file, for `module:` adapters relative to it. */
  configFile?: string;
  logger?: Logger;
  /** The engine's event bus (services publish their state on it); a new in-memory one by default. */
  bus?: EventBus;
  /** Start no leader source: the process copies signals from elsewhere only (a scale-out executor). */
  noLeaderSource?: boolean;
  /** Connect every broker at start (default); a scale-out executor opens only the connections it owns. */
  connectOnStart?: boolean;
  /**
   * Start-up recovery (run/recovery.ts): sources wait behind `gate` until it opens, follower
   * connections answer placements of `adopted` orders from what was found, and the leader
   * source copies the orders already working (`copyOpenAtStart`).
   */
  recovery?: { gate: SourceGate; adopted: AdoptedOrders; copyOpenAtStart: boolean };
}

/**
 * Resolves every connection's adapter, creates the connections (starting
 * loopback simulators where a connection asks for one), builds the engine on
 * the wall clock with its timers on, and wires the leader's broker events in as
 * signals. Nothing is connected yet: call `engine.start()` (done by `startSession`).
 */
export async function openSession(config: EngineConfig, options: SessionOptions = {}): Promise<Session> {
  const logger = options.logger ?? silentLogger;
  const baseDir = options.configFile ? dirname(resolve(options.configFile)) : process.cwd();
  const plans = planConnections(config);
  const paper = config.paper;
  // Every paper connection trades on one market, as in a replay: the leader and its paper followers see the same prices.
  const paperExchange = new SimulatedExchange({
    clock: systemClock,
    latencyMs: paper.latencyMs,
    jitterMs: paper.jitterMs,
    slippageTicks: paper.slippageTicks,
    rejectRate: paper.rejectRate,
    partialFills: paper.partialFills,
    seed: paper.seed,
    idPrefix: 'P',
  });
  const balances: Record<string, number> = Object.fromEntries(
    config.followers.map((f) => [
      f.account,
      parseMoney(f.startingBalance, `followers.${f.name}.startingBalance`),
    ]),
  );
  const connections: Record<string, BrokerConnection> = {};
  const simulators: RunningSimulator[] = [];
  const exchanges: SimulatedExchange[] = [paperExchange];
  const leaderKey = config.leader.connection ?? config.leader.broker;
  let leaderScript: Session['leaderScript'];
  try {
    // One simulator per broker, holding the accounts of every connection that asks for it:
    // several logins (connections) at one simulated broker, as at the real one.
    const loopback = new Map<string, string[]>();
    for (const plan of plans) {
      const sim = (plan.options as Record<string, unknown>).simulator;
      if (sim === undefined || plan.broker === 'paper') continue;
      if (sim !== 'loopback') {
        throw new CliError(`connections.${plan.key}.options.simulator: only "loopback" is supported`);
      }
      loopback.set(plan.broker, [...(loopback.get(plan.broker) ?? []), ...plan.accounts]);
    }
    const running = new Map<string, RunningSimulator>();
    for (const [broker, accounts] of loopback) {
      const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: `${broker}-` });
      const sim = await startSimulator(broker, { accounts: [...new Set(accounts)], exchange });
      simulators.push(sim);
      exchanges.push(sim.exchange);
      running.set(broker, sim);
    }
    for (const plan of plans) {
      const { simulator, script, seed, ...adapterOptions } = plan.options as Record<string, unknown>;
      if (plan.key === leaderKey && typeof script === 'string') {
        leaderScript = { script, seed: typeof seed === 'number' ? seed : 7 };
      }
      if (plan.broker === 'paper') {
        connections[plan.key] = new PaperBroker(paperExchange, plan.accounts, { balances });
        continue;
      }
      let merged = adapterOptions;
      const sim = simulator === undefined ? undefined : running.get(plan.broker);
      if (sim) merged = { ...adapterOptions, ...sim.adapterOptions(plan.accounts) };
      const plugin = await resolvePlugin(plan.broker, baseDir);
      const parsed = plugin.configSchema.safeParse(merged);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        const where = first?.path.length ? `.${first.path.join('.')}` : '';
        // Zod messages name the setting, never its value, so no credential is echoed here.
        throw new CliError(`connections.${plan.key}.options${where}: ${first?.message ?? 'invalid'}`);
      }
      connections[plan.key] = plugin.create(parsed.data, {
        clock: systemClock,
        logger,
        instruments: defaultInstruments,
      });
    }
  } catch (error) {
    await Promise.allSettled(simulators.map((s) => s.close()));
    throw error;
  }
  // The session holds the bus so sources outside the engine (a webhook) can record their own rejections on it.
  const bus =
    options.bus ?? new InMemoryBus({ onListenerError: (e) => logger.error({ err: e }, 'listener failed') });
  const recovery = options.recovery;
  const engineConnections = recovery
    ? Object.fromEntries(Object.entries(connections).map(([key, c]) => [key, recovery.adopted.wrap(c)]))
    : connections;
  const gated = (source: Source) => (recovery ? recovery.gate.wrap(source) : source);
  const engine = createEngine(config, {
    connections: engineConnections,
    clock: systemClock,
    logger,
    timers: true,
    bus,
    // An executor holds no leader and never sees its fills.
    ...(options.connectOnStart === false ? { connectOnStart: false, leaderFills: false } : {}),
  });
  // A leader fill waits behind the gate with the signals: it must reach the engine after its order's signal.
  const applyLeaderFill = (fill: Parameters<Engine['applyLeaderFill']>[0]) =>
    recovery ? recovery.gate.fill(() => engine.applyLeaderFill(fill)) : engine.applyLeaderFill(fill);
  const leaderMirror = new LeaderMirror({
    accountId: config.leader.account,
    clock: systemClock,
    instruments: defaultInstruments,
    onLeaderFill: applyLeaderFill,
    logger,
  });
  const mirrored = (source: Source) =>
    withLeaderMirror(source, leaderMirror, { leaderAccount: config.leader.account, clock: systemClock });
  const webhooks = createSources(config, { record: (e) => bus.publish(e), logger });
  for (const source of webhooks) engine.addSource(gated(mirrored(source)));
  const ledger = new IntentLedger();
  engine.on(ledger.onEvent);
  const leaderConnection = connections[leaderKey]!;
  const listeners = new Set<(a: LeaderActivity) => void>();
  if (!options.noLeaderSource)
    engine.addSource(
      gated(
        new LeaderSignalSource({
          connection: leaderConnection,
          accountId: config.leader.account,
          clock: systemClock,
          instruments: defaultInstruments,
          onLeaderFill: (fill: BrokerFill) => applyLeaderFill(fill),
          onLeaderPositions: (held) => {
            for (const p of held) engine.seedLeaderPosition(p.contract, p.netQty);
          },
          onActivity: (a) => {
            for (const l of listeners) l(a);
          },
          logger,
          ...(recovery?.copyOpenAtStart ? { copyOpenAtStart: true } : {}),
        }),
      ),
    );
  let marketData: AttachedMarketData | undefined;
  try {
    marketData = await attachMarketData(config, { engine, bus, logger });
  } catch (error) {
    await Promise.allSettled(simulators.map((s) => s.close()));
    throw error;
  }
  let closing: Promise<void> | undefined;
  const stops: (() => Promise<void>)[] = [];
  return {
    engine,
    config,
    connections,
    plans,
    leaderConnection,
    exchanges,
    simulators,
    ...(leaderScript ? { leaderScript } : {}),
    ledger,
    mirrored,
    webhookUrls: () => webhooks.map((w) => w.address.url),
    ...(marketData ? { marketData } : {}),
    async flatten(follower) {
      await engine.flatten(follower, 'requested');
      // A flatten that went through emits no order event of its own: record it here.
      ledger.settleOpen(
        (i) =>
          i.leg === 'flatten' &&
          i.signalId.startsWith('manual-') &&
          (follower === undefined || i.follower === follower),
        'flattened',
      );
    },
    onLeaderActivity(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    beforeClose(stop) {
      stops.push(stop);
    },
    close() {
      closing ??= (async () => {
        // Signals held for recovery must reach the engine (which records them as stopping), not hang.
        recovery?.gate.open();
        try {
          for (const stop of stops) await stop();
          await engine.stop();
        } finally {
          await marketData?.close();
          await Promise.allSettled(simulators.map((s) => s.close()));
        }
      })();
      return closing;
    },
  };
}
