import { Decimal } from 'decimal.js';
import { ErrorCode, TradeNovaError } from '../errors.js';
import {
  exactAverageTicksToPrice,
  exactPriceToTicks,
  exactPriceToTicksRounded,
  exactTicksToPrice,
} from './exact-ticks.js';

/** A price as a whole number of ticks (price = ticks × tick size). */
export type Ticks = number;

const tickCache = new Map<string, Decimal>();
function tickDecimal(tickSize: string): Decimal {
  let d = tickCache.get(tickSize);
  if (!d) {
    d = new Decimal(tickSize);
    tickCache.set(tickSize, d);
  }
  return d;
}

/**
 * Converts a decimal price to ticks exactly. A price that is not a whole number of
 * ticks is an error, not a silent rounding: the leader's broker never reports one.
 */
export function priceToTicks(price: string | number, tickSize: string, field = 'price'): Ticks {
  if (typeof price === 'string') {
    const fast = exactPriceToTicks(price.trim(), tickSize);
    if (fast !== undefined && !Number.isNaN(fast)) return fast;
  }
  let d: Decimal;
  try {
    d = new Decimal(typeof price === 'number' ? String(price) : price.trim());
  } catch {
    throw new TradeNovaError(ErrorCode.PriceOffTick, `${field}: not a price: ${JSON.stringify(price)}`);
  }
  if (!d.isFinite()) throw new TradeNovaError(ErrorCode.PriceOffTick, `${field}: not a finite price`);
  const ticks = d.dividedBy(tickDecimal(tickSize));
  if (!ticks.isInteger()) {
    throw new TradeNovaError(
      ErrorCode.PriceOffTick,
      `${field}: ${String(price)} is not a multiple of the tick size ${tickSize}`,
    );
  }
  return ticks.toNumber();
}

/** Converts ticks back to the exact decimal price string. */
export function ticksToPrice(ticks: Ticks, tickSize: string): string {
  return exactTicksToPrice(ticks, tickSize) ?? tickDecimal(tickSize).times(ticks).toFixed();
}

/** Formats an average in ticks (possibly fractional: total ticks ÷ qty) as a price with up to `decimals` places. */
export function averageTicksToPrice(
  totalTicks: number,
  qty: number,
  tickSize: string,
  decimals = 10,
): string {
  if (qty === 0) return '0';
  const fast = exactAverageTicksToPrice(totalTicks, qty, tickSize, decimals);
  if (fast !== undefined) return fast;
  return tickDecimal(tickSize).times(totalTicks).dividedBy(qty).toDecimalPlaces(decimals).toFixed();
}

/**
 * Converts a decimal price to ticks of a possibly coarser tick size, rounding
 * in the direction given (a protective stop rounds away from the market, say).
 */
export function priceToTicksRounded(
  price: string,
  tickSize: string,
  mode: 'floor' | 'ceil' | 'nearest' = 'nearest',
): Ticks {
  const fast = exactPriceToTicksRounded(price, tickSize, mode);
  if (fast !== undefined) return fast;
  const q = new Decimal(price).dividedBy(tickDecimal(tickSize));
  const r =
    mode === 'floor' ? q.floor() : mode === 'ceil' ? q.ceil() : q.toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  return r.toNumber();
}
