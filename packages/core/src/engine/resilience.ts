import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type IPolicy,
  wrap,
} from 'cockatiel';
import type { RequestBudget } from '../adapter/contract.js';
import type { Clock } from '../clock/clock.js';
import type { EngineConfig } from '../config/schema.js';
import {
  BrokerDisconnectedError,
  BrokerTimeoutError,
  BrokerUnavailableError,
  TradeNovaError,
} from '../errors.js';
import { type RequestPriority, RequestScheduler } from './request-budget.js';

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/**
 * Transport failures trip the breaker; a broker's business answer (reject, rate
 * limit) means the broker is alive and does not.
 */
function isTransportFailure(error: unknown): boolean {
  if (error instanceof BrokerTimeoutError || error instanceof BrokerDisconnectedError) return true;
  return !(error instanceof TradeNovaError);
}

/**
 * The guard in front of one broker connection: a bulkhead (orders in flight),
 * a circuit breaker (consecutive transport failures) and a per-order deadline.
 * The deadline runs on the engine's clock, not cockatiel's timers, so a replay
 * on the virtual clock stays deterministic.
 */
export class ConnectionGuard {
  readonly #policy: IPolicy;
  readonly #breaker: ReturnType<typeof circuitBreaker>;
  readonly #clock: Clock;
  readonly #deadlineMs: number;
  readonly #broker: string;
  readonly #scheduler: RequestScheduler | undefined;

  constructor(broker: string, options: EngineConfig['engine'], clock: Clock, budget?: RequestBudget) {
    this.#broker = broker;
    this.#scheduler = budget ? new RequestScheduler(budget, clock) : undefined;
    this.#clock = clock;
    this.#deadlineMs = options.orderDeadlineMs;
    this.#breaker = circuitBreaker(handleWhen(isTransportFailure), {
      halfOpenAfter: options.breakerHalfOpenMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    });
    this.#policy = wrap(bulkhead(options.bulkheadLimit, options.bulkheadQueue), this.#breaker);
  }

  /** Requests waiting for the broker's request budget. */
  get queued(): number {
    return this.#scheduler?.waiting ?? 0;
  }

  get breakerState(): BreakerState {
    switch (this.#breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.Open:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'isolated';
    }
  }

  /** Subscribes to breaker state changes. */
  onBreakerChange(listener: (state: BreakerState) => void): () => void {
    const a = this.#breaker.onBreak(() => listener('open'));
    const b = this.#breaker.onReset(() => listener('closed'));
    const c = this.#breaker.onHalfOpen(() => listener('half-open'));
    return () => {
      a.dispose();
      b.dispose();
      c.dispose();
    };
  }

  /**
   * Runs one broker call. `BrokerUnavailableError` means nothing was sent;
   * `BrokerTimeoutError` means it was sent and the outcome is unknown — `onLate`
   * receives the eventual answer so it can still be recorded.
   */
  async run<T>(
    call: () => Promise<T>,
    onLate?: (result: T | Error) => void,
    priority: RequestPriority = 'entry',
  ): Promise<T> {
    const guarded = () => this.#policy.execute(() => this.#withDeadline(call, onLate));
    try {
      // The broker's request budget first: waiting there sends nothing, so the deadline starts after.
      return await (this.#scheduler ? this.#scheduler.schedule(priority, guarded) : guarded());
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new BrokerUnavailableError(
          this.#broker,
          'circuit open after repeated failures; order not sent',
        );
      }
      if (error instanceof BulkheadRejectedError) {
        throw new BrokerUnavailableError(this.#broker, 'too many orders in flight; order not sent');
      }
      throw error;
    }
  }

  #withDeadline<T>(call: () => Promise<T>, onLate?: (result: T | Error) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = this.#clock.setTimer(this.#deadlineMs, () => {
        if (settled) return;
        settled = true;
        reject(new BrokerTimeoutError(this.#broker, this.#deadlineMs));
      });
      call().then(
        (value) => {
          if (settled) return onLate?.(value);
          settled = true;
          timer.cancel();
          resolve(value);
        },
        (error: unknown) => {
          const err = error instanceof Error ? error : new Error(String(error));
          if (settled) return onLate?.(err);
          settled = true;
          timer.cancel();
          reject(err);
        },
      );
    });
  }
}
