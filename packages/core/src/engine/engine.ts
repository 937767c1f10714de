import type { BrokerConnection, BrokerEvent } from '../adapter/contract.js';
import { type EventBus, InMemoryBus } from '../bus/bus.js';
import type { EngineEvent } from '../bus/events.js';
import { type Clock, systemClock, type Timer } from '../clock/clock.js';
import { parseEngineConfig } from '../config/parse.js';
import type { EngineConfig, EngineConfigInput, FollowerConfig } from '../config/schema.js';
import { ErrorCode, TradeNovaError } from '../errors.js';
import type { Contract } from '../instruments/contract.js';
import { defaultInstruments, type InstrumentRegistry } from '../instruments/registry.js';
import type { Position } from '../model/position.js';
import type { TradeSignal } from '../model/signal.js';
import type { Money } from '../money/money.js';
import type { Ticks } from '../money/price.js';
import { PositionTracker } from '../positions/tracker.js';
import { compileRiskRules } from '../risk/index.js';
import { RiskReason } from '../risk/reasons.js';
import { type Logger, silentLogger } from '../util/logger.js';
import type {
  Engine,
  EngineOptions,
  ReconcileResults,
  SignalResult,
  Sink,
  Source,
  SubmitMeta,
} from './api.js';
import { CopyDesk } from './copy-desk.js';
import { FillIngest } from './fill-ingest.js';
import type { FollowerRuntime } from './follower.js';
import type { LeaderFill } from './leader-book.js';
import { LeaderBook } from './leader-book.js';
import { OrderDesk } from './order-desk.js';
import { patiently } from './patient-open.js';
import type { ReconcilePolicy } from './reconcile.js';
import { ReconcileDesk } from './reconcile-desk.js';
import { Roster } from './roster.js';
import { SignalRouter } from './signal-router.js';

/** How often a follower with a failed order is recovered while its connection is up. */
const RECOVERY_INTERVAL_MS = 5000;

/** Creates an engine from a config object (validated here) and the broker connections it needs. */
export function createEngine(config: EngineConfig | EngineConfigInput, options: EngineOptions): Engine {
  return new CopyEngine(parseEngineConfig(config), options);
}

class CopyEngine implements Engine {
  readonly config: EngineConfig;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #instruments: InstrumentRegistry;
  readonly #bus: EventBus;
  readonly #tracker: PositionTracker;
  readonly #followers: Roster;
  readonly #connections: Record<string, BrokerConnection>;
  readonly #connectOnStart: boolean;
  /** Connections connected, or being connected, with the work of opening each. */
  readonly #opened = new Map<string, Promise<void>>();
  readonly #leader = new LeaderBook();
  readonly #sinks: Sink[] = [];
  readonly #sources: Source[] = [];
  readonly #unsubscribe: (() => void)[] = [];
  readonly #orders: OrderDesk;
  readonly #copies: CopyDesk;
  readonly #fills: FillIngest;
  readonly #signals: SignalRouter;
  readonly #reconciler: ReconcileDesk;
  /** Connections that dropped since they last connected: their followers reconcile on return. */
  readonly #wasDown = new Set<string>();
  /**
   * Connections that have been open once. A drop before that (attempts of the first open,
   * tried again by `patiently`) is no outage to recover from: the first open seeds the
   * followers, and start-up recovery or an executor's takeover does the rest.
   */
  readonly #everOpened = new Set<string>();
  #timer: Timer | undefined;
  #stopped = false;
  readonly #useTimers: boolean;

