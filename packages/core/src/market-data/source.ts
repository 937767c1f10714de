import type { Clock, Timer } from '../clock/clock.js';
import { type Contract, contractKey } from '../instruments/contract.js';
import type { Ticks } from '../money/price.js';

/** A top-of-book update for one contract, prices in ticks. A side without a price is absent. */
export interface MarketQuote {
  contract: Contract;
  bidTicks?: Ticks;
  askTicks?: Ticks;
  bidSize?: number;
  askSize?: number;
  /** Source time of the quote (ms since the epoch). */
  time: number;
}

/** A last-trade print for one contract. */
export interface MarketTrade {
  contract: Contract;
  priceTicks: Ticks;
  size?: number;
  /** Source time of the trade (ms since the epoch). */
  time: number;
}

/** How fresh one contract's prices are. */
export interface FeedFreshness {
  contract: Contract;
  /** Local time of the last quote or trade, absent when none arrived yet. */
  lastUpdateAt?: number;
  /** ms since the last update (or since the subscription when nothing arrived). */
  ageMs: number;
  /** No update for longer than the source's `staleAfterMs`. */
  stale: boolean;
}

/** The connection state of a price source. */
export type MarketDataState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/**
 * A source of live prices: dxFeed, the paper broker's random walk, a replay file.
 * Used to mark unrealized P&L, run the risk checks that need a price, and feed
 * simulators. Listeners return an unsubscribe function, like broker connections.
 */
export interface MarketDataSource {
  /** A short name for logs and the dashboard, e.g. `dxfeed`. */
  readonly name: string;
  /** Connects (when remote) and starts delivering for the subscribed contracts. */
  start(): Promise<void>;
  /** Stops delivering and releases the connection. */
  stop(): Promise<void>;
  /** Adds contracts to the subscription set (idempotent). */
  subscribe(contracts: readonly Contract[]): void;
  /** Removes contracts from the subscription set. */
  unsubscribe(contracts: readonly Contract[]): void;
  /** Called on every quote. */
  onQuote(listener: (quote: MarketQuote) => void): () => void;
  /** Called on every trade print. */
  onTrade(listener: (trade: MarketTrade) => void): () => void;
  /** Called when a contract becomes stale or fresh again. */
  onFreshness(listener: (freshness: FeedFreshness) => void): () => void;
  /** Called when the connection state changes. */
  onState(listener: (state: MarketDataState, reason?: string) => void): () => void;
  /** The latest quote of a contract, if any. */
  lastQuote(contract: Contract): MarketQuote | undefined;
  /** The latest trade of a contract, if any. */
  lastTrade(contract: Contract): MarketTrade | undefined;
  /** Freshness of every subscribed contract, evaluated now. */
  freshness(): FeedFreshness[];
  /** The current connection state. */
  state(): MarketDataState;
}

/** Options every source built on `BaseMarketDataSource` shares. */
export interface MarketDataSourceOptions {
  clock: Clock;
  /** A contract with no update for this long is stale (default 5 000 ms). */
  staleAfterMs?: number;
  /** How often staleness is evaluated (default a quarter of `staleAfterMs`). */
  checkEveryMs?: number;
}

interface Subscribed {
  contract: Contract;
  since: number;
  lastUpdateAt?: number;
  stale: boolean;
}

/**
 * The listener plumbing, last values and staleness timer every source needs, so a
 * concrete source only connects, subscribes and calls `emitQuote` / `emitTrade`.
 */
export abstract class BaseMarketDataSource implements MarketDataSource {
  abstract readonly name: string;
  protected readonly clock: Clock;
  readonly #staleAfterMs: number;
  readonly #checkEveryMs: number;
  readonly #subscribed = new Map<string, Subscribed>();
  readonly #quotes = new Map<string, MarketQuote>();
  readonly #trades = new Map<string, MarketTrade>();
  readonly #quoteListeners = new Set<(q: MarketQuote) => void>();
  readonly #tradeListeners = new Set<(t: MarketTrade) => void>();
  readonly #freshListeners = new Set<(f: FeedFreshness) => void>();
  readonly #stateListeners = new Set<(s: MarketDataState, reason?: string) => void>();
  #state: MarketDataState = 'disconnected';
  #timer: Timer | undefined;

