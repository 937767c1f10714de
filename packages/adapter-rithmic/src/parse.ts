/**
 * Pure mappings between R|Protocol fields and the adapter contract: prices (doubles on
 * the wire, exact ticks inside), sides, order types and times.
 */
import {
  type BrokerOrder,
  type Contract,
  type InstrumentRegistry,
  type OrderType,
  priceToTicks,
  type Side,
  type Ticks,
  ticksToPrice,
} from '@tradenova/core';
import { num, PriceType, type RithmicMessage, TransactionType } from './wire.js';

/**
 * The wire price (a double) of a tick count. The exact decimal is formed first and
 * then read as the nearest double, which is what Rithmic's own clients send.
 */
export function ticksToWire(ticks: Ticks, contract: Contract, registry: InstrumentRegistry): number {
  return Number(ticksToPrice(ticks, registry.get(contract.root).tickSize));
}

/**
 * The tick count of a wire price. `String(double)` is the shortest decimal that reads
 * back as the same double, so an on-tick price converts exactly; an off-tick one throws.
 */
export function wireToTicks(price: number, contract: Contract, registry: InstrumentRegistry): Ticks {
  return priceToTicks(String(price), registry.get(contract.root).tickSize);
}

/**
 * An average price in ticks, fractional when the average is between ticks (the
 * contract allows it for positions). Exact when on a tick.
 */
export function wireToAverageTicks(price: number, contract: Contract, registry: InstrumentRegistry): number {
  const tickSize = registry.get(contract.root).tickSize;
  try {
    return priceToTicks(String(price), tickSize);
  } catch {
    // Only averages land here; a fraction of a tick is their nature, not an error.
    return price / Number(tickSize);
  }
}

/** `transaction_type` of a side. */
export function sideToWire(side: Side): number {
  return side === 'buy' ? TransactionType.BUY : TransactionType.SELL;
}

/** The side of a `transaction_type` (sell short counts as sell). */
export function sideFromWire(value: number | undefined): Side {
  return value === TransactionType.BUY ? 'buy' : 'sell';
}

/** `price_type` of an order type. */
export function orderTypeToWire(type: OrderType): number {
  switch (type) {
    case 'market':
      return PriceType.MARKET;
    case 'limit':
      return PriceType.LIMIT;
    case 'stop':
      return PriceType.STOP_MARKET;
    case 'stop-limit':
      return PriceType.STOP_LIMIT;
  }
}

/** The order type of a `price_type` (the if-touched types read as their plain cousins). */
export function orderTypeFromWire(value: number | undefined): OrderType {
  switch (value) {
    case PriceType.LIMIT:
      return 'limit';
    case PriceType.STOP_LIMIT:
      return 'stop-limit';
    case PriceType.STOP_MARKET:
      return 'stop';
    default:
      return 'market';
  }
}

/** Whether an order type carries `price` (the limit) and `trigger_price` (the stop). */
export function priceFields(type: OrderType): { limit: boolean; stop: boolean } {
  return { limit: type === 'limit' || type === 'stop-limit', stop: type === 'stop' || type === 'stop-limit' };
}

/** Broker time in ms of a message's `ssboe` + `usecs`, or `fallback` when absent. */
export function messageTime(message: RithmicMessage, fallback: number): number {
  const ssboe = num(message, 'ssboe');
  if (ssboe === undefined) return fallback;
  return ssboe * 1000 + Math.floor((num(message, 'usecs') ?? 0) / 1000);
}

/** `ssboe` / `usecs` of a time in ms. */
export function wireTime(ms: number): { ssboe: number; usecs: number } {
  return { ssboe: Math.floor(ms / 1000), usecs: (ms % 1000) * 1000 };
}

/** The UTC date of a time in ms as the order history names days: `YYYYMMDD`. */
export function wireDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

/** Whether an order status is final. */
export function isTerminalStatus(status: BrokerOrder['status']): boolean {
  return status === 'filled' || status === 'cancelled' || status === 'rejected';
}
