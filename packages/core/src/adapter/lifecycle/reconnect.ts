import { ExponentialBackoff, type GeneratorFn, type IBackoff, noJitterGenerator } from 'cockatiel';
import type { Clock, Timer } from '../../clock/clock.js';

/** The reconnect settings every adapter's config carries (`reconnect:`). */
export interface ReconnectDelays {
  /** The first wait after a loss (ms). */
  initialDelayMs: number;
  /** The longest wait, however many attempts failed (ms). */
  maxDelayMs: number;
}

export interface ReconnectOptions extends ReconnectDelays {
  /** Whose timers wait (the connection's clock). */
  clock: Pick<Clock, 'setTimer'>;
  /**
   * Extra wait on top of the exponential delay, as a share of it: 0.5 waits between
   * 1× and 1.5×, so many connections do not come back in lock step. Default 0.5.
   */
  jitter?: number;
  /** Draws the jitter (tests fix it); default Math.random. */
  random?: () => number;
}

/**
 * The delays of one run of attempts: cockatiel's exponential backoff (initial × 2^n,
 * capped at the maximum), stretched by up to `jitter` of itself.
 */
export function reconnectBackoff(options: ReconnectDelays & { jitter?: number; random?: () => number }) {
  const jitter = options.jitter ?? 0.5;
  const random = options.random ?? Math.random;
  const generator: GeneratorFn<number> = (attempts, settings) => {
    const [delay, next] = noJitterGenerator(attempts, settings);
    return [Math.round(delay * (1 + jitter * random())), next];
  };
  return new ExponentialBackoff({
    generator,
    initialDelay: options.initialDelayMs,
    maxDelay: options.maxDelayMs,
  });
}

/**
 * Reconnects a lost connection: waits out the backoff, runs one attempt, and on
 * failure waits longer and tries again, until an attempt succeeds or `stop()`.
 * One attempt is scheduled at a time; a success starts the next run of delays
 * from the initial one.
 */
export class Reconnector {
  readonly #options: ReconnectOptions;
  readonly #factory: ExponentialBackoff<number>;
  #backoff: IBackoff<unknown> | undefined;
  #attempts = 0;
  #timer: Timer | undefined;
  #stopped = true;

  constructor(options: ReconnectOptions) {
    this.#options = options;
    this.#factory = reconnectBackoff(options);
  }

  /** Attempts since the last success (or `reset()`). */
  get attempts(): number {
    return this.#attempts;
  }

  /** True before `start()` and after `stop()`: the connection is not wanted, so a loss is final. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Whether an attempt is waiting to run. */
  get scheduled(): boolean {
    return this.#timer !== undefined;
  }

  /** Allows attempts again (after `connect()`), from the initial delay. */
  start(): void {
    this.#stopped = false;
    this.reset();
  }

  /** Cancels a waiting attempt; nothing is scheduled until `start()`. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** The next wait starts from the initial delay again (a connection came up). */
  reset(): void {
    this.#backoff = undefined;
    this.#attempts = 0;
  }

  /** Waits at least as long as after `attempts` failures (e.g. after a forced logout). */
  atLeast(attempts: number): void {
    while (this.#attempts < attempts) this.#advance();
  }

  /**
   * Runs `attempt` after the next delay; when it fails, `failed` hears the error and
   * the next attempt is scheduled, unless stopped meanwhile. A call while one is
   * waiting does nothing.
   */
  schedule(attempt: () => Promise<void>, failed?: (error: unknown, attempts: number) => void): void {
    if (this.#stopped || this.#timer) return;
    const delay = this.#advance();
    this.#timer = this.#options.clock.setTimer(delay, () => {
      this.#timer = undefined;
      if (this.#stopped) return;
      attempt().then(
        () => this.reset(),
        (error: unknown) => {
          failed?.(error, this.#attempts);
          this.schedule(attempt, failed);
        },
      );
    });
  }

  #advance(): number {
    this.#backoff = this.#backoff === undefined ? this.#factory.next() : this.#backoff.next(undefined);
    this.#attempts++;
    return this.#backoff.duration;
  }
}
