import type { Contract } from '../instruments/contract.js';
import type { Ticks } from '../money/price.js';
import type { MarketDataSource } from './source.js';

/** Anything whose unrealized P&L is marked from prices: the position tracker, the engine. */
export interface PriceMarkable {
  mark(contract: Contract, price: { last?: Ticks; bid?: Ticks; ask?: Ticks }): void;
}

/**
 * Marks unrealized P&L from a price source: every quote and trade becomes a
 * `mark` on the target (a `PositionTracker`, or the engine, which marks its own
 * tracker). Returns the function that stops marking.
 */
export function markPositionsFrom(source: MarketDataSource, target: PriceMarkable): () => void {
  const offQuote = source.onQuote((q) => {
    const price: { bid?: Ticks; ask?: Ticks } = {};
    if (q.bidTicks !== undefined) price.bid = q.bidTicks;
    if (q.askTicks !== undefined) price.ask = q.askTicks;
    target.mark(q.contract, price);
  });
  const offTrade = source.onTrade((t) => target.mark(t.contract, { last: t.priceTicks }));
  return () => {
    offQuote();
    offTrade();
  };
}
