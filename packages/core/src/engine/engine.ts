import type {
  BrokerConnection,
  BrokerEvent,
  BrokerFill,
  BrokerOrderStatus,
  BrokerPosition,
} from '../adapter/contract.js';
import { type EventBus, InMemoryBus } from '../bus/bus.js';
import type { EngineEvent, IntentOutcome } from '../bus/events.js';
import { type Clock, systemClock, type Timer } from '../clock/clock.js';
import { parseEngineConfig } from '../config/parse.js';
import type { EngineConfig, EngineConfigInput, FollowerConfig } from '../config/schema.js';
import {
  BrokerDisconnectedError,
  BrokerRateLimitedError,
  BrokerRejectedError,
  BrokerTimeoutError,
  BrokerUnknownOrderError,
  ErrorCode,
  SignalError,
  TradeNovaError,
} from '../errors.js';
import { type Contract, contractKey, parseContract } from '../instruments/contract.js';
import { defaultInstruments, type InstrumentRegistry } from '../instruments/registry.js';
import { type OrderType, type Side, sideSign } from '../model/common.js';
import type { Execution } from '../model/execution.js';
import { intentId, type OrderIntent } from '../model/intent.js';
import { parseSignal } from '../model/parse-signal.js';
import type { Position } from '../model/position.js';
import type { CancelOrderSignal, ModifyOrderSignal, NewOrderSignal, TradeSignal } from '../model/signal.js';
import { type Money, parseMoney } from '../money/money.js';
import { priceToTicks, type Ticks, ticksToPrice } from '../money/price.js';
import { PositionTracker } from '../positions/tracker.js';
import {
  AccountRiskState,
  autoFlattenReason,
  compileRiskRules,
  DuplicateSignalGuard,
  evaluateOrder,
  nextSessionStart,
  type RiskBlock,
} from '../risk/index.js';
import { RiskReason } from '../risk/reasons.js';
import { legDelta, planFollowerOrder } from '../scaling/plan.js';
import { scaleEntryQty } from '../scaling/scale.js';
import { type Logger, silentLogger } from '../util/logger.js';
import type {
  Engine,
  EngineOptions,
  ReconcileResults,
  SignalOutcome,
  SignalResult,
  Sink,
  Source,
  SubmitMeta,
} from './api.js';
import { BracketDesk } from './bracket-desk.js';
import { connectionKeyOf } from './connections.js';
import {
  FollowerRuntime,
  hasWorkingLegs,
  LEG_ROLES,
  type LegCopy,
  type OrderCopy,
  workingLegs,
} from './follower.js';
import {
  followerTicks,
  mapContract,
  type PreparedNewOrder,
  planNewOrderIntents,
  prepareNewOrder,
} from './intents.js';
import { changeOutcomes, outcomeOf, SkipReason, skippedOutcome } from './outcome.js';
import { type ReconcilePolicy, scaledTargets } from './reconcile.js';
import { ReconcileDesk } from './reconcile-desk.js';
import { ConnectionGuard } from './resilience.js';

/** What the engine remembers of a leader order, to route its modify and cancel and re-plan its copies. */
interface LeaderOrder {
  id: string;
  contract: Contract;
  side: Side;
  /** Total quantity, as last modified. */
  qty: number;
  /** Quantity the leader's fills reported so far. */
  filled: number;
  orderType: OrderType;
  /** The `new` signal, with the prices of the latest modify: a modify re-plans every follower from it. */
  signal: NewOrderSignal;
  /** Filled, cancelled or flattened: no fill or re-plan is expected any more. */
  done: boolean;
}

/**
 * Copies a follower keeps with nothing working at its broker, waiting for the leader's fills to
 * book them. A process that never sees the leader's fills (a scale-out executor) would keep
 * them all; past this many the oldest are closed with what they booked.
 */
const MAX_COPIES = 1000;

/** How often a follower with a failed order is recovered while its connection is up. */
const RECOVERY_INTERVAL_MS = 5000;
/** How long opening a connection waits out a broker's rate limit before it fails. */
const OPEN_RATE_LIMIT_BUDGET_MS = 120_000;

