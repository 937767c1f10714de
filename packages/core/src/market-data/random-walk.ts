import type { Timer } from '../clock/clock.js';
import { type Contract, contractKey } from '../instruments/contract.js';
import type { Ticks } from '../money/price.js';
import { createRng, type Rng, randomInt } from '../paper/prng.js';
import { BaseMarketDataSource, type MarketDataSourceOptions } from './source.js';

/** Options of `RandomWalkMarketData`. */
export interface RandomWalkOptions extends MarketDataSourceOptions {
  /** Seed of the walk: the same seed gives the same path. */
  seed?: number;
  /** Time between steps in ms on the injected clock (default 250); 0 steps only on `step()`. */
  intervalMs?: number;
  /** Start price per contract key (`MNQZ25`), in ticks; `defaultStartTicks` otherwise. */
  startTicks?: Record<string, Ticks>;
  /** Start price of a contract not in `startTicks` (default 80 000 ticks). */
  defaultStartTicks?: Ticks;
  /** Largest move per step in ticks, either way (default 2). */
  maxStepTicks?: number;
  /** Ask minus bid in ticks (default 1). */
  spreadTicks?: number;
}

/**
 * Synthetic prices for the paper broker and demos: a seeded random walk per
 * contract, one quote and one trade per step, on the injected clock so replays
 * stay deterministic.
 */
export class RandomWalkMarketData extends BaseMarketDataSource {
  readonly name = 'random-walk';
  readonly #rng: Rng;
  readonly #intervalMs: number;
  readonly #start: Record<string, Ticks>;
  readonly #defaultStart: Ticks;
  readonly #maxStep: number;
  readonly #spread: number;
  readonly #prices = new Map<string, Ticks>();
  #timer: Timer | undefined;
  #running = false;

  constructor(options: RandomWalkOptions) {
    super(options);
    this.#rng = createRng(options.seed ?? 1);
    this.#intervalMs = options.intervalMs ?? 250;
    this.#start = options.startTicks ?? {};
    this.#defaultStart = options.defaultStartTicks ?? 80_000;
    this.#maxStep = options.maxStepTicks ?? 2;
    this.#spread = options.spreadTicks ?? 1;
  }

  async start(): Promise<void> {
    this.#running = true;
    this.setState('connected');
    this.startStalenessTimer();
    if (this.#intervalMs > 0) this.#schedule();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.stopStalenessTimer();
    this.setState('disconnected');
  }

  /** Moves every subscribed contract one step and publishes the new prices. */
  step(): void {
    for (const contract of this.subscribed()) {
      const key = contractKey(contract);
      const previous = this.#prices.get(key) ?? this.#start[key] ?? this.#defaultStart;
      const move = randomInt(this.#rng, 2 * this.#maxStep) - this.#maxStep;
      this.#publish(contract, previous + move);
    }
  }

  /** Sets a contract's price (a scripted jump), publishing it at once. */
  setPrice(contract: Contract, lastTicks: Ticks): void {
    this.#publish(contract, lastTicks);
  }

  protected added(contracts: Contract[]): void {
    // Publish a first price at once so a consumer need not wait a whole interval.
    for (const c of contracts) {
      const key = contractKey(c);
      if (!this.#prices.has(key)) this.#publish(c, this.#start[key] ?? this.#defaultStart);
    }
  }

  protected removed(contracts: Contract[]): void {
    for (const c of contracts) this.#prices.delete(contractKey(c));
  }

  #publish(contract: Contract, lastTicks: Ticks): void {
    this.#prices.set(contractKey(contract), lastTicks);
    const time = this.clock.now();
    this.emitQuote({ contract, bidTicks: lastTicks, askTicks: lastTicks + this.#spread, time });
    this.emitTrade({ contract, priceTicks: lastTicks, size: 1, time });
  }

  #schedule(): void {
    this.#timer = this.clock.setTimer(this.#intervalMs, () => {
      if (!this.#running) return;
      this.step();
      this.#schedule();
    });
  }
}
