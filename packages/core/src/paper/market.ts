import { type Contract, contractKey } from '../instruments/contract.js';
import type { Ticks } from '../money/price.js';

/** What the simulated exchange knows of one contract's market, in ticks. */
export interface MarketState {
  lastTicks?: Ticks;
  bidTicks?: Ticks;
  askTicks?: Ticks;
}

/** A top-of-book quote in ticks. */
export interface Quote {
  bidTicks: Ticks;
  askTicks: Ticks;
}

/** Last trade and top of book per contract, keyed by the canonical contract key (`MNQZ25`). */
export class MarketBook {
  readonly #states = new Map<string, MarketState>();

  /** The market of one contract; empty when nothing was seen yet. */
  get(contract: Contract): Readonly<MarketState> {
    return this.#states.get(contractKey(contract)) ?? {};
  }

  /** Records a new top of book. */
  updateQuote(contract: Contract, quote: Quote): void {
    if (!Number.isInteger(quote.bidTicks) || !Number.isInteger(quote.askTicks)) {
      throw new RangeError(`quote for ${contractKey(contract)} must be whole ticks`);
    }
    const state = this.#state(contract);
    state.bidTicks = quote.bidTicks;
    state.askTicks = quote.askTicks;
  }

  /** Records a trade print. */
  updateTrade(contract: Contract, priceTicks: Ticks): void {
    if (!Number.isInteger(priceTicks))
      throw new RangeError(`trade for ${contractKey(contract)} must be whole ticks`);
    this.#state(contract).lastTicks = priceTicks;
  }

  #state(contract: Contract): MarketState {
    const key = contractKey(contract);
    let state = this.#states.get(key);
    if (!state) {
      state = {};
      this.#states.set(key, state);
    }
    return state;
  }
}
