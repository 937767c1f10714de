import type { Clock } from '../../clock/clock.js';
import type { Logger } from '../../util/logger.js';
import type {
  BrokerEvent,
  BrokerOrder,
  ConnectionHealth,
  ConnectionState,
  OrderAck,
  PlaceOrderRequest,
} from '../contract.js';
import { BrokerEventFanout } from './fanout.js';
import { accountOfEvent, LastError } from './last-error.js';
import { ackOfFound, PlacementGuard } from './placements.js';
import { type ReconnectDelays, Reconnector } from './reconnect.js';

/** What an adapter tells its lifecycle beyond its name and context; the protocol stays in the adapter. */
export interface ConnectionLifecycleOptions {
  /**
   * Looks an order up at the broker by the client order id it was placed with: what
   * the placement guard asks after an unknown outcome. Without it `place` sends as is.
   */
  findOrder?: (accountId: string, clientOrderId: string) => Promise<BrokerOrder | undefined>;
  /** The accounts served (config `accounts:`); events about other accounts are dropped by `emitAll`. */
  served?: () => readonly string[] | undefined;
  /** The last measured round trip (ms), reported by `health()`. */
  latencyMs?: () => number | undefined;
  /** Forget the last error once connected again (Rithmic and FIX report only a current trouble). */
  forgetErrorOnConnect?: boolean;
  /** The backoff of `reconnect` (config `reconnect:`); jitter as in ReconnectOptions. */
  reconnect?: ReconnectDelays & { jitter?: number };
}

/** The clock and logger a lifecycle runs on: the adapter's context. */
export interface LifecycleContext {
  clock: Clock;
  logger: Logger;
}

/** Backoff when an adapter names none (it may never reconnect itself, e.g. a file route). */
const DEFAULT_RECONNECT: ReconnectDelays = { initialDelayMs: 1_000, maxDelayMs: 30_000 };

const settling = (state: ConnectionState): boolean => state === 'connecting' || state === 'reconnecting';

/**
 * The part of a broker connection that is the same at every broker: the state
 * (`connecting` → `connected` ⇄ `reconnecting` → `disconnected`) with its
 * connection-changed events, the listeners, the last error, `health()`, waiting
 * out a reconnect, and the one-order-per-intent placement guard. An adapter's
 * connection holds one and keeps only its protocol.
 */
export class ConnectionLifecycle {
  readonly errors = new LastError();
  /** Brings a lost session back; `stopped` until `start()` (connect) and after `stop()` (disconnect). */
  readonly reconnect: Reconnector;
  readonly #options: ConnectionLifecycleOptions;
  readonly #clock: Clock;
  readonly #events: BrokerEventFanout;
  readonly #placements: PlacementGuard | undefined;
  readonly #settled = new Set<() => void>();
  readonly #logger: Logger;
  #state: ConnectionState = 'disconnected';

  constructor(broker: string, context: LifecycleContext, options: ConnectionLifecycleOptions = {}) {
    const { clock, logger } = context;
    this.#options = options;
    this.#clock = clock;
    this.#events = new BrokerEventFanout(logger, broker);
    this.#logger = logger;
    const find = options.findOrder;
    this.#placements = find === undefined ? undefined : new PlacementGuard({ find, now: () => clock.now() });
    this.reconnect = new Reconnector({ ...(options.reconnect ?? DEFAULT_RECONNECT), clock });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get connected(): boolean {
    return this.#state === 'connected';
  }

  /**
   * Moves to `state` and tells the listeners (once: the same state again is no news).
   * Leaving `connecting` / `reconnecting` wakes whoever waits in `settled()`.
   */
  enter(state: ConnectionState, reason?: string): void {
    if (state === this.#state) return;
    this.#state = state;
    if (state === 'connected' && this.#options.forgetErrorOnConnect) this.errors.clear();
    this.emit(
      reason === undefined
        ? { type: 'connection-changed', state }
        : { type: 'connection-changed', state, reason },
    );
    if (!settling(state)) for (const wake of [...this.#settled]) wake();
  }

  /** Remembers `error` and reports `disconnected` with its message. */
  fail(error: unknown): void {
    this.errors.remember(error);
    this.enter('disconnected', messageOf(error));
  }

  /**
   * `connect()`'s frame: reports `connecting`, runs `open`, and on failure runs `undo`,
   * remembers the error, reports `disconnected` with its message and throws it on.
   * The caller reports `connected` (or `reconnecting`) when its protocol says so.
   */
  async opening(open: () => Promise<void>, undo?: () => unknown): Promise<void> {
    this.enter('connecting');
    try {
      await open();
    } catch (error) {
      try {
        await undo?.();
      } catch {
        // Cleaning up after a failed open: the open's error is the one to report.
      }
      this.fail(error);
      throw error;
    }
  }

  /**
   * Resolves with the state once it is neither `connecting` nor `reconnecting`, or
   * after `timeoutMs` (a request made during a reconnect waits for it, not forever).
   */
  settled(timeoutMs: number): Promise<ConnectionState> {
    if (!settling(this.#state)) return Promise.resolve(this.#state);
    return new Promise((resolve) => {
      const wake = () => {
        timer.cancel();
        this.#settled.delete(wake);
        resolve(this.#state);
      };
      const timer = this.#clock.setTimer(timeoutMs, wake);
      this.#settled.add(wake);
    });
  }

  health(): ConnectionHealth {
    const health: ConnectionHealth = { state: this.#state };
    const latencyMs = this.#options.latencyMs?.();
    if (latencyMs !== undefined) health.latencyMs = Math.round(latencyMs * 100) / 100;
    if (this.errors.message !== undefined) health.lastError = this.errors.message;
    return health;
  }

  /** `BrokerConnection.onEvent`. */
  subscribe(listener: (event: BrokerEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  emit(event: BrokerEvent): void {
    this.#events.emit(event);
  }

  /** Emits the events about served accounts (all of them when `served` gives none). */
  emitAll(events: Iterable<BrokerEvent>): void {
    const served = this.#options.served?.();
    for (const event of events) {
      const accountId = accountOfEvent(event);
      if (served !== undefined && accountId !== undefined && !served.includes(accountId)) continue;
      this.emit(event);
    }
  }

  /** Runs one broker call; an error is remembered for `health()`, then thrown on. */
  around<T>(work: () => Promise<T>): Promise<T> {
    return this.errors.around(work);
  }

  /**
   * Places at most one order per (account, client order id) through `send` (see
   * PlacementGuard), remembering an error for `health()`.
   */
  place(
    request: PlaceOrderRequest,
    send: () => Promise<OrderAck>,
    fromFound?: (order: BrokerOrder) => OrderAck,
  ): Promise<OrderAck> {
    const guard = this.#placements;
    if (guard === undefined) return this.around(send);
    return this.around(() => guard.place(request, send, fromFound));
  }

  /** The ack of an order the broker already holds for `request` (found by its client order id). */
  ackOf(request: PlaceOrderRequest, order: BrokerOrder): OrderAck {
    return ackOfFound(request, order, this.#clock.now());
  }

  /** Logs a failure that is not a caller's (an event not applied, a poll that failed) and keeps it for `health()`. */
  warn(error: unknown, message: string, fields: Record<string, unknown> = {}): void {
    this.errors.remember(error);
    this.#logger.warn({ ...fields, err: messageOf(error) }, message);
  }
}

/** An error's message, or the thrown value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