  constructor(config: EngineConfig, options: EngineOptions) {
    this.config = config;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#instruments = options.instruments ?? defaultInstruments;
    this.#bus =
      options.bus ??
      new InMemoryBus({ onListenerError: (e) => this.#log.error({ err: e }, 'listener failed') });
    this.#tracker = new PositionTracker(this.#instruments);
    this.#followers = new Roster(
      config,
      options.connections,
      (key) => options.connectionClocks?.[key] ?? this.#clock,
      (key, broker, state) => {
        this.#log.warn({ connection: key, state }, 'breaker state changed');
        this.#emit({ type: 'breaker-changed', time: this.#clock.now(), broker, connection: key, state });
      },
    );
    // What every desk shares: events out, the clock, the log, the instruments, the followers.
    const base = {
      emit: (event: EngineEvent) => this.#emit(event),
      now: () => this.#clock.now(),
      log: this.#log,
      instruments: this.#instruments,
      followers: () => this.#followers.values(),
    };
    this.#orders = new OrderDesk({
      ...base,
      positions: this.#tracker,
      orderDeadlineMs: config.engine.orderDeadlineMs,
    });
    this.#copies = new CopyDesk({
      ...base,
      orders: this.#orders,
      leader: this.#leader,
      positions: this.#tracker,
      leaderAccount: config.leader.account,
      leaderFills: options.leaderFills ?? true,
    });
    this.#fills = new FillIngest({
      ...base,
      accounts: this.#followers,
      tracker: this.#tracker,
      leader: this.#leader,
      copies: this.#copies,
      orders: this.#orders,
    });
    this.#signals = new SignalRouter({
      ...base,
      leader: this.#leader,
      copies: this.#copies,
      orders: this.#orders,
      leaderAccount: config.leader.account,
      stopped: () => this.#stopped,
    });
    this.#reconciler = new ReconcileDesk({
      ...base,
      netPositions: (follower) => this.#tracker.netPositions(follower),
      targets: (follower) => this.targets(follower),
      orders: this.#orders,
      copies: this.#copies,
      leader: this.#leader,
      policy: config.engine.reconcile,
    });
    this.#connections = options.connections;
    this.#useTimers = options.timers ?? false;
    this.#connectOnStart = options.connectOnStart ?? true;
  }

  get followers(): readonly string[] {
    return this.#followers.names;
  }

  on(listener: (event: EngineEvent) => void): () => void {
    return this.#bus.subscribe(listener);
  }

  addSink(sink: Sink): void {
    this.#sinks.push(sink);
    this.#unsubscribe.push(
      this.#bus.subscribe((event) => {
        try {
          sink.write(event);
        } catch (error) {
          this.#log.error({ err: error, sink: sink.name }, 'sink write failed');
        }
      }),
    );
  }

  addSource(source: Source): void {
    this.#sources.push(source);
  }

  async start(): Promise<void> {
    for (const [key, connection] of Object.entries(this.#connections)) {
      this.#unsubscribe.push(connection.onEvent((event) => this.#onBrokerEvent(key, event)));
    }
    if (this.#connectOnStart) {
      await Promise.all(Object.keys(this.#connections).map((key) => this.openConnection(key)));
    }
    // Stopped while the connections opened (a broker tried again for a while): nothing starts.
    if (this.#stopped) throw new TradeNovaError(ErrorCode.EngineStopped, 'stopped while starting');
    for (const source of this.#sources) await source.start((s) => this.submit(s));
    if (this.#useTimers) this.#armTimer();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer?.cancel();
    for (const source of this.#sources) await source.stop();
    await this.idle();
    for (const sink of this.#sinks) await sink.flush?.();
    for (const sink of this.#sinks) await sink.close?.();
    for (const off of this.#unsubscribe) off();
    const opened = [...this.#opened.keys()];
    this.#opened.clear();
    await Promise.all(opened.map((key) => this.#connections[key]?.disconnect()));
  }

  openConnection(key: string): Promise<void> {
    const connection = this.#connections[key];
    if (!connection) {
      return Promise.reject(new TradeNovaError(ErrorCode.ConfigInvalid, `no broker connection "${key}"`));
    }
    let opening = this.#opened.get(key);
    if (!opening) {
      opening = patiently(
        async () => {
          await connection.connect();
          if (this.#stopped) {
            // The engine stopped while this login was on its way: close what it opened.
            await connection.disconnect();
            throw new TradeNovaError(ErrorCode.EngineStopped, `stopped while opening ${key}`);
          }
          this.#everOpened.add(key);
          const followers = this.#followers.onConnection(key);
          await Promise.all(followers.map((f) => this.#fills.seedFollower(f)));
        },
        { clock: this.#clock, log: this.#log, stopped: () => this.#stopped, connection: key },
      );
      this.#opened.set(key, opening);
      // A failed connect is tried again by the next call, not remembered.
      opening.catch(() => {
        if (this.#opened.get(key) === opening) this.#opened.delete(key);
      });
    }
    return opening;
  }

  async closeConnection(key: string): Promise<void> {
    const opening = this.#opened.get(key);
    if (!opening) return;
    const followers = this.#followers.onConnection(key);
    await this.idle(followers.map((f) => f.name));
    if (this.#opened.get(key) !== opening) return;
    this.#opened.delete(key);
    await opening.catch(() => undefined);
    await this.#connections[key]?.disconnect();
  }

  openConnections(): string[] {
    return [...this.#opened.keys()];
  }

  /** Followers whose connection this process holds: the others belong to another executor. */
  #held(followers: FollowerRuntime[]): FollowerRuntime[] {
    return followers.filter((f) => this.#opened.has(f.connectionKey));
  }

  #armTimer(): void {
    this.#timer = this.#clock.setTimer(1000, () => {
      this.tick();
      if (!this.#stopped) this.#armTimer();
    });
  }

  async idle(followers?: readonly string[]): Promise<void> {
    for (;;) {
      const runtimes = followers ? followers.map((n) => this.#followers.get(n)) : this.#followers.all();
      await Promise.all(runtimes.map((r) => r.queue.idle()));
      if (runtimes.every((r) => r.queue.depth === 0)) return;
    }
  }

  pause(name: string, reason: RiskReason = RiskReason.FollowerPaused): void {
    const f = this.#followers.get(name);
    f.paused = true;
    f.pausedFor = reason;
    this.#orders.status(f, 'paused');
  }

  resume(name: string): void {
    const f = this.#followers.get(name);
    f.paused = false;
    this.#orders.status(f, 'enabled');
  }

  reconfigure(next: FollowerConfig): Promise<void> {
    const f = this.#followers.get(next.name);
    for (const key of ['broker', 'account', 'connection'] as const) {
      if (f.config[key] !== next[key]) {
        throw new TradeNovaError(
          ErrorCode.ConfigInvalid,
          `followers.${next.name}.${key} cannot change while running (restart to move an account)`,
        );
      }
    }
    const rules = compileRiskRules(next.risk);
    return f.queue.push(async () => {
      f.config = next;
      f.rules = rules;
      this.#log.info({ follower: next.name }, 'follower settings changed');
    });
  }

  positions(name: string): Position[] {
    return this.#tracker.positions(name);
  }

  pnl(name: string): { realized: Money; unrealized: Money } {
    return this.#tracker.pnl(name);
  }

  leaderPositions(): Map<string, number> {
    return new Map(this.#leader.positions);
  }

  targets(name: string): Map<string, number> {
    return this.#fills.targets(this.#followers.get(name));
  }

  async reconcile(name?: string, policy?: ReconcilePolicy): Promise<ReconcileResults> {
    const targets = this.#held(name === undefined ? this.#followers.all() : [this.#followers.get(name)]);
    const chosen = policy ?? this.config.engine.reconcile;
    const failed = new Map<string, string>();
    const results = await Promise.all(
      targets.map((f) =>
        f.queue
          .push(() => this.#reconciler.follower(f, chosen))
          .then(
            (lines) => [[f.name, lines] as const],
            (error: unknown) => {
              // One broker's refusal must not leave the others unreconciled, nor this one for good.
              failed.set(f.name, this.#reconciler.pending(f, chosen, error));
              return [];
            },
          ),
      ),
    );
    return Object.assign(new Map(results.flat()), { failed });
  }

  async flatten(name?: string, reason = 'requested'): Promise<void> {
    const targets = this.#held(name === undefined ? this.#followers.all() : [this.#followers.get(name)]);
    await Promise.all(
      targets.map((f) =>
        f.queue.push(() => this.#orders.flatten(f, `manual-${this.#clock.now()}`, undefined, reason)),
      ),
    );
  }

  #emit(event: EngineEvent): void {
    this.#bus.publish(event);
  }

  async submit(input: TradeSignal | unknown, meta: SubmitMeta = {}): Promise<SignalResult> {
    return this.#signals.submit(input, meta);
  }

  submitParsed(signal: TradeSignal, meta: SubmitMeta = {}): Promise<SignalResult> {
    return this.#signals.submitParsed(signal, meta);
  }

  // ---- broker events, prices and time ---------------------------------------

  #onBrokerEvent(connectionKey: string, event: BrokerEvent): void {
    if (event.type !== 'connection-changed') {
      this.#fills.brokerEvent(connectionKey, event);
      return;
    }
    if (event.state === 'connected' && this.#wasDown.has(connectionKey)) {
      this.#wasDown.delete(connectionKey);
      if (this.config.engine.reconcileOnReconnect) {
        for (const f of this.#held(this.#followers.all())) {
          if (f.connectionKey === connectionKey)
            void this.#reconciler.recover(f).catch((e) => this.#log.error({ err: e }, 'recovery failed'));
        }
      }
    }
    if (
      (event.state === 'reconnecting' || event.state === 'disconnected') &&
      this.#everOpened.has(connectionKey)
    )
      this.#wasDown.add(connectionKey);
    this.#emit({
      type: 'connection-status',
      time: this.#clock.now(),
      broker: this.#connections[connectionKey]?.broker ?? connectionKey,
      connection: connectionKey,
      state: event.state,
      ...(event.reason ? { reason: event.reason } : {}),
    });
  }

  seedLeaderPosition(contract: Contract, netQty: number): void {
    this.#fills.seedLeaderPosition(contract, netQty);
  }

  applyLeaderFill(fill: LeaderFill): void {
    this.#fills.applyLeaderFill(fill);
  }

  mark(contract: Contract, price: { last?: Ticks; bid?: Ticks; ask?: Ticks }): void {
    this.#fills.mark(contract, price);
  }

  tick(): void {
    const now = this.#clock.now();
    for (const f of this.#followers.values()) {
      f.risk.onTime(now, f.rules.timezone);
      if (this.#tracker.netPositions(f.name).length > 0) this.#orders.checkAutoFlatten(f);
      // An order lost to a failure is tried again while its connection is up, not forgotten.
      if (
        f.needsRecovery &&
        now - f.recoveredAt >= RECOVERY_INTERVAL_MS &&
        this.#opened.has(f.connectionKey) &&
        !this.#wasDown.has(f.connectionKey)
      ) {
        void this.#reconciler
          .recover(f)
          .catch((e) => this.#log.error({ err: e, follower: f.name }, 'recovery failed'));
      }
    }
  }
}