  protected constructor(options: MarketDataSourceOptions) {
    this.clock = options.clock;
    this.#staleAfterMs = options.staleAfterMs ?? 5_000;
    this.#checkEveryMs = options.checkEveryMs ?? Math.max(10, Math.floor(this.#staleAfterMs / 4));
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  /** Tells the concrete source which contracts were added. */
  protected abstract added(contracts: Contract[]): void;
  /** Tells the concrete source which contracts were removed. */
  protected abstract removed(contracts: Contract[]): void;

  subscribe(contracts: readonly Contract[]): void {
    const fresh: Contract[] = [];
    for (const contract of contracts) {
      const key = contractKey(contract);
      if (this.#subscribed.has(key)) continue;
      this.#subscribed.set(key, { contract, since: this.clock.now(), stale: false });
      fresh.push(contract);
    }
    if (fresh.length > 0) this.added(fresh);
  }

  unsubscribe(contracts: readonly Contract[]): void {
    const gone = contracts.filter((c) => this.#subscribed.delete(contractKey(c)));
    if (gone.length > 0) this.removed(gone);
  }

  /** The contracts subscribed now. */
  subscribed(): Contract[] {
    return [...this.#subscribed.values()].map((s) => s.contract);
  }

  onQuote(listener: (quote: MarketQuote) => void): () => void {
    this.#quoteListeners.add(listener);
    return () => this.#quoteListeners.delete(listener);
  }

  onTrade(listener: (trade: MarketTrade) => void): () => void {
    this.#tradeListeners.add(listener);
    return () => this.#tradeListeners.delete(listener);
  }

  onFreshness(listener: (freshness: FeedFreshness) => void): () => void {
    this.#freshListeners.add(listener);
    return () => this.#freshListeners.delete(listener);
  }

  onState(listener: (state: MarketDataState, reason?: string) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  lastQuote(contract: Contract): MarketQuote | undefined {
    return this.#quotes.get(contractKey(contract));
  }

  lastTrade(contract: Contract): MarketTrade | undefined {
    return this.#trades.get(contractKey(contract));
  }

  freshness(): FeedFreshness[] {
    const now = this.clock.now();
    return [...this.#subscribed.values()].map((s) => this.#evaluate(s, now));
  }

  state(): MarketDataState {
    return this.#state;
  }

  /** Records and publishes a quote; a quote for an unsubscribed contract is dropped. */
  protected emitQuote(quote: MarketQuote): void {
    const key = contractKey(quote.contract);
    if (!this.#touch(key)) return;
    // Keep the other side when an update carries one side only, as a book would.
    const previous = this.#quotes.get(key);
    const merged: MarketQuote = { ...previous, ...quote };
    this.#quotes.set(key, merged);
    for (const l of [...this.#quoteListeners]) l(merged);
  }

  /** Records and publishes a trade; a trade for an unsubscribed contract is dropped. */
  protected emitTrade(trade: MarketTrade): void {
    const key = contractKey(trade.contract);
    if (!this.#touch(key)) return;
    this.#trades.set(key, trade);
    for (const l of [...this.#tradeListeners]) l(trade);
  }

  /** Changes the connection state and tells listeners (only on a change). */
  protected setState(state: MarketDataState, reason?: string): void {
    if (state === this.#state) return;
    this.#state = state;
    for (const l of [...this.#stateListeners]) l(state, reason);
  }

  /** Starts the periodic staleness check; concrete sources call it from `start()`. */
  protected startStalenessTimer(): void {
    this.stopStalenessTimer();
    const tick = () => {
      this.checkStaleness();
      this.#timer = this.clock.setTimer(this.#checkEveryMs, tick);
    };
    this.#timer = this.clock.setTimer(this.#checkEveryMs, tick);
  }

  /** Stops the periodic staleness check. */
  protected stopStalenessTimer(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Evaluates staleness now and tells listeners about each contract that changed. */
  checkStaleness(): void {
    const now = this.clock.now();
    for (const s of this.#subscribed.values()) {
      const f = this.#evaluate(s, now);
      if (f.stale !== s.stale) {
        s.stale = f.stale;
        for (const l of [...this.#freshListeners]) l(f);
      }
    }
  }

  #touch(key: string): boolean {
    const s = this.#subscribed.get(key);
    if (!s) return false;
    s.lastUpdateAt = this.clock.now();
    if (s.stale) {
      s.stale = false;
      const f = this.#evaluate(s, s.lastUpdateAt);
      for (const l of [...this.#freshListeners]) l(f);
    }
    return true;
  }

  #evaluate(s: Subscribed, now: number): FeedFreshness {
    const ageMs = now - (s.lastUpdateAt ?? s.since);
    const f: FeedFreshness = { contract: s.contract, ageMs, stale: ageMs > this.#staleAfterMs };
    if (s.lastUpdateAt !== undefined) f.lastUpdateAt = s.lastUpdateAt;
    return f;
  }
}