/** A leader fill; its order ids tie it to the leader order the followers copy. */
type LeaderFill = Parameters<Engine['applyLeaderFill']>[0];

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
  readonly #followers = new Map<string, FollowerRuntime>();
  readonly #byAccount = new Map<string, FollowerRuntime>();
  readonly #connections: Record<string, BrokerConnection>;
  readonly #connectOnStart: boolean;
  /** Connections connected, or being connected, with the work of opening each. */
  readonly #opened = new Map<string, Promise<void>>();
  readonly #guards = new Map<string, ConnectionGuard>();
  readonly #leader = new Map<string, number>();
  /** leaderOrderId → contract and side, so modify/cancel can be routed. */
  readonly #leaderOrders = new Map<string, LeaderOrder>();
  readonly #lastPrice = new Map<string, Ticks>();
  /** The latest bid and ask per contract key: a fill the broker gave no price for is booked at the side it met. */
  readonly #quotes = new Map<string, { bid?: Ticks; ask?: Ticks }>();
  readonly #dupes = new DuplicateSignalGuard();
  readonly #sinks: Sink[] = [];
  readonly #sources: Source[] = [];
  readonly #unsubscribe: (() => void)[] = [];
  readonly #filledIntents = new Set<string>();
  readonly #brackets: BracketDesk;
  readonly #reconciler: ReconcileDesk;
  /** Connections that dropped since they last connected: their followers reconcile on return. */
  readonly #wasDown = new Set<string>();
  #timer: Timer | undefined;
  #stopped = false;
  /**
   * Whether the leader's fills reach this engine (a replay, a run with the leader's broker
   * or mirror). Only then is each follower's expected position known, and drift and
   * alignment measure against it; else (a scale-out executor) against the scaled leader.
   */
  #leaderFillsSeen = false;
  /** Whether the leader's fills will come (see `EngineOptions.leaderFills`). */
  readonly #leaderFills: boolean;
  readonly #useTimers: boolean;

  constructor(config: EngineConfig, options: EngineOptions) {
    this.config = config;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#brackets = new BracketDesk({
      place: (f, intent, receivedAt, refKey) => this.#place(f, intent, receivedAt, refKey),
      placeFailed: (f, intent, error) => this.#placeFailed(f, intent, error),
      emit: (event) => this.#emit(event),
      now: () => this.#clock.now(),
      netQty: (follower, contract) => this.#tracker.netQty(follower, contract),
      entryFilled: (id) => this.#filledIntents.has(id),
      log: this.#log,
    });
    this.#instruments = options.instruments ?? defaultInstruments;
    this.#bus =
      options.bus ??
      new InMemoryBus({ onListenerError: (e) => this.#log.error({ err: e }, 'listener failed') });
    this.#tracker = new PositionTracker(this.#instruments);
    this.#reconciler = new ReconcileDesk({
      netPositions: (follower) => this.#tracker.netPositions(follower),
      targets: (follower) => this.targets(follower),
      instruments: this.#instruments,
      place: (f, intent, receivedAt, refKey) => this.#place(f, intent, receivedAt, refKey),
      flatten: (f, signalId, reason) => this.#flattenFollower(f, signalId, undefined, reason),
      emit: (event) => this.#emit(event),
      now: () => this.#clock.now(),
    });
    this.#connections = options.connections;
    this.#useTimers = options.timers ?? false;
    this.#connectOnStart = options.connectOnStart ?? true;
    this.#leaderFills = options.leaderFills ?? true;
    for (const f of config.followers) {
      const key = connectionKeyOf(f);
      const connection = options.connections[key];
      if (!connection) {
        throw new TradeNovaError(
          ErrorCode.ConfigInvalid,
          `follower ${f.name}: no broker connection "${key}" was given`,
        );
      }
      let guard = this.#guards.get(key);
      if (!guard) {
        const clock = options.connectionClocks?.[key] ?? this.#clock;
        guard = new ConnectionGuard(connection.broker, config.engine, clock, connection.budget);
        this.#guards.set(key, guard);
        guard.onBreakerChange((state) => {
          this.#log.warn({ connection: key, state }, 'breaker state changed');
          this.#emit({
            type: 'breaker-changed',
            time: this.#clock.now(),
            broker: connection.broker,
            connection: key,
            state,
          });
        });
      }
      const startingBalance = parseMoney(f.startingBalance, `followers.${f.name}.startingBalance`);
      const runtime = new FollowerRuntime(
        f,
        key,
        connection,
        guard,
        compileRiskRules(f.risk),
        new AccountRiskState(startingBalance),
        startingBalance,
      );
      this.#followers.set(f.name, runtime);
      this.#byAccount.set(`${key}\u0000${f.account}`, runtime);
    }
  }

  get followers(): readonly string[] {
    return [...this.#followers.keys()];
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
      opening = this.#patiently(async () => {
        await connection.connect();
        const followers = [...this.#followers.values()].filter((f) => f.connectionKey === key);
        await Promise.all(followers.map((f) => this.#seedFollower(f)));
      });
      this.#opened.set(key, opening);
      // A failed connect is tried again by the next call, not remembered.
      opening.catch(() => {
        if (this.#opened.get(key) === opening) this.#opened.delete(key);
      });
    }
    return opening;
  }

  /**
   * Runs `work`, waiting out a broker's rate limit as long as it asks (up to
   * OPEN_RATE_LIMIT_BUDGET_MS in all): a login refused for a minute after a restart storm
   * is a wait, not a reason to fail the start.
   */
  async #patiently(work: () => Promise<void>): Promise<void> {
    const giveUpAt = this.#clock.now() + OPEN_RATE_LIMIT_BUDGET_MS;
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof BrokerRateLimitedError) || this.#stopped) throw error;
        const wait = Math.max(100, error.retryAfterMs);
        if (this.#clock.now() + wait > giveUpAt) throw error;
        this.#log.warn({ err: error, waitMs: wait }, 'rate-limited while connecting; waiting');
        await new Promise<void>((resolve) => this.#clock.setTimer(wait, resolve));
      }
    }
  }

  async closeConnection(key: string): Promise<void> {
    const opening = this.#opened.get(key);
    if (!opening) return;
    const followers = [...this.#followers.values()].filter((f) => f.connectionKey === key);
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
      const runtimes = followers ? followers.map((n) => this.#follower(n)) : [...this.#followers.values()];
      await Promise.all(runtimes.map((r) => r.queue.idle()));
      if (runtimes.every((r) => r.queue.depth === 0)) return;
    }
  }

  pause(name: string, reason: RiskReason = RiskReason.FollowerPaused): void {
    const f = this.#follower(name);
    f.paused = true;
    f.pausedFor = reason;
    this.#status(f, 'paused');
  }

  resume(name: string): void {
    const f = this.#follower(name);
    f.paused = false;
    this.#status(f, 'enabled');
  }

  reconfigure(next: FollowerConfig): Promise<void> {
    const f = this.#follower(next.name);
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
    return new Map(this.#leader);
  }

  targets(name: string): Map<string, number> {
    const f = this.#follower(name);
    if (!this.#leaderFillsSeen) {
      const pnl = this.#tracker.pnl(f.name);
      return scaledTargets(this.#leader, f.config, f.startingBalance + pnl.realized, this.#instruments);
    }
    // What the follower's own rules made of the leader's fills, summed per follower contract
    // (a contract fed by several leader instruments carries each one's share).
    const out = new Map<string, number>();
    for (const source of f.expectedSources()) {
      const contract = parseContract(source, { registry: this.#instruments });
      const key = contractKey(mapContract(contract, f.config).contract);
      out.set(key, (out.get(key) ?? 0) + f.expected(source));
    }
    return out;
  }

  async reconcile(name?: string, policy?: ReconcilePolicy): Promise<ReconcileResults> {
    const targets = this.#held(name === undefined ? [...this.#followers.values()] : [this.#follower(name)]);
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
              failed.set(f.name, this.#recoveryPending(f, chosen, error));
              return [];
            },
          ),
      ),
    );
    return Object.assign(new Map(results.flat()), { failed });
  }

  async flatten(name?: string, reason = 'requested'): Promise<void> {
    const targets = this.#held(name === undefined ? [...this.#followers.values()] : [this.#follower(name)]);
    await Promise.all(
      targets.map((f) =>
        f.queue.push(() => this.#flattenFollower(f, `manual-${this.#clock.now()}`, undefined, reason)),
      ),
    );
  }

  #follower(name: string): FollowerRuntime {
    const f = this.#followers.get(name);
    if (!f) throw new TradeNovaError(ErrorCode.ConfigInvalid, `no follower named "${name}"`);
    return f;
  }

  #emit(event: EngineEvent): void {
    this.#bus.publish(event);
  }

  #status(
    f: FollowerRuntime,
    status: 'enabled' | 'paused' | 'locked-out' | 'flattening',
    reason?: string,
  ): void {
    const pnl = this.#tracker.pnl(f.name);
    this.#emit({
      type: 'account-status',
      time: this.#clock.now(),
      follower: f.name,
      accountId: f.accountId,
      status,
      ...(reason !== undefined ? { reason } : {}),
      pnl: pnl.realized + pnl.unrealized,
    });
  }

  // ---- signals ------------------------------------------------------------

  async submit(input: TradeSignal | unknown, meta: SubmitMeta = {}): Promise<SignalResult> {
    const now = this.#clock.now();
    let signal: TradeSignal;
    try {
      signal = parseSignal(input, { leaderAccount: this.config.leader.account, now }, meta.line);
    } catch (error) {
      return this.#rejectSignal(error, meta.line, (input as { signalId?: string } | null)?.signalId);
    }
    if (this.#stopped) {
      return this.#rejectSignal(
        new TradeNovaError(ErrorCode.EngineStopped, 'engine is stopping; signal not copied'),
        meta.line,
        signal.signalId,
      );
    }
    const dupeKey = meta.followers ? [signal.signalId, ...meta.followers].join('\u0000') : signal.signalId;
    if (this.#dupes.seen(dupeKey)) {
      return this.#rejectSignal(
        new SignalError('signalId', `duplicate signal ${signal.signalId} ignored`, meta.line),
        meta.line,
        signal.signalId,
        RiskReason.DuplicateSignal,
      );
    }
    try {
      return await this.#route(signal, meta.line, meta.followers);
    } catch (error) {
      return this.#rejectSignal(error, meta.line, signal.signalId);
    }
  }

  #rejectSignal(error: unknown, line: number | undefined, signalId?: string, code?: string): SignalResult {
    const field = error instanceof SignalError ? error.field : '(signal)';
    const message =
      error instanceof SignalError ? error.reason : error instanceof Error ? error.message : String(error);
    const errCode = code ?? (error instanceof TradeNovaError ? error.code : ErrorCode.SignalInvalid);
    this.#emit({
      type: 'signal-rejected',
      time: this.#clock.now(),
      ...(signalId !== undefined ? { signalId } : {}),
      ...(line !== undefined ? { line } : {}),
      field,
      code: errCode,
      message,
    });
    return {
      ok: false,
      ...(signalId !== undefined ? { signalId } : {}),
      error: { code: errCode, field, message },
    };
  }

  async #route(
    signal: TradeSignal,
    line: number | undefined,
    only?: readonly string[],
  ): Promise<SignalResult> {
    // Work out everything that does not depend on the follower once, synchronously,
    // so the leader position used is the one at arrival, whatever runs later.
    let perFollower: (f: FollowerRuntime) => Promise<SignalOutcome[]>;
    let prepare: ((f: FollowerRuntime) => void) | undefined;
    switch (signal.action) {
      case 'new': {
        const contract = this.#contract(signal.instrument, signal.detectedAt, 'instrument', line);
        const spec = this.#instruments.get(contract.root);
        const key = contractKey(contract);
        const last = this.#lastPrice.get(key);
        const prepared = prepareNewOrder(
          signal,
          contract,
          spec,
          this.#leader.get(key) ?? 0,
          last === undefined ? undefined : ticksToPrice(last, spec.tickSize),
        );
        this.#leaderOrders.set(signal.leaderOrderId, {
          id: signal.leaderOrderId,
          contract,
          side: signal.side,
          qty: signal.qty,
          filled: 0,
          orderType: signal.orderType,
          signal,
          done: false,
        });
        perFollower = (f) => this.#copyNew(f, prepared);
        break;
      }
      case 'modify': {
        const leaderOrder = this.#leaderOrders.get(signal.leaderOrderId);
        if (!leaderOrder)
          throw new SignalError('leaderOrderId', `unknown leader order ${signal.leaderOrderId}`, line);
        const spec = this.#instruments.get(leaderOrder.contract.root);
        for (const field of ['limitPrice', 'stopPrice'] as const) {
          const v = signal[field];
          if (v !== undefined) prepareCheck(v, spec.tickSize, field, line);
        }
        const foldKey = `${signal.leaderOrderId}\u0000${signal.leg ?? 'entry'}`;
        const fields = {
          ...(signal.qty !== undefined ? { qty: signal.qty } : {}),
          ...(signal.limitPrice !== undefined ? { limitPrice: signal.limitPrice } : {}),
          ...(signal.stopPrice !== undefined ? { stopPrice: signal.stopPrice } : {}),
        };
        if ((signal.leg ?? 'entry') === 'entry') {
          // The leader order as it is now: every follower re-plans its copy from it.
          if (signal.qty !== undefined) leaderOrder.qty = signal.qty;
          leaderOrder.signal = {
            ...leaderOrder.signal,
            ...(signal.limitPrice !== undefined ? { limitPrice: signal.limitPrice } : {}),
            ...(signal.stopPrice !== undefined ? { stopPrice: signal.stopPrice } : {}),
          };
        }
        const leaderNow = this.#leader.get(contractKey(leaderOrder.contract)) ?? 0;
        prepare = (f) => f.pendingModify.set(foldKey, { ...f.pendingModify.get(foldKey), ...fields });
        perFollower = (f) => this.#copyModify(f, signal, leaderOrder, foldKey, leaderNow);
        break;
      }
      case 'cancel': {
        const leaderOrder = this.#leaderOrders.get(signal.leaderOrderId);
        if (!leaderOrder) {
          throw new SignalError('leaderOrderId', `unknown leader order ${signal.leaderOrderId}`, line);
        }
        if ((signal.leg ?? 'entry') === 'entry') leaderOrder.done = true;
        perFollower = (f) => this.#copyCancel(f, signal);
        break;
      }
      case 'flatten': {
        const contract =
          signal.instrument === undefined
            ? undefined
            : this.#contract(signal.instrument, signal.detectedAt, 'instrument', line);
        // The leader's working orders in the contract (or all) go with its position.
        for (const order of this.#leaderOrders.values()) {
          if (!contract || contractKey(order.contract) === contractKey(contract)) order.done = true;
        }
        perFollower = (f) => this.#copyFlatten(f, signal.signalId, contract);
        break;
      }
    }
    this.#emit({ type: 'signal-received', time: this.#clock.now(), signal });
    const results = await Promise.all(
      [...this.#followers.values()]
        .filter((f) => f.config.enabled && (only === undefined || only.includes(f.name)))
        .map((f) => {
          prepare?.(f);
          return f.queue.push(() => perFollower(f).catch((e) => this.#taskFailed(f, signal, e)));
        }),
    );
    const outcomes = results.flat();
    this.#emit({
      type: 'signal-completed',
      time: this.#clock.now(),
      signalId: signal.signalId,
      outcomes: outcomes.map(({ reason: _r, ...o }) => o),
    });
    return { ok: true, signalId: signal.signalId, outcomes };
  }

  #contract(text: string, at: number, field: string, line: number | undefined): Contract {
    try {
      return parseContract(text, { at, registry: this.#instruments });
    } catch (error) {
      throw new SignalError(field, error instanceof Error ? error.message : String(error), line);
    }
  }

  #taskFailed(f: FollowerRuntime, signal: TradeSignal, error: unknown): SignalOutcome[] {
    // A bug or an unexpected throw must still leave a record, never silence.
    const message = error instanceof Error ? error.message : String(error);
    this.#log.error({ err: error, follower: f.name, signalId: signal.signalId }, 'copy task failed');
    const intent = this.#syntheticIntent(f, signal, 'entry');
    this.#emit({
      type: 'order-failed',
      time: this.#clock.now(),
      intent,
      code: error instanceof TradeNovaError ? error.code : 'TN_ERR_INTERNAL',
      message,
    });
    return [
      { follower: f.name, intentId: intent.intentId, leg: intent.leg, outcome: 'failed', reason: message },
    ];
  }

  #syntheticIntent(f: FollowerRuntime, signal: TradeSignal, leg: OrderIntent['leg']): OrderIntent {
    const contract =
      'instrument' in signal && signal.instrument
        ? safeContract(signal.instrument, signal.detectedAt, this.#instruments)
        : undefined;
    return {
      intentId: intentId(signal.signalId, f.name, leg),
      signalId: signal.signalId,
      follower: f.name,
      broker: f.config.broker,
      accountId: f.accountId,
      leg,
      action: signal.action === 'new' ? 'place' : signal.action === 'flatten' ? 'flatten' : signal.action,
      contract: contract ?? { root: '?', month: 'Z', year: 0 },
      side: 'buy',
      qty: 0,
      orderType: 'market',
      reducing: true,
      createdAt: this.#clock.now(),
    };
  }

  // ---- per follower -------------------------------------------------------

  async #copyNew(f: FollowerRuntime, order: ReturnType<typeof prepareNewOrder>): Promise<SignalOutcome[]> {
    const now = this.#clock.now();
    f.risk.onTime(now, f.rules.timezone);
    if (this.#copiesAtFill(f, order.signal)) return this.#awaitLeaderFill(f, order);
    const plan = this.#planFor(f, order);
    const outcomes: SignalOutcome[] = [];
    if (plan.skipped) {
      this.#emit({
        type: 'order-blocked',
        time: now,
        intent: plan.skipped.intent,
        reason: plan.skipped.reason,
        message: plan.skipped.message,
      });
      outcomes.push({
        follower: f.name,
        intentId: plan.skipped.intent.intentId,
        leg: 'entry',
        outcome: 'skipped',
        reason: plan.skipped.reason,
      });
    }
    const leaderOrderId = order.signal.leaderOrderId;
    const leaderOrder = this.#leaderOrders.get(leaderOrderId);
    const previous = f.copies.get(leaderOrderId);
    if (previous) this.#endCopy(f, previous);
    const copy: OrderCopy = {
      leaderOrderId,
      source: contractKey(order.contract),
      contract: mapContract(order.contract, f.config).contract,
      legs: { entry: undefined, close: undefined, open: undefined },
      planned: 0,
      leaderQty: order.signal.qty,
      leaderFilled: leaderOrder?.filled ?? 0,
      booked: 0,
      leaderDone: false,
      legFilled: { entry: 0, close: 0, open: 0 },
      filledDelta: 0,
    };
    f.copies.set(leaderOrderId, copy);
    f.pruneCopies(MAX_COPIES);
    for (const intent of plan.intents) this.#addLeg(f, copy, intent);
    // Expected from the moment it is planned (a broker's answer may take a while); a leg a
    // risk rule blocks comes off again.
    copy.planned = plan.intents.reduce((sum, i) => sum + sideSign(i.side) * i.qty, 0);
    this.#bookCopy(f, copy, leaderOrder);
    for (const intent of plan.intents) {
      const result = await this.#place(f, intent, order.signal.receivedAt, leaderOrderId);
      this.#legPlaced(f, intent, result);
      if (result.outcome === 'blocked') {
        copy.planned -= sideSign(intent.side) * intent.qty;
        if (f.copies.get(leaderOrderId) === copy) f.book(copy);
        else
          f.expectedBase.set(
            copy.source,
            (f.expectedBase.get(copy.source) ?? 0) - sideSign(intent.side) * intent.qty,
          );
      }
      outcomes.push(result);
    }
    if (outcomes.length === 0) {
      // The follower's share already is where its rules put it (a reduction that rounds to no change).
      const intent = this.#syntheticIntent(f, order.signal, 'entry');
      intent.contract = copy.contract;
      outcomes.push(
        skippedOutcome(intent, SkipReason.Unchanged, "the follower's share already matches the leader"),
      );
    }
    return outcomes;
  }

  /**
   * An inverse follower copies a working leader order at its fills. The mirror of a resting
   * order is not a resting order: the leader's buy limit fills when the ask comes down to it,
   * the swapped sell stop when the bid does, and a stop-limit's cap has no mirror at all. So
   * the copy waits for the leader's fills and follows each with a market order.
   */
  #copiesAtFill(f: FollowerRuntime, signal: NewOrderSignal): boolean {
    return f.config.inverse && this.#leaderFills && signal.orderType !== 'market';
  }

  /** Opens a copy with nothing at the broker yet: `#copyLeaderFill` places its legs as the leader fills. */
  #awaitLeaderFill(f: FollowerRuntime, order: PreparedNewOrder): SignalOutcome[] {
    const leaderOrderId = order.signal.leaderOrderId;
    const previous = f.copies.get(leaderOrderId);
    if (previous) this.#endCopy(f, previous);
    f.copies.set(leaderOrderId, {
      leaderOrderId,
      source: contractKey(order.contract),
      contract: mapContract(order.contract, f.config).contract,
      legs: { entry: undefined, close: undefined, open: undefined },
      planned: 0,
      leaderQty: order.signal.qty,
      leaderFilled: 0,
      booked: 0,
      leaderDone: false,
      legFilled: { entry: 0, close: 0, open: 0 },
      filledDelta: 0,
      atFill: true,
    });
    f.pruneCopies(MAX_COPIES);
    const intent = this.#syntheticIntent(f, order.signal, 'entry');
    intent.contract = mapContract(order.contract, f.config).contract;
    return [
      skippedOutcome(intent, SkipReason.AtLeaderFill, 'an inverse copy follows the leader order as it fills'),
    ];
  }

  /** One fill of a working leader order, copied by an inverse follower as market orders. */
  async #copyLeaderFill(
    f: FollowerRuntime,
    order: LeaderOrder,
    fill: LeaderFill,
    before: number,
  ): Promise<void> {
    const copy = f.copies.get(order.id);
    if (!copy?.atFill) return;
    const spec = this.#instruments.get(order.contract.root);
    const price = ticksToPrice(fill.priceTicks, spec.tickSize);
    const signalId = `${order.signal.signalId}~fill-${++f.recoveries}`;
    const { limitPrice: _l, stopPrice: _s, ...rest } = order.signal;
    const prepared = prepareNewOrder(
      {
        ...rest,
        signalId,
        qty: fill.qty,
        orderType: 'market',
        fillPrice: price,
        receivedAt: this.#clock.now(),
      },
      order.contract,
      spec,
      before,
      price,
    );
    const plan = this.#planFor(f, prepared);
    const outcomes: SignalOutcome[] = plan.skipped ? [this.#skipped(f, plan.skipped)] : [];
    let change = 0;
    for (const intent of plan.intents) {
      f.rememberSource(intent.intentId, copy.source);
      const result = await this.#place(f, intent, prepared.signal.receivedAt, order.id);
      if (result.outcome !== 'blocked') change += sideSign(intent.side) * intent.qty;
      outcomes.push(result);
    }
    // Each fill is expected of the follower at once: the copy itself holds nothing.
    f.expectedBase.set(copy.source, (f.expectedBase.get(copy.source) ?? 0) + change);
    copy.leaderFilled += fill.qty;
    if (copy.leaderFilled >= order.qty) f.copies.delete(order.id);
    this.#emit({
      type: 'signal-completed',
      time: this.#clock.now(),
      signalId,
      outcomes: outcomes.map(({ reason: _r, ...o }) => o),
    });
  }

  /** Scales, maps and plans one follower's legs for a leader order, against the follower's share of its source. */
  #planFor(f: FollowerRuntime, order: PreparedNewOrder, shareOffset = 0) {
    const mapped = mapContract(order.contract, f.config).contract;
    const source = contractKey(order.contract);
    const key = contractKey(mapped);
    f.claimLoose(key, source);
    const pnl = this.#tracker.pnl(f.name);
    return planNewOrderIntents(order, {
      follower: f.config,
      accountId: f.accountId,
      instruments: this.#instruments,
      followerPosition: f.share(key, source) + shareOffset,
      followerEquity: f.startingBalance + pnl.realized + pnl.unrealized,
      now: this.#clock.now(),
    });
  }

  /** Registers a planned leg before it is sent, so fills that race the ack find it. */
  #addLeg(f: FollowerRuntime, copy: OrderCopy, intent: OrderIntent): void {
    if (intent.leg !== 'entry' && intent.leg !== 'close' && intent.leg !== 'open') return;
    const leg: LegCopy = {
      leg: intent.leg,
      intentId: intent.intentId,
      side: intent.side,
      qty: intent.qty,
      filled: 0,
      orderType: intent.orderType,
      ...(intent.limitTicks !== undefined ? { limitTicks: intent.limitTicks } : {}),
      ...(intent.stopTicks !== undefined ? { stopTicks: intent.stopTicks } : {}),
    };
    const old = copy.legs[leg.leg];
    if (old) f.legOf.delete(old.intentId);
    copy.legs[leg.leg] = leg;
    f.legOf.set(intent.intentId, { copy, leg });
    // A bracket's children find their source through their entry, after the entry's leg ended.
    if (intent.bracket) f.rememberSource(intent.intentId, copy.source);
  }

  /**
   * After a leg was sent: its broker id, or its end when nothing works at the broker. The
   * plan counts what the follower's rules asked for, except what a risk rule blocked: a
   * failed or rejected leg is drift, to be seen and aligned, while a blocked one is the rule.
   */
  #legPlaced(f: FollowerRuntime, intent: OrderIntent, result: SignalOutcome): void {
    const at = f.legOf.get(intent.intentId);
    if (!at) return;
    if (result.outcome === 'blocked' || result.outcome === 'rejected' || result.outcome === 'failed')
      f.endLeg(intent.intentId);
  }

  /** Counts what the leader has filled of a copy's order so far. */
  #bookCopy(f: FollowerRuntime, copy: OrderCopy, leaderOrder: LeaderOrder | undefined): void {
    if (leaderOrder?.done && leaderOrder.filled < leaderOrder.qty) copy.leaderDone = true;
    f.book(copy);
  }

  /** Forgets a copy: its legs no longer count as working for the leader order (cancelled or replaced). */
  #endCopy(f: FollowerRuntime, copy: OrderCopy): void {
    copy.leaderDone = true;
    for (const leg of workingLegs(copy)) f.endLeg(leg.intentId);
    f.settle(copy);
  }

  #block(f: FollowerRuntime, intent: OrderIntent, block: RiskBlock): SignalOutcome {
    this.#emit({
      type: 'order-blocked',
      time: this.#clock.now(),
      intent,
      reason: block.reason,
      message: block.message,
    });
    return {
      follower: f.name,
      intentId: intent.intentId,
      leg: intent.leg,
      outcome: 'blocked',
      reason: block.reason,
    };
  }

  #checkRisk(f: FollowerRuntime, intent: OrderIntent): RiskBlock | undefined {
    // A paused follower copies no new risk, but its exits and protective orders still go.
    if (f.paused && !intent.reducing)
      return f.pausedFor === RiskReason.KillSwitch
        ? { reason: RiskReason.KillSwitch, message: 'kill switch engaged' }
        : { reason: f.pausedFor, message: `${f.name} is paused` };
    const now = this.#clock.now();
    const pnl = this.#tracker.pnl(f.name);
    const decision = evaluateOrder(
      f.rules,
      {
        now,
        positionQty: this.#tracker.netQty(f.name, intent.contract),
        positions: this.#tracker.netPositions(f.name),
        sessionPnl: f.risk.sessionPnl(pnl.realized, pnl.unrealized),
        equity: f.startingBalance + pnl.realized + pnl.unrealized,
        state: f.risk,
        firmPositions: this.#firmPositions(f),
        instruments: this.#instruments,
      },
      { contract: intent.contract, qty: intent.qty, side: intent.side, reducing: intent.reducing },
    );
    return decision.ok ? undefined : { reason: decision.reason, message: decision.message };
  }

  #firmPositions(
    f: FollowerRuntime,
  ): { accountId: string; contract: Contract; netQty: number }[] | undefined {
    const firm = f.config.firm;
    if (firm === undefined) return undefined;
    const out: { accountId: string; contract: Contract; netQty: number }[] = [];
    for (const other of this.#followers.values()) {
      if (other === f || other.config.firm !== firm) continue;
      for (const p of this.#tracker.netPositions(other.name)) {
        if (!other.isClosing(contractKey(p.contract))) out.push({ accountId: other.name, ...p });
      }
      // Entries sent but not yet reported filled are exposure too: two accounts opening
      // opposite ways at once would otherwise both pass.
      for (const p of other.openingExposure()) out.push({ accountId: other.name, ...p });
    }
    return out;
  }

  async #place(
    f: FollowerRuntime,
    intent: OrderIntent,
    receivedAt: number,
    leaderOrderId: string,
  ): Promise<SignalOutcome> {
    const block = this.#checkRisk(f, intent);
    if (block) return this.#block(f, intent, block);
    this.#emit({ type: 'intent-created', time: this.#clock.now(), intent });
    f.risk.recordOrder(this.#clock.now());
    const signedQty = intent.side === 'buy' ? intent.qty : -intent.qty;
    f.startInFlight(intent.intentId, intent.contract, signedQty, intent.reducing);
    const outcome = (o: IntentOutcome, extra?: Partial<SignalOutcome>) => outcomeOf(intent, o, extra);
    // A broker without native brackets gets the entry alone; the engine places the children as it fills.
    const managed = intent.bracket !== undefined && !f.connection.capabilities.brackets;
    if (managed && intent.bracket) this.#brackets.manage(f, intent, leaderOrderId);
    try {
      const ack = await f.guard.run(
        () =>
          f.connection.placeOrder({
            accountId: f.accountId,
            clientOrderId: intent.intentId,
            contract: intent.contract,
            side: intent.side,
            qty: intent.qty,
            orderType: intent.orderType,
            ...(intent.limitTicks !== undefined ? { limitTicks: intent.limitTicks } : {}),
            ...(intent.stopTicks !== undefined ? { stopTicks: intent.stopTicks } : {}),
            ...(intent.timeInForce !== undefined ? { timeInForce: intent.timeInForce } : {}),
            ...(intent.bracket !== undefined && !managed ? { bracket: intent.bracket } : {}),
          }),
        (late) => {
          // The answer came after the deadline: record it so reconciliation has the facts.
          if (late instanceof Error) this.#log.warn({ err: late, intentId: intent.intentId }, 'late failure');
          else
            this.#emit({
              type: 'order-placed',
              time: this.#clock.now(),
              intent,
              orderId: late.orderId,
              latencyMs: this.#clock.now() - receivedAt,
            });
        },
        intent.reducing ? 'exit' : 'entry',
      );
      const latencyMs = this.#clock.now() - receivedAt;
      const at = f.legOf.get(intent.intentId);
      if (at) at.leg.orderId = ack.orderId;
      // A native bracket's children fill with their own broker ids: they copy the entry's source.
      const source = at?.copy.source ?? f.sourceOf(intent.intentId);
      if (source !== undefined && intent.bracket !== undefined) {
        for (const id of [ack.orderId, ack.childOrderIds?.stopLoss, ack.childOrderIds?.takeProfit]) {
          if (id !== undefined) f.rememberSource(`order:${id}`, source);
        }
      }
      if (intent.leg !== 'close') {
        // The order modify and cancel signals will refer to (a reversal's open leg carries the bracket).
        f.orders.set(leaderOrderId, {
          intentId: intent.intentId,
          orderId: ack.orderId,
          contract: intent.contract,
          side: intent.side,
          orderType: intent.orderType,
          ...(ack.childOrderIds?.stopLoss ? { stopLossOrderId: ack.childOrderIds.stopLoss } : {}),
          ...(ack.childOrderIds?.takeProfit ? { takeProfitOrderId: ack.childOrderIds.takeProfit } : {}),
        });
      }
      this.#emit({ type: 'order-placed', time: this.#clock.now(), intent, orderId: ack.orderId, latencyMs });
      const filled = ack.status === 'filled' || this.#filledIntents.has(intent.intentId);
      return outcome(filled ? 'filled' : 'placed', { latencyMs });
    } catch (error) {
      const failed = this.#placeFailed(f, intent, error, leaderOrderId);
      // A timed-out close may still fill: it keeps counting until reconciliation or a flat position.
      if (failed.outcome !== 'timed-out') f.endInFlight(intent.intentId);
      return failed;
    }
  }

  #placeFailed(
    f: FollowerRuntime,
    intent: OrderIntent,
    error: unknown,
    leaderOrderId?: string,
  ): SignalOutcome {
    const outcome = (o: IntentOutcome, extra?: Partial<SignalOutcome>) => outcomeOf(intent, o, extra);
    const now = this.#clock.now();
    // A rate limit is a refusal for now, not for good: recovery tries the order again.
    if (error instanceof BrokerRateLimitedError && intent.action === 'place') f.needsRecovery = true;
    if (error instanceof BrokerRejectedError || error instanceof BrokerRateLimitedError) {
      this.#emit({ type: 'order-rejected', time: now, intent, code: error.code, reason: error.message });
      return outcome('rejected', { reason: error.message });
    }
    // Nothing or not known to be at the broker: recovery tries again once the connection is up.
    if (intent.action === 'place') f.needsRecovery = true;
    if (error instanceof BrokerTimeoutError || error instanceof BrokerDisconnectedError) {
      // Sent, answer lost: the order may exist. Never a reject; reconciliation asks the broker.
      if (intent.action === 'place') {
        f.unknown.set(intent.intentId, { intent, ...(leaderOrderId !== undefined ? { leaderOrderId } : {}) });
      }
      this.#emit({
        type: 'order-timed-out',
        time: now,
        intent,
        afterMs: this.config.engine.orderDeadlineMs,
        reason: error.message,
      });
      return outcome('timed-out', { reason: error.message });
    }
    const code = error instanceof TradeNovaError ? error.code : 'TN_ERR_INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    this.#emit({ type: 'order-failed', time: now, intent, code, message });
    return outcome('failed', { reason: message });
  }

  async #copyModify(
    f: FollowerRuntime,
    signal: ModifyOrderSignal,
    leaderOrder: LeaderOrder,
    foldKey: string,
    leaderNow: number,
  ): Promise<SignalOutcome[]> {
    const ref = f.orders.get(signal.leaderOrderId);
    const intent = this.#syntheticIntent(f, signal, 'modify');
    // Every modify of this order that arrived while this follower was busy is merged here.
    const merged = f.pendingModify.get(foldKey);
    f.pendingModify.delete(foldKey);
    if (!merged) {
      return [skippedOutcome(intent, SkipReason.Folded, 'folded into the previous modify of this order')];
    }
    signal = { ...signal, ...merged };
    if ((signal.leg ?? 'entry') === 'entry') return this.#replan(f, signal, leaderOrder, leaderNow);
    intent.contract = ref?.contract ?? mapContract(leaderOrder.contract, f.config).contract;
    if (!ref) {
      // The follower never got a copy (blocked, skipped, rejected): nothing to change.
      return [skippedOutcome(intent, SkipReason.NoCopy, 'no copied order')];
    }
    const leg = signal.leg ?? 'stop-loss';
    const spec = this.#instruments.get(ref.contract.root);
    // An inverse follower's stop-loss copies the leader's take-profit.
    const child: 'stop-loss' | 'take-profit' = f.config.inverse
      ? leg === 'stop-loss'
        ? 'take-profit'
        : 'stop-loss'
      : leg === 'take-profit'
        ? 'take-profit'
        : 'stop-loss';
    const targetOrderId = child === 'stop-loss' ? ref.stopLossOrderId : ref.takeProfitOrderId;
    const price = signal.stopPrice ?? signal.limitPrice;
    if (targetOrderId === undefined) {
      if (price !== undefined) {
        // The leader added a protective order after its entry: the follower gets its own.
        return [
          await this.#brackets.addChildLater(f, ref, signal, intent, child, followerTicks(price, spec)),
        ];
      }
      return [skippedOutcome(intent, SkipReason.NoBracketLeg, `no ${leg} order`)];
    }
    Object.assign(intent, { side: ref.side, targetIntentId: ref.intentId, reducing: true });
    // Bracket children of an inverse copy sit on the other side: a leader stop becomes a limit and back.
    const request: { accountId: string; orderId: string; limitTicks?: Ticks; stopTicks?: Ticks } = {
      accountId: f.accountId,
      orderId: targetOrderId,
    };
    if (price !== undefined) {
      if (child === 'stop-loss') request.stopTicks = followerTicks(price, spec);
      else request.limitTicks = followerTicks(price, spec);
    }
    if (request.limitTicks !== undefined) intent.limitTicks = request.limitTicks;
    if (request.stopTicks !== undefined) intent.stopTicks = request.stopTicks;
    this.#emit({ type: 'intent-created', time: this.#clock.now(), intent });
    try {
      await f.guard.run(() => f.connection.modifyOrder(request), undefined, 'exit');
      this.#emit({ type: 'order-modified', time: this.#clock.now(), intent, orderId: targetOrderId });
      return [outcomeOf(intent, 'placed', { latencyMs: this.#clock.now() - signal.receivedAt })];
    } catch (error) {
      return [this.#placeFailed(f, intent, error)];
    }
  }

  /**
   * A modify of a working leader order: the follower's copy is re-planned from the leader
   * order as it is now (its total quantity and prices), as if it were placed now from the
   * positions before any of it filled, and each leg is moved, cancelled or placed to match,
   * less what that leg already filled. A reversal modified into a pure exit loses its open
   * leg; an exit grown into a reversal gains one; an exit or entry changes size by the
   * follower's own rules; a copy that already filled is never placed again.
   */
  async #replan(
    f: FollowerRuntime,
    signal: ModifyOrderSignal,
    leaderOrder: LeaderOrder,
    leaderNow: number,
  ): Promise<SignalOutcome[]> {
    const copy = f.copies.get(signal.leaderOrderId);
    const intent = this.#syntheticIntent(f, signal, 'modify');
    intent.contract = mapContract(leaderOrder.contract, f.config).contract;
    if (!copy) return [skippedOutcome(intent, SkipReason.NoCopy, 'no copied order')];
    if (copy.atFill) {
      return [
        skippedOutcome(
          intent,
          SkipReason.AtLeaderFill,
          'an inverse copy follows the leader order as it fills',
        ),
      ];
    }
    if (leaderOrder.done)
      return [skippedOutcome(intent, SkipReason.OrderEnded, 'the leader order has ended')];
    const outcomes: SignalOutcome[] = [];
    const spec = this.#instruments.get(leaderOrder.contract.root);
    const last = this.#lastPrice.get(copy.source);
    const prepared = prepareNewOrder(
      {
        ...leaderOrder.signal,
        signalId: signal.signalId,
        qty: leaderOrder.qty,
        receivedAt: signal.receivedAt,
      },
      leaderOrder.contract,
      spec,
      leaderNow - sideSign(leaderOrder.side) * leaderOrder.filled,
      last === undefined ? undefined : ticksToPrice(last, spec.tickSize),
    );
    const plan = this.#planFor(f, prepared, -copy.filledDelta);
    const skips: SignalOutcome[] = plan.skipped ? [this.#skipped(f, plan.skipped)] : [];
    let planned = 0;
    // Exits first: a close never waits behind an entry's risk check.
    for (const name of LEG_ROLES) {
      const have = copy.legs[name];
      const want = plan.intents.find((d) => d.leg === name);
      const done = copy.legFilled[name];
      const left = want ? Math.max(0, want.qty - done) : 0;
      if (have && want && left > 0 && have.side === want.side && have.orderType === want.orderType) {
        const moved = await this.#moveLeg(f, have, { ...want, qty: left }, signal);
        (moved.outcome.outcome === 'skipped' ? skips : outcomes).push({ ...moved.outcome, leg: name });
        planned += sideSign(want.side) * (done + moved.left);
        continue;
      }
      if (have) outcomes.push({ ...(await this.#cancelLeg(f, have, signal, `modify:${name}`)), leg: name });
      if (!want) continue;
      let placed = 0;
      if (left > 0) {
        const leg = { ...want, qty: left };
        this.#addLeg(f, copy, leg);
        const result = await this.#place(f, leg, signal.receivedAt, signal.leaderOrderId);
        this.#legPlaced(f, leg, result);
        if (result.outcome !== 'blocked') placed = left;
        outcomes.push(result);
      }
      planned += sideSign(want.side) * (done + placed);
    }
    Object.assign(copy, { planned, leaderQty: leaderOrder.qty, leaderFilled: leaderOrder.filled });
    f.book(copy);
    skips.push(skippedOutcome(intent, SkipReason.Unchanged, 'the copy already matches the leader order'));
    return changeOutcomes(outcomes, skips);
  }

  #skipped(
    f: FollowerRuntime,
    skip: { reason: RiskReason; message: string; intent: OrderIntent },
  ): SignalOutcome {
    this.#emit({
      type: 'order-blocked',
      time: this.#clock.now(),
      intent: skip.intent,
      reason: skip.reason,
      message: skip.message,
    });
    return {
      follower: f.name,
      intentId: skip.intent.intentId,
      leg: skip.intent.leg,
      outcome: 'skipped',
      reason: skip.reason,
    };
  }

  /** Moves one working leg to `want.qty` still to fill and to its prices; says how much is left to fill after. */
  async #moveLeg(
    f: FollowerRuntime,
    have: LegCopy,
    want: OrderIntent,
    signal: ModifyOrderSignal,
  ): Promise<{ outcome: SignalOutcome; left: number }> {
    const working = have.qty - have.filled;
    const total = have.filled + want.qty;
    const intent: OrderIntent = {
      ...want,
      intentId: intentId(signal.signalId, f.name, `modify:${have.leg}`),
      action: 'modify',
      leg: 'modify',
      targetIntentId: have.intentId,
    };
    const keep = (outcome: SignalOutcome) => ({ outcome, left: working });
    if (total === have.qty && want.limitTicks === have.limitTicks && want.stopTicks === have.stopTicks) {
      return keep(skippedOutcome(intent, SkipReason.Unchanged, 'the copy already matches the leader order'));
    }
    if (want.qty > working) {
      const block = this.#checkRisk(f, { ...want, qty: want.qty - working });
      if (block) return keep(this.#block(f, intent, block));
    }
    if (have.orderId === undefined) {
      return keep(
        skippedOutcome(intent, SkipReason.OutcomeUnknown, 'the copy has no broker id yet (outcome unknown)'),
      );
    }
    const orderId = have.orderId;
    this.#emit({ type: 'intent-created', time: this.#clock.now(), intent });
    try {
      await f.guard.run(
        () =>
          f.connection.modifyOrder({
            accountId: f.accountId,
            orderId,
            ...(total !== have.qty ? { qty: total } : {}),
            ...(want.limitTicks !== undefined ? { limitTicks: want.limitTicks } : {}),
            ...(want.stopTicks !== undefined ? { stopTicks: want.stopTicks } : {}),
          }),
        undefined,
        want.reducing ? 'exit' : 'entry',
      );
      have.qty = total;
      if (want.limitTicks !== undefined) have.limitTicks = want.limitTicks;
      if (want.stopTicks !== undefined) have.stopTicks = want.stopTicks;
      this.#emit({ type: 'order-modified', time: this.#clock.now(), intent, orderId });
      return {
        outcome: outcomeOf(intent, 'placed', { latencyMs: this.#clock.now() - signal.receivedAt }),
        left: want.qty,
      };
    } catch (error) {
      return keep(this.#placeFailed(f, intent, error));
    }
  }

  /** Cancels one working leg of a copy at the broker. */
  async #cancelLeg(
    f: FollowerRuntime,
    have: LegCopy,
    signal: ModifyOrderSignal | CancelOrderSignal,
    idLeg: string,
  ): Promise<SignalOutcome> {
    const at = f.legOf.get(have.intentId);
    const intent: OrderIntent = {
      ...this.#syntheticIntent(f, signal, 'cancel'),
      intentId: intentId(signal.signalId, f.name, idLeg),
      contract: at?.copy.contract ?? { root: '?', month: 'Z', year: 0 },
      side: have.side,
      qty: have.qty - have.filled,
      orderType: have.orderType,
      targetIntentId: have.intentId,
    };
    if (have.orderId === undefined) {
      return skippedOutcome(
        intent,
        SkipReason.OutcomeUnknown,
        'the copy has no broker id yet (outcome unknown)',
      );
    }
    const orderId = have.orderId;
    this.#emit({ type: 'intent-created', time: this.#clock.now(), intent });
    try {
      await f.guard.run(
        () => f.connection.cancelOrder({ accountId: f.accountId, orderId }),
        undefined,
        'cancel',
      );
      f.endLeg(have.intentId);
      return outcomeOf(intent, 'placed', { latencyMs: this.#clock.now() - signal.receivedAt });
    } catch (error) {
      // Not known to be cancelled (the broker was away, slow or refused for now): the copy may
      // still work, so recovery sends the cancel again. A rejected or unknown order has ended.
      if (!(error instanceof BrokerRejectedError || error instanceof BrokerUnknownOrderError)) {
        f.pendingCancels.set(have.intentId, { orderId, intent });
        f.needsRecovery = true;
      }
      return this.#placeFailed(f, intent, error);
    }
  }

  /** Sends again the cancels the broker never confirmed; those it still cannot take stay for the next recovery. */
  async #resendCancels(f: FollowerRuntime): Promise<void> {
    for (const [legId, { orderId, intent }] of [...f.pendingCancels]) {
      try {
        await f.guard.run(
          () => f.connection.cancelOrder({ accountId: f.accountId, orderId }),
          undefined,
          'cancel',
        );
      } catch (error) {
        if (!(error instanceof BrokerRejectedError || error instanceof BrokerUnknownOrderError)) throw error;
        // Already ended at the broker (filled or cancelled meanwhile): its fill, if any, comes as an execution.
      }
      f.pendingCancels.delete(legId);
      f.endLeg(legId);
      this.#emit({
        type: 'order-cancelled',
        time: this.#clock.now(),
        follower: f.name,
        accountId: f.accountId,
        orderId,
        reason: `recovery: the leader's cancel (${intent.signalId}) sent again after the broker returned`,
      });
    }
  }

  /**
   * The leader cancelled a working order: every leg of the follower's copy that still
   * works is cancelled (an exit and a reversal's close too, not only the entry), and what
   * had filled stays booked.
   */
  async #cancelCopy(f: FollowerRuntime, signal: CancelOrderSignal): Promise<SignalOutcome[]> {
    const copy = f.copies.get(signal.leaderOrderId);
    const intent = this.#syntheticIntent(f, signal, 'cancel');
    if (!copy) {
      const ref = f.orders.get(signal.leaderOrderId);
      if (!ref?.orderId) return [skippedOutcome(intent, SkipReason.NoCopy, 'no copied order')];
      // A copy found at the broker by reconciliation after an unknown outcome.
      f.orders.delete(signal.leaderOrderId);
      const legacy: LegCopy = {
        leg: 'entry',
        intentId: ref.intentId,
        orderId: ref.orderId,
        side: ref.side,
        qty: 0,
        filled: 0,
        orderType: ref.orderType,
      };
      return [await this.#cancelLeg(f, legacy, signal, 'cancel')];
    }
    copy.leaderDone = true;
    const outcomes: SignalOutcome[] = [];
    const skips: SignalOutcome[] = [];
    for (const name of LEG_ROLES) {
      const have = copy.legs[name];
      if (!have) continue;
      const result = await this.#cancelLeg(f, have, signal, name === 'close' ? 'cancel:close' : 'cancel');
      (result.outcome === 'skipped' ? skips : outcomes).push({ ...result, leg: name });
    }
    f.orders.delete(signal.leaderOrderId);
    f.settle(copy);
    skips.push(skippedOutcome(intent, SkipReason.NothingWorking, 'nothing of the copy is working'));
    return changeOutcomes(outcomes, skips);
  }

  async #copyCancel(f: FollowerRuntime, signal: CancelOrderSignal): Promise<SignalOutcome[]> {
    const leg = signal.leg ?? 'entry';
    if (leg === 'entry') return this.#cancelCopy(f, signal);
    const ref = f.orders.get(signal.leaderOrderId);
    const intent = this.#syntheticIntent(f, signal, 'cancel');
    if (!ref) {
      return [skippedOutcome(intent, SkipReason.NoCopy, 'no copied order')];
    }
    const orderId = (leg === 'stop-loss') !== f.config.inverse ? ref.stopLossOrderId : ref.takeProfitOrderId;
    Object.assign(intent, { contract: ref.contract, side: ref.side, targetIntentId: ref.intentId });
    if (orderId === undefined) {
      return [skippedOutcome(intent, SkipReason.NoBracketLeg, `no ${leg} order`)];
    }
    this.#emit({ type: 'intent-created', time: this.#clock.now(), intent });
    try {
      await f.guard.run(
        () => f.connection.cancelOrder({ accountId: f.accountId, orderId }),
        undefined,
        'cancel',
      );
      return [outcomeOf(intent, 'placed', { latencyMs: this.#clock.now() - signal.receivedAt })];
    } catch (error) {
      return [this.#placeFailed(f, intent, error)];
    }
  }

  /**
   * The leader flattened one instrument (or all). The follower's copies of that source are
   * over. Where its contract also carries another source's share (NQ → MNQ beside the
   * leader's own MNQ), only this source's legs are cancelled and its share closed; else the
   * broker flattens the contract (or the account) in one request.
   */
  async #copyFlatten(
    f: FollowerRuntime,
    signalId: string,
    leaderContract: Contract | undefined,
  ): Promise<SignalOutcome[]> {
    const source = leaderContract === undefined ? undefined : contractKey(leaderContract);
    const contract =
      leaderContract === undefined ? undefined : mapContract(leaderContract, f.config).contract;
    const copies = [...f.copies.values()].filter((c) => source === undefined || c.source === source);
    if (source === undefined || contract === undefined || !f.otherSources(contractKey(contract), source)) {
      for (const copy of copies) f.forget(copy);
      f.resetExpected(source);
      return this.#flattenFollower(f, signalId, contract);
    }
    const key = contractKey(contract);
    f.claimLoose(key, source);
    const outcomes: SignalOutcome[] = [];
    const cancel: CancelOrderSignal = {
      action: 'cancel',
      signalId,
      leaderOrderId: '',
      leaderAccount: this.config.leader.account,
      detectedAt: this.#clock.now(),
      receivedAt: this.#clock.now(),
    };
    // One outcome for the flatten: the close of the share, or a failed cancel, or the cancels.
    let cancelled: SignalOutcome | undefined;
    for (const copy of copies) {
      copy.leaderDone = true;
      for (const have of workingLegs(copy)) {
        const result = await this.#cancelLeg(f, have, cancel, `flatten:${copy.leaderOrderId}:${have.leg}`);
        if (result.outcome !== 'skipped' && (cancelled === undefined || result.outcome !== 'placed'))
          cancelled = { ...result, leg: 'flatten' };
      }
      f.forget(copy);
    }
    if (cancelled && cancelled.outcome !== 'placed') outcomes.push(cancelled);
    f.resetExpected(source);
    const share = f.share(key, source);
    if (share !== 0) {
      const closed = await this.#placeAtMarket(f, {
        signalId,
        leg: 'flatten',
        contract,
        change: -share,
        reducing: true,
        source,
      });
      if (outcomes.length === 0) outcomes.push(closed);
    }
    if (outcomes.length === 0 && cancelled) outcomes.push(cancelled);
    if (outcomes.length === 0) {
      outcomes.push(
        skippedOutcome(
          this.#syntheticIntent(f, cancel, 'flatten'),
          SkipReason.NothingToFlatten,
          'nothing to flatten',
        ),
      );
    }
    return outcomes;
  }

  async #flattenFollower(
    f: FollowerRuntime,
    signalId: string,
    contract: Contract | undefined,
    reason?: string,
  ): Promise<SignalOutcome[]> {
    const intent: OrderIntent = {
      intentId: intentId(signalId, f.name, 'flatten'),
      signalId,
      follower: f.name,
      broker: f.config.broker,
      accountId: f.accountId,
      leg: 'flatten',
      action: 'flatten',
      contract: contract ?? { root: '*', month: 'Z', year: 0 },
      side: 'sell',
      qty: 0,
      orderType: 'market',
      reducing: true,
      createdAt: this.#clock.now(),
    };
    this.#emit({ type: 'intent-created', time: this.#clock.now(), intent });
    try {
      await f.guard.run(
        () => f.connection.flatten({ accountId: f.accountId, ...(contract ? { contract } : {}) }),
        undefined,
        'exit',
      );
      for (const [leaderOrderId, ref] of f.orders) {
        if (!contract || contractKey(ref.contract) === contractKey(contract)) f.orders.delete(leaderOrderId);
      }
      if (reason) this.#log.info({ follower: f.name, reason }, 'flattened');
      this.#emit({
        type: 'account-flattened',
        time: this.#clock.now(),
        follower: f.name,
        accountId: f.accountId,
        contract: contract ? contractKey(contract) : '*',
        reason: reason ?? signalId,
      });
      return [outcomeOf(intent, 'placed')];
    } catch (error) {
      return [this.#placeFailed(f, intent, error)];
    }
  }

  // ---- broker events, prices and time ---------------------------------------

  #onBrokerEvent(connectionKey: string, event: BrokerEvent): void {
    switch (event.type) {
      case 'order-filled':
        this.#onFill(connectionKey, event.fill);
        break;
      case 'order-updated': {
        const f = this.#byAccount.get(`${connectionKey}\u0000${event.order.accountId}`);
        const parent = event.order.parentOrderId;
        const parentSource = f && parent !== undefined ? f.sourceOf(`order:${parent}`) : undefined;
        if (f && parentSource !== undefined) f.rememberSource(`order:${event.order.orderId}`, parentSource);
        if (f && event.order.clientOrderId !== undefined && isEnded(event.order.status)) {
          f.endInFlight(event.order.clientOrderId);
          f.endLeg(event.order.clientOrderId);
        }
        if (f && event.order.status === 'cancelled') {
          this.#emit({
            type: 'order-cancelled',
            time: this.#clock.now(),
            follower: f.name,
            accountId: f.accountId,
            orderId: event.order.orderId,
            ...(event.order.reason ? { reason: event.order.reason } : {}),
          });
        }
        break;
      }
      case 'connection-changed':
        if (event.state === 'connected' && this.#wasDown.has(connectionKey)) {
          this.#wasDown.delete(connectionKey);
          if (this.config.engine.reconcileOnReconnect) {
            for (const f of this.#held([...this.#followers.values()])) {
              if (f.connectionKey === connectionKey)
                void this.#recover(f).catch((e) => this.#log.error({ err: e }, 'recovery failed'));
            }
          }
        }
        if (event.state === 'reconnecting' || event.state === 'disconnected')
          this.#wasDown.add(connectionKey);
        this.#emit({
          type: 'connection-status',
          time: this.#clock.now(),
          broker: this.#connections[connectionKey]?.broker ?? connectionKey,
          connection: connectionKey,
          state: event.state,
          ...(event.reason ? { reason: event.reason } : {}),
        });
        break;
      case 'position-updated':
        break;
      case 'account-updated': {
        const f = this.#byAccount.get(`${connectionKey}\u0000${event.account.accountId}`);
        if (!f) break;
        const a = event.account;
        const tracked = this.#tracker.pnl(f.name);
        this.#emit({
          type: 'account-pnl',
          time: this.#clock.now(),
          follower: f.name,
          accountId: f.accountId,
          broker: {
            ...(a.balance !== undefined ? { balance: a.balance } : {}),
            ...(a.realizedPnl !== undefined ? { realizedPnl: a.realizedPnl } : {}),
            ...(a.unrealizedPnl !== undefined ? { unrealizedPnl: a.unrealizedPnl } : {}),
          },
          tracked: { realizedPnl: tracked.realized, unrealizedPnl: tracked.unrealized },
        });
        break;
      }
    }
  }

  #onFill(connectionKey: string, fill: BrokerFill): void {
    const f = this.#byAccount.get(`${connectionKey}\u0000${fill.accountId}`);
    if (!f) return;
    const execution: Execution = {
      executionId: fill.fillId,
      orderId: fill.orderId,
      ...(fill.clientOrderId !== undefined ? { intentId: fill.clientOrderId } : {}),
      broker: f.connection.broker,
      accountId: fill.accountId,
      contract: fill.contract,
      side: fill.side,
      qty: fill.qty,
      // A fill the broker gave no price for is booked at the market the engine last saw: a sell
      // at the bid, a buy at the ask, else the last trade.
      priceTicks: (fill.priceEstimated && this.#marketFor(fill)) || fill.priceTicks,
      time: fill.time,
    };
    const tracked = this.#tracker.applyExecution(execution, f.name);
    if (!tracked) return;
    // The tracker keys by follower name; the event names the broker account.
    const position = { ...tracked, accountId: f.accountId };
    this.#bookShare(f, fill);
    if (fill.clientOrderId !== undefined) {
      this.#filledIntents.add(fill.clientOrderId);
      f.inFlightFilled(fill.clientOrderId, fill.qty);
    }
    if (tracked.netQty === 0) f.endClosing(contractKey(fill.contract));
    const now = this.#clock.now();
    this.#emit({ type: 'order-filled', time: now, follower: f.name, execution });
    this.#emit({ type: 'position-updated', time: now, follower: f.name, position });
    const bracket = fill.clientOrderId === undefined ? undefined : f.brackets.get(fill.clientOrderId);
    if (bracket) this.#brackets.onFill(f, bracket, fill.clientOrderId!, fill.qty);
    this.#checkAutoFlatten(f);
  }

  /** Books a follower fill to the share of the leader contract it copies, and to its leg. */
  #bookShare(f: FollowerRuntime, fill: BrokerFill): void {
    const key = contractKey(fill.contract);
    const delta = sideSign(fill.side) * fill.qty;
    const id = fill.clientOrderId;
    const at = id === undefined ? undefined : f.legOf.get(id);
    const bracket = id === undefined ? undefined : f.brackets.get(id);
    const source =
      at?.copy.source ??
      (id === undefined ? undefined : f.sourceOf(id)) ??
      (bracket ? f.sourceOf(bracket.entry.intentId) : undefined) ??
      f.sourceOf(`order:${fill.orderId}`);
    if (source === undefined) {
      f.addUnattributed(key, delta);
      // A fill no copy claims that leaves the contract flat (a flatten's close) empties every share,
      // whatever sides they were on.
      if (this.#tracker.netQty(f.name, fill.contract) === 0) f.shares.delete(key);
    } else f.addShare(key, source, delta);
    if (at) {
      at.copy.legFilled[at.leg.leg] += fill.qty;
      at.copy.filledDelta += delta;
      at.leg.filled += fill.qty;
      if (at.leg.filled >= at.leg.qty) {
        f.endLeg(at.leg.intentId);
        if (this.#leaderOrders.get(at.copy.leaderOrderId)?.orderType !== 'market')
          this.#checkSettled(f, at.copy.source);
      }
    }
  }

  #marketFor(fill: BrokerFill): Ticks | undefined {
    const key = contractKey(fill.contract);
    const quote = this.#quotes.get(key);
    return (fill.side === 'sell' ? quote?.bid : quote?.ask) ?? this.#lastPrice.get(key);
  }

  seedLeaderPosition(contract: Contract, netQty: number): void {
    const key = contractKey(contract);
    this.#leader.set(key, netQty);
    // A run that starts with the leader in a trade expects each follower at its scaled share.
    for (const f of this.#followers.values()) {
      if (f.expectedSources().has(key)) continue;
      const pnl = this.#tracker.pnl(f.name);
      const scaled = scaledTargets(
        new Map([[key, netQty]]),
        f.config,
        f.startingBalance + pnl.realized,
        this.#instruments,
      );
      const target = [...scaled.values()][0];
      if (target !== undefined) f.expectedBase.set(key, target);
    }
  }

  /**
   * Books what a follower already holds at its broker when the run starts, so exits and
   * risk rules see it. The average price is rounded to a whole tick (a baseline's P&L can
   * be off by at most half a tick per contract); a broker that cannot answer leaves the
   * account as tracked, logged, for reconciliation to settle.
   */
  async #seedFollower(f: FollowerRuntime): Promise<void> {
    let held: BrokerPosition[];
    try {
      held = await f.connection.getPositions(f.accountId);
    } catch (error) {
      this.#log.warn({ err: error, follower: f.name }, 'could not read positions at start');
      return;
    }
    for (const p of held) {
      if (p.netQty === 0 || this.#tracker.netQty(f.name, p.contract) !== 0) continue;
      const execution: Execution = {
        executionId: `baseline:${f.accountId}:${contractKey(p.contract)}`,
        orderId: 'baseline',
        broker: f.connection.broker,
        accountId: f.accountId,
        contract: p.contract,
        side: p.netQty > 0 ? 'buy' : 'sell',
        qty: Math.abs(p.netQty),
        priceTicks: Math.round(p.avgPriceTicks) as Ticks,
        time: this.#clock.now(),
      };
      const tracked = this.#tracker.applyExecution(execution, f.name);
      // No source claims a baseline yet: the first leader order in the contract does.
      if (tracked) f.addUnattributed(contractKey(p.contract), p.netQty);
      if (tracked)
        this.#emit({
          type: 'position-updated',
          time: this.#clock.now(),
          follower: f.name,
          position: { ...tracked, accountId: f.accountId },
        });
    }
  }

  applyLeaderFill(fill: LeaderFill): void {
    const key = contractKey(fill.contract);
    const before = this.#leader.get(key) ?? 0;
    const delta = sideSign(fill.side) * fill.qty;
    this.#leaderFillsSeen = true;
    const order = this.#leaderOrderOf(fill, key);
    if (order) {
      order.filled += fill.qty;
      if (order.filled >= order.qty) order.done = true;
      for (const f of this.#followers.values()) {
        const copy = f.copies.get(order.id);
        if (this.#copiesAtFill(f, order.signal)) {
          // Queued behind the copy's own start, which may not have run yet.
          void f.queue
            .push(() => this.#copyLeaderFill(f, order, fill, before))
            .catch((e) => this.#log.error({ err: e, follower: f.name }, 'copy at fill failed'));
          continue;
        }
        if (!copy) continue; // Its copy is planned later in its queue and counts this fill then.
        copy.leaderFilled += fill.qty;
        if (order.done) copy.leaderDone = true;
        f.book(copy);
      }
    } else {
      // A fill of no order the followers were told of (a flatten's close, a bracket child,
      // a correction): each follower's expected share follows it by the follower's own rules.
      for (const f of this.#followers.values()) {
        const expected = f.expected(key);
        const change = this.#ruleChange(f, fill.contract, before, delta, expected);
        if (change !== 0) f.expectedBase.set(key, (f.expectedBase.get(key) ?? 0) + change);
      }
    }
    this.#leader.set(key, before + delta);
    this.#lastPrice.set(key, fill.priceTicks);
    // The leader's position moved under its other working orders in the contract: a working
    // entry may now be an exit, a reversal a plain exit. Each follower re-plans those copies.
    // Only a working order's fill can leave a follower off by the siblings filling with it; a
    // bracket child's or a flatten's fill is followed by the follower's own (which may still come).
    const working = order !== undefined && order.orderType !== 'market';
    for (const f of this.#followers.values()) {
      this.#replanWorking(f, key, order?.id);
      if (working) this.#checkSettled(f, key);
    }
  }

  /**
   * The safety net under working orders: several of them can fill at one instant, each sized
   * against a position its siblings have since moved. Once nothing of a leader contract works
   * at a follower any more, a follower that holds a share where the leader is flat, or sits on
   * the other side of it, is brought to its scaled share of the leader (flat where it is flat).
   * Legs still on their way for leader orders that filled, and a copy that filled ahead of its
   * still-working leader order, make it wait; copies resting for working leader orders do not,
   * and are planned again against the aligned share.
   */
  #checkSettled(f: FollowerRuntime, source: string): void {
    if (!this.#offLeader(f, source)) return;
    void f.queue
      .push(async () => {
        if (!this.#offLeader(f, source)) return;
        for (const copy of f.copies.values()) {
          if (copy.source !== source) continue;
          // Legs of a leader order that filled are on their way (a market order over a wire);
          // a copy that filled ahead of its still-working leader order waits for the leader's fill.
          if (copy.atFill || (copy.leaderDone && hasWorkingLegs(copy))) return;
          // A resting leg the market has reached fills at its broker any moment (over a wire, later).
          if (workingLegs(copy).some((leg) => this.#reached(leg, contractKey(copy.contract)))) return;
          if (!copy.leaderDone && copy.filledDelta !== 0) return;
        }
        const leader = this.#leader.get(source) ?? 0;
        const contract = parseContract(source, { registry: this.#instruments });
        const mapped = mapContract(contract, f.config).contract;
        const key = contractKey(mapped);
        const share = f.share(key, source);
        const pnl = this.#tracker.pnl(f.name);
        const target =
          leader === 0
            ? 0
            : (scaledTargets(
                new Map([[source, leader]]),
                f.config,
                f.startingBalance + pnl.realized,
                this.#instruments,
              ).get(key) ?? 0);
        if (target === share) return;
        this.#log.info(
          { follower: f.name, source, share, target },
          'aligned to the leader once its orders settled',
        );
        await this.#placeAtMarket(f, {
          signalId: `settle:${source}:${++f.recoveries}`,
          leg: target === 0 ? 'flatten' : 'reconcile',
          contract: mapped,
          change: target - share,
          reducing: Math.abs(target) < Math.abs(share) && Math.sign(target) !== -Math.sign(share),
          source,
        });
        // What the follower is expected to hold of the source is now the target.
        f.expectedBase.set(source, (f.expectedBase.get(source) ?? 0) + target - f.expected(source));
        // Its working copies were planned against the share before: plan them again.
        this.#replanWorking(f, source);
      })
      .catch((e) => this.#log.error({ err: e, follower: f.name }, 'settle check failed'));
  }

  /** A market order of the engine's own (a share closed, a follower aligned), booked to its source. */
  async #placeAtMarket(
    f: FollowerRuntime,
    order: {
      signalId: string;
      leg: 'flatten' | 'reconcile';
      contract: Contract;
      /** Signed follower contracts: positive buys. */
      change: number;
      reducing: boolean;
      source: string;
    },
  ): Promise<SignalOutcome> {
    const now = this.#clock.now();
    const intent: OrderIntent = {
      intentId: intentId(order.signalId, f.name, order.leg),
      signalId: order.signalId,
      follower: f.name,
      broker: f.config.broker,
      accountId: f.accountId,
      leg: order.leg,
      action: 'place',
      contract: order.contract,
      side: order.change > 0 ? 'buy' : 'sell',
      qty: Math.abs(order.change),
      orderType: 'market',
      reducing: order.reducing,
      createdAt: now,
    };
    f.rememberSource(intent.intentId, order.source);
    // #place records the order under a reference key for a modify; nothing modifies this one
    // (prefixed, so it never meets a leader order id).
    const refKey = `market:${order.signalId}`;
    const outcome = await this.#place(f, intent, now, refKey);
    f.orders.delete(refKey);
    return outcome;
  }

  /** Whether the latest quote of a contract has reached a resting leg's price. */
  #reached(leg: LegCopy, key: string): boolean {
    const quote = this.#quotes.get(key);
    const last = this.#lastPrice.get(key);
    const buy = leg.side === 'buy';
    const ask = quote?.ask ?? last;
    const bid = quote?.bid ?? last;
    const limitReached = (ticks: Ticks) =>
      buy ? ask !== undefined && ask <= ticks : bid !== undefined && bid >= ticks;
    const stopReached = (ticks: Ticks) =>
      buy ? ask !== undefined && ask >= ticks : bid !== undefined && bid <= ticks;
    switch (leg.orderType) {
      case 'market':
        return true;
      case 'limit':
        return leg.limitTicks !== undefined && limitReached(leg.limitTicks);
      case 'stop':
        return leg.stopTicks !== undefined && stopReached(leg.stopTicks);
      case 'stop-limit':
        // Triggered, it rests as a limit: it fills only once the market also meets its limit.
        return (
          leg.stopTicks !== undefined &&
          leg.limitTicks !== undefined &&
          stopReached(leg.stopTicks) &&
          limitReached(leg.limitTicks)
        );
    }
  }

  /** Whether a follower's share of a source is off its leader: held where the leader is flat, or on the other side. */
  #offLeader(f: FollowerRuntime, source: string): boolean {
    const leader = this.#leader.get(source) ?? 0;
    let share = 0;
    for (const bySource of f.shares.values()) share += bySource.get(source) ?? 0;
    if (share === 0) return false;
    if (leader === 0) return true;
    return Math.sign(share) !== Math.sign(leader) * (f.config.inverse ? -1 : 1);
  }

  /** Queues a re-plan of a follower's copies of working leader orders in one leader contract (or all). */
  #replanWorking(f: FollowerRuntime, source: string | undefined, except?: string): void {
    for (const copy of f.copies.values()) {
      if (copy.leaderDone || copy.atFill || copy.leaderOrderId === except) continue;
      if (source !== undefined && copy.source !== source) continue;
      const order = this.#leaderOrders.get(copy.leaderOrderId);
      if (!order || order.done || order.orderType === 'market') continue;
      // A copy that filled whole before any of its leader order did has nothing left to move:
      // re-planning it against a position that moved since could only add to it.
      if (order.filled === 0 && copy.filledDelta !== 0 && !hasWorkingLegs(copy)) continue;
      const signal: ModifyOrderSignal = {
        action: 'modify',
        signalId: `${order.signal.signalId}~replan-${++f.recoveries}`,
        leaderOrderId: order.id,
        leaderAccount: order.signal.leaderAccount,
        detectedAt: this.#clock.now(),
        receivedAt: this.#clock.now(),
      };
      // Each leg it places or moves is an event of its own (intent-created, order-placed).
      void f.queue
        // The leader's position when it runs: the follower's share it is planned against is of then too.
        .push(() => this.#replan(f, signal, order, this.#leader.get(contractKey(order.contract)) ?? 0))
        .catch((e) => this.#log.error({ err: e, follower: f.name }, 're-plan failed'));
    }
  }

  /** The leader order a fill belongs to: by the client order id the mirror gives it, or the broker's id. */
  #leaderOrderOf(fill: LeaderFill & { side: Side }, key: string): LeaderOrder | undefined {
    for (const id of [fill.clientOrderId, fill.orderId]) {
      const order = id === undefined ? undefined : this.#leaderOrders.get(id);
      // A bracket child of the order may carry its id too: it fills the other way.
      if (order && contractKey(order.contract) === key && order.side === fill.side) return order;
    }
    return undefined;
  }

  /** The signed change a follower's rules make of a leader move from `before` by `delta`, from `position`. */
  #ruleChange(
    f: FollowerRuntime,
    contract: Contract,
    before: number,
    delta: number,
    position: number,
  ): number {
    const mapped = mapContract(contract, f.config);
    const spec = this.#instruments.get(mapped.contract.root);
    const pnl = this.#tracker.pnl(f.name);
    const equity = f.startingBalance + pnl.realized + pnl.unrealized;
    const plan = planFollowerOrder({
      leaderBefore: before,
      leaderDelta: delta,
      followerPosition: position,
      inverse: f.config.inverse,
      reversal: f.config.reversal,
      rounding: f.config.rounding,
      scaleEntry: (leaderQty) =>
        scaleEntryQty({
          leaderQty,
          scaling: f.config.scaling,
          ratio: mapped.ratio,
          rounding: f.config.rounding,
          whenZero: f.config.whenZero,
          ...(f.config.minQty !== undefined ? { minQty: f.config.minQty } : {}),
          ...(f.config.maxQty !== undefined ? { maxQty: f.config.maxQty } : {}),
          followerEquity: equity,
          tickValue: spec.tickValue,
        }),
    });
    return plan.legs.reduce((sum, leg) => sum + legDelta(leg), 0);
  }

  mark(contract: Contract, price: { last?: Ticks; bid?: Ticks; ask?: Ticks }): void {
    this.#tracker.mark(contract, price);
    const last = price.last ?? (price.bid !== undefined && price.ask !== undefined ? price.bid : undefined);
    const key = contractKey(contract);
    if (last !== undefined) this.#lastPrice.set(key, last);
    if (price.bid !== undefined || price.ask !== undefined) {
      this.#quotes.set(key, { ...this.#quotes.get(key), ...price });
    }
    for (const f of this.#followers.values()) {
      if (this.#tracker.netPositions(f.name).some((p) => contractKey(p.contract) === key))
        this.#checkAutoFlatten(f);
    }
  }

  tick(): void {
    const now = this.#clock.now();
    for (const f of this.#followers.values()) {
      f.risk.onTime(now, f.rules.timezone);
      if (this.#tracker.netPositions(f.name).length > 0) this.#checkAutoFlatten(f);
      // An order lost to a failure is tried again while its connection is up, not forgotten.
      if (
        f.needsRecovery &&
        now - f.recoveredAt >= RECOVERY_INTERVAL_MS &&
        this.#opened.has(f.connectionKey) &&
        !this.#wasDown.has(f.connectionKey)
      ) {
        void this.#recover(f).catch((e) => this.#log.error({ err: e, follower: f.name }, 'recovery failed'));
      }
    }
  }

  /**
   * After an outage or a failed order: settles orders whose outcome was unknown (by client
   * order id) and reconciles positions, then re-plans the copy of every leader order still
   * working against the leader's current state (placing the legs that failed or were never
   * placed). Positions are aligned when a failure of this engine explains the difference
   * and the follower's expected position is known; otherwise the configured policy applies.
   */
  #recover(f: FollowerRuntime): Promise<void> {
    const aligned = f.needsRecovery && this.#leaderFillsSeen;
    const policy = f.recoverPolicy ?? (aligned ? 'align' : this.config.engine.reconcile);
    f.needsRecovery = false;
    f.recoverPolicy = undefined;
    f.recoveredAt = this.#clock.now();
    return f.queue.push(async () => {
      try {
        // The leader's cancels first, then positions, so the working copies are planned
        // against what the follower holds.
        await this.#resendCancels(f);
        await this.#reconciler.follower(f, policy);
      } catch (error) {
        // The broker could not answer (down again, rate-limited): try again at the next interval.
        this.#recoveryPending(f, policy, error);
        return;
      }
      if (f.recoveryPending) {
        f.recoveryPending = false;
        this.#emit({
          type: 'follower-recovery',
          time: this.#clock.now(),
          follower: f.name,
          accountId: f.accountId,
          state: 'recovered',
        });
      }
      // A market order is never working: what it missed, alignment has placed.
      this.#replanWorking(f, undefined);
    });
  }

  /** A recovery or requested reconciliation that could not reach the broker: said, and tried again later. */
  #recoveryPending(f: FollowerRuntime, policy: ReconcilePolicy, error: unknown): string {
    const reason = error instanceof Error ? error.message : String(error);
    f.needsRecovery = true;
    f.recoverPolicy = policy;
    f.recoveryPending = true;
    this.#emit({
      type: 'follower-recovery',
      time: this.#clock.now(),
      follower: f.name,
      accountId: f.accountId,
      state: 'pending',
      reason,
    });
    return reason;
  }

  #checkAutoFlatten(f: FollowerRuntime): void {
    const now = this.#clock.now();
    if (f.risk.isLockedOut(now) && this.#tracker.netPositions(f.name).length === 0) return;
    const pnl = this.#tracker.pnl(f.name);
    const equity = f.startingBalance + pnl.realized + pnl.unrealized;
    f.risk.onEquity(now, equity, f.rules);
    const block = autoFlattenReason(f.rules, {
      now,
      positionQty: 0,
      positions: this.#tracker.netPositions(f.name),
      sessionPnl: f.risk.sessionPnl(pnl.realized, pnl.unrealized),
      equity,
      state: f.risk,
      instruments: this.#instruments,
    });
    if (!block) return;
    if (f.risk.isLockedOut(now) && f.flattening) return;
    f.risk.lockOut(nextSessionStart(now, f.rules.timezone), block.reason);
    f.flattening = true;
    this.#status(f, 'locked-out', `${block.reason}: ${block.message}`);
    void f.queue
      .push(() => this.#flattenFollower(f, `auto-${block.reason}-${f.name}-${now}`, undefined, block.reason))
      .finally(() => {
        f.flattening = false;
      });
  }
}

/** The outcome of one intent, as `signal-completed` and `submit` report it. */
function prepareCheck(price: string, tickSize: string, field: string, line: number | undefined): void {
  try {
    priceToTicks(price, tickSize, field);
  } catch (error) {
    throw new SignalError(field, error instanceof Error ? error.message : String(error), line);
  }
}

function safeContract(text: string, at: number, registry: InstrumentRegistry): Contract | undefined {
  try {
    return parseContract(text, { at, registry });
  } catch {
    return undefined;
  }
}

/** An order that will not fill any further. */
function isEnded(status: BrokerOrderStatus): boolean {
  return status === 'cancelled' || status === 'rejected';
}
