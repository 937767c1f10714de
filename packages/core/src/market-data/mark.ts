import type { PositionTracker } from '../positions/tracker.js';
import type { MarketDataSource } from './source.js';

/**
 * Marks a position tracker's unrealized P&L from a price source: every quote and
 * trade becomes a `tracker.mark`. Returns the function that stops marking.
 */
export function markPositionsFrom(source: MarketDataSource, tracker: PositionTracker): () => void {
  const offQuote = source.onQuote((q) => {
    const price: { bid?: number; ask?: number } = {};
    if (q.bidTicks !== undefined) price.bid = q.bidTicks;
    if (q.askTicks !== undefined) price.ask = q.askTicks;
    tracker.mark(q.contract, price);
  });
  const offTrade = source.onTrade((t) => tracker.mark(t.contract, { last: t.priceTicks }));
  return () => {
    offQuote();
    offTrade();
  };
}
