/**
 * The engine's public shape: what goes in (signals from sources), what comes out
 * (outcomes, events to sinks), and the options it is built with. The behaviour is in
 * engine.ts.
 */
import type { BrokerConnection } from '../adapter/contract.js';
import type { EventBus } from '../bus/bus.js';
import type { EngineEvent, IntentOutcome } from '../bus/events.js';
import type { Clock } from '../clock/clock.js';
import type { EngineConfig, FollowerConfig } from '../config/schema.js';
import type { Contract } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import type { Side } from '../model/common.js';
import type { Position } from '../model/position.js';
import type { TradeSignal } from '../model/signal.js';
import type { Money } from '../money/money.js';
import type { Ticks } from '../money/price.js';
import type { RiskReason } from '../risk/reasons.js';
import type { Logger } from '../util/logger.js';
import type { ReconcileLine, ReconcilePolicy } from './reconcile.js';

/** Where engine events go besides the bus: a file, Kafka, a database, the dashboard. */
/** Per follower, what reconciliation found and did; `failed` names followers it could not reach, with why. */
export interface ReconcileResults extends Map<string, ReconcileLine[]> {
  readonly failed: ReadonlyMap<string, string>;
}

export interface Sink {
  name: string;
  write(event: EngineEvent): void;
  /** Waits until everything written has been stored. */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

/** Where signals come from: a leader adapter, Kafka, a webhook, a file. */
export interface Source {
  name: string;
  start(submit: (signal: unknown) => Promise<SignalResult>): Promise<void>;
  stop(): Promise<void>;
}

/** The per-intent outcome of one signal. */
export interface SignalOutcome {
  follower: string;
  intentId: string;
  leg: string;
  outcome: IntentOutcome;
  latencyMs?: number;
  reason?: string;
  /** Why a `skipped` outcome changed nothing at the broker (`SkipReason`, a stable code). */
  code?: string;
}

export type SignalResult =
  | { ok: true; signalId: string; outcomes: SignalOutcome[] }
  | { ok: false; signalId?: string; error: { code: string; field: string; message: string } };

export interface EngineOptions {
  /** Broker connections by connection key (see `planConnections`). */
  connections: Record<string, BrokerConnection>;
  clock?: Clock;
  logger?: Logger;
  instruments?: InstrumentRegistry;
  bus?: EventBus;
  /** Arm the engine's own timers (flat-by checks) on `start()`. Off for replays, which call `tick()`. */
  timers?: boolean;
  /**
   * The clock of a connection's deadline and request budget, by connection key,
   * when it is not the engine's: a replay on the virtual clock that talks to a
   * simulator over real sockets must time those on the wall clock.
   */
  connectionClocks?: Record<string, Clock>;
  /**
   * Connect every broker connection in `start()` (the default). A scale-out executor
   * turns this off and opens only the connections of the accounts it owns
   * (`openConnection`), so one broker login is held by one process.
   */
  connectOnStart?: boolean;
  /**
   * Whether the leader's fills reach this engine through `applyLeaderFill` (the default). An
   * inverse follower copies a working leader order when the leader's fills come, as market
   * orders, so it can never hold a position its leader does not. A scale-out executor, which
   * never sees the leader's fills, sets this to false: inverse copies of working orders are
   * then placed at once with limit and stop swapped, which can fill when the leader's does not.
   */
  leaderFills?: boolean;
}

/** Where a submitted signal came from and whom it is for. */
export interface SubmitMeta {
  /** Input line, for errors. */
  line?: number;
  /** Copy to these followers only (the duplicate guard then counts each signal once per set). */
  followers?: readonly string[];
}

/** The copy engine: signals in, follower orders out, every outcome an event. */
export interface Engine {
  readonly config: EngineConfig;
  /**
   * Copies one leader signal to every follower (or only to `meta.followers`, for a
   * scale-out executor that owns some accounts; see split-roles.ts). Invalid input
   * resolves `{ ok: false }` and emits `signal-rejected`.
   */
  submit(signal: TradeSignal | unknown, meta?: SubmitMeta): Promise<SignalResult>;
  /**
   * Copies a signal already parsed at its edge (`parseSignal`, as a replay or a webhook
   * does to name a bad field early): the same as `submit`, without parsing it again.
   */
  submitParsed(signal: TradeSignal, meta?: SubmitMeta): Promise<SignalResult>;
  /**
   * Records a leader fill: the leader position that exits and reversals are scaled against.
   * Its `clientOrderId` (the leader mirror's) or `orderId` (the leader's broker's) names the
   * leader order it fills, so each follower's expected position follows that order's plan.
   */
  applyLeaderFill(fill: {
    contract: Contract;
    side: Side;
    qty: number;
    priceTicks: Ticks;
    orderId?: string;
    clientOrderId?: string;
  }): void;
  /**
   * Sets the leader's position in one contract, as its broker reports it: what a run
   * started with the leader already in a trade scales exits against.
   */
  seedLeaderPosition(contract: Contract, netQty: number): void;
  /** Records a market price (marks unrealized P&L, resolves tick brackets, runs loss checks). */
  mark(contract: Contract, price: { last?: Ticks; bid?: Ticks; ask?: Ticks }): void;
  /** Runs time-based rules (flat-by, session rollover) at the clock's now. */
  tick(): void;
  on(listener: (event: EngineEvent) => void): () => void;
  addSink(sink: Sink): void;
  addSource(source: Source): void;
  start(): Promise<void>;
  /**
   * Connects one connection (once; later calls share the first) and books what its
   * followers hold. Needed only with `connectOnStart: false`: until then its followers
   * are left out of `flatten` and `reconcile`.
   */
  openConnection(key: string): Promise<void>;
  /** Finishes the queued work of one connection's followers, then disconnects it (an executor that lost its accounts). */
  closeConnection(key: string): Promise<void>;
  /** Connection keys connected now, or being connected. */
  openConnections(): string[];
  /** Stops sources, waits for in-flight orders, flushes sinks, disconnects. */
  stop(): Promise<void>;
  /** Copies no new risk to the follower; `reason` names why in every order it blocks (`KILL_SWITCH`, default `FOLLOWER_PAUSED`). */
  pause(follower: string, reason?: RiskReason): void;
  resume(follower: string): void;
  /**
   * Replaces one follower's settings (scaling, rounding, risk limits, symbol map…) while
   * running, as `tradenova accounts set` does. Its identity (name, broker, account,
   * connection) must stay the same. Takes effect after the orders already in the
   * follower's queue; its risk state (session P&L, drawdown high-water) is kept.
   */
  reconfigure(follower: FollowerConfig): Promise<void>;
  /** Cancels working orders and closes positions of one follower (or all). */
  flatten(follower?: string, reason?: string): Promise<void>;
  positions(follower: string): Position[];
  pnl(follower: string): { realized: Money; unrealized: Money };
  /** Signed leader position per contract key. */
  leaderPositions(): Map<string, number>;
  /**
   * The follower's scaled share of the leader's open positions, per follower
   * contract key (what drift is measured against). A contract whose share
   * cannot be sized (risk sizing without a stop) is left out.
   */
  targets(follower: string): Map<string, number>;
  /**
   * Asks each follower's broker (or one follower's) what it holds: settles every
   * order whose outcome was unknown, then compares positions with the scaled
   * leader and applies the policy (the config's by default). Idempotent: a
   * second run finds nothing to do. Runs in each follower's queue, after the
   * orders already there. A follower whose broker cannot answer (down, rate-limited)
   * does not stop the others: it is listed in `failed`, and the engine's recovery tries
   * it again with the same policy every few seconds while its connection is up.
   */
  reconcile(follower?: string, policy?: ReconcilePolicy): Promise<ReconcileResults>;
  /** Resolves when every follower queue (or those of the named followers) is empty. */
  idle(followers?: readonly string[]): Promise<void>;
  readonly followers: readonly string[];
}
