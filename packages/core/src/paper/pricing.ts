import type { Side } from '../model/common.js';
import type { Ticks } from '../money/price.js';
import type { MarketState } from './market.js';

/**
 * The price a side can trade at now: the opposite side of the book, or the last
 * trade when there is no quote. A buyer pays the ask, a seller gets the bid.
 */
export function marketPrice(side: Side, market: Readonly<MarketState>): Ticks | undefined {
  const quoted = side === 'buy' ? market.askTicks : market.bidTicks;
  return quoted ?? market.lastTicks;
}

/** The market fill price with slippage against the trader. */
export function marketFillPrice(
  side: Side,
  market: Readonly<MarketState>,
  slippageTicks: number,
): Ticks | undefined {
  const price = marketPrice(side, market);
  if (price === undefined) return undefined;
  return side === 'buy' ? price + slippageTicks : price - slippageTicks;
}

/**
 * Prices that touch an order now: the tradable side of the book (or last trade
 * without a quote) and a trade print that just happened, if any.
 */
function touches(side: Side, market: Readonly<MarketState>, freshTradeTicks?: Ticks): Ticks[] {
  const prices: Ticks[] = [];
  const current = marketPrice(side, market);
  if (current !== undefined) prices.push(current);
  if (freshTradeTicks !== undefined) prices.push(freshTradeTicks);
  return prices;
}

/**
 * Where a limit order fills now, or undefined when the market has not reached it.
 * At the limit, or at the better touching price when the market gapped through it.
 */
export function limitFillPrice(
  side: Side,
  limitTicks: Ticks,
  market: Readonly<MarketState>,
  freshTradeTicks?: Ticks,
): Ticks | undefined {
  const prices = touches(side, market, freshTradeTicks);
  if (prices.length === 0) return undefined;
  if (side === 'buy') {
    const best = Math.min(...prices);
    return best <= limitTicks ? best : undefined;
  }
  const best = Math.max(...prices);
  return best >= limitTicks ? best : undefined;
}

/** Whether a stop is triggered: a buy stop by a price at or above it, a sell stop at or below. */
export function stopTriggered(
  side: Side,
  stopTicks: Ticks,
  market: Readonly<MarketState>,
  freshTradeTicks?: Ticks,
): boolean {
  const prices = touches(side, market, freshTradeTicks);
  if (prices.length === 0) return false;
  return side === 'buy' ? Math.max(...prices) >= stopTicks : Math.min(...prices) <= stopTicks;
}
