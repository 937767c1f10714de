import {
  BrokerError,
  type BrokerFill,
  type BrokerOrder,
  type BrokerOrderStatus,
  type BrokerPosition,
  type Contract,
  ErrorCode,
  type OrderType,
  priceToTicks,
  type Side,
  type Ticks,
  ticksToPrice,
} from '@tradenova/core';
import {
  type PxOrder,
  PxOrderStatus,
  PxOrderType,
  type PxPosition,
  PxPositionType,
  PxSide,
  type PxTrade,
} from './wire.js';

/** Our side of a ProjectX `side`. */
export function sideOf(side: number): Side {
  return side === PxSide.Bid ? 'buy' : 'sell';
}

/** ProjectX's `side` of ours. */
export function pxSideOf(side: Side): PxSide {
  return side === 'buy' ? PxSide.Bid : PxSide.Ask;
}

/** Our order type of a ProjectX one; undefined for trailing and join orders, which the engine does not model. */
export function orderTypeOf(type: number): OrderType | undefined {
  switch (type) {
    case PxOrderType.Market:
      return 'market';
    case PxOrderType.Limit:
      return 'limit';
    case PxOrderType.Stop:
      return 'stop';
    case PxOrderType.StopLimit:
      return 'stop-limit';
    default:
      return undefined;
  }
}

/** ProjectX's `type` of ours. */
export function pxOrderTypeOf(type: OrderType): PxOrderType {
  switch (type) {
    case 'market':
      return PxOrderType.Market;
    case 'limit':
      return PxOrderType.Limit;
    case 'stop':
      return PxOrderType.Stop;
    case 'stop-limit':
      return PxOrderType.StopLimit;
  }
}

/**
 * Our status of an order. ProjectX keeps `Open` while partly filled, so the fill
 * volume decides; `Suspended` is a bracket child waiting for its entry; an
 * `Expired` order is over, like a cancelled one.
 */
export function statusOf(status: number, fillVolume: number, size: number): BrokerOrderStatus {
  switch (status) {
    case PxOrderStatus.Filled:
      return 'filled';
    case PxOrderStatus.Cancelled:
    case PxOrderStatus.Expired:
      return fillVolume >= size && size > 0 ? 'filled' : 'cancelled';
    case PxOrderStatus.Rejected:
      return 'rejected';
    case PxOrderStatus.Open:
    case PxOrderStatus.PendingCancellation:
      return fillVolume > 0 ? 'partially-filled' : 'working';
    default:
      // None, Pending, Suspended and codes we do not know: not working yet.
      return 'pending';
  }
}

/** True once an order can change no more. */
export function isTerminalStatus(status: number): boolean {
  return (
    status === PxOrderStatus.Filled ||
    status === PxOrderStatus.Cancelled ||
    status === PxOrderStatus.Expired ||
    status === PxOrderStatus.Rejected
  );
}

/**
 * A wire price (a JSON number) as whole ticks; an off-tick price is an error, never
 * rounded. The number is read through its shortest decimal text, which is the
 * broker's decimal for any price of 15 significant digits or fewer.
 */
export function wirePriceToTicks(price: number, tickSize: string, field: string): Ticks {
  return priceToTicks(String(price), tickSize, field);
}

/**
 * Ticks as the JSON number to send. The exact decimal text is computed first; the
 * double nearest to it prints back as that same text in `JSON.stringify`, so the
 * broker receives exactly the decimal (no float arithmetic touches the price).
 */
export function ticksToWirePrice(ticks: Ticks, tickSize: string): number {
  return Number(ticksToPrice(ticks, tickSize));
}

/**
 * An average price (which need not sit on a tick) as fractional ticks. The ratio is
 * computed on integers; only the final quotient is a float.
 */
export function averagePriceToTicks(price: number, tickSize: string): number {
  const a = decimalParts(String(price));
  const b = decimalParts(tickSize);
  const scale = Math.max(a.decimals, b.decimals);
  const numerator = a.digits * 10n ** BigInt(scale - a.decimals);
  const denominator = b.digits * 10n ** BigInt(scale - b.decimals);
  if (denominator === 0n) throw new RangeError('tick size is zero');
  return Number(numerator / denominator) + Number(numerator % denominator) / Number(denominator);
}

function decimalParts(text: string): { digits: bigint; decimals: number } {
  // String(number) may use exponent notation for tiny or huge values; expand it first.
  const plain = /e/i.test(text) ? Number(text).toFixed(20).replace(/0+$/, '') : text;
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(plain.trim());
  if (!m) throw new RangeError(`not a decimal: ${text}`);
  const fraction = m[3] ?? '';
  const digits = BigInt(`${m[2]}${fraction}`);
  return { digits: m[1] === '-' ? -digits : digits, decimals: fraction.length };
}

/** What a parse needs besides the entity: the account name, the contract and its tick size. */
export interface ParseContext {
  accountName: string;
  contract: Contract;
  tickSize: string;
}

/** A ProjectX order as a `BrokerOrder`; undefined for order types the engine does not model. */
export function parseOrder(order: PxOrder, context: ParseContext): BrokerOrder | undefined {
  const orderType = orderTypeOf(order.type);
  if (orderType === undefined) return undefined;
  const filledQty = order.fillVolume ?? (order.status === PxOrderStatus.Filled ? order.size : 0);
  const parsed: BrokerOrder = {
    orderId: String(order.id),
    accountId: context.accountName,
    contract: { ...context.contract },
    side: sideOf(order.side),
    qty: order.size,
    filledQty,
    orderType,
    status: statusOf(order.status, filledQty, order.size),
    updatedAt: Date.parse(order.updateTimestamp ?? order.creationTimestamp) || 0,
  };
  if (order.customTag) parsed.clientOrderId = order.customTag;
  if (order.limitPrice !== undefined && order.limitPrice !== null && usesLimit(orderType)) {
    parsed.limitTicks = wirePriceToTicks(order.limitPrice, context.tickSize, 'limitPrice');
  }
  if (order.stopPrice !== undefined && order.stopPrice !== null && usesStop(orderType)) {
    parsed.stopTicks = wirePriceToTicks(order.stopPrice, context.tickSize, 'stopPrice');
  }
  if (order.parentOrderId !== undefined && order.parentOrderId !== null) {
    parsed.parentOrderId = String(order.parentOrderId);
  }
  return parsed;
}

/** A ProjectX trade (one fill) as a `BrokerFill`; the price must sit on a tick. */
export function parseTrade(
  trade: PxTrade,
  clientOrderId: string | undefined,
  context: ParseContext,
): BrokerFill {
  const fill: BrokerFill = {
    fillId: String(trade.id),
    orderId: String(trade.orderId),
    accountId: context.accountName,
    contract: { ...context.contract },
    side: sideOf(trade.side),
    qty: trade.size,
    priceTicks: wirePriceToTicks(trade.price, context.tickSize, 'trade price'),
    time: Date.parse(trade.creationTimestamp) || 0,
  };
  if (clientOrderId !== undefined) fill.clientOrderId = clientOrderId;
  return fill;
}

/** A ProjectX position (positive `size`, direction in `type`) as a signed `BrokerPosition`. */
export function parsePosition(position: PxPosition, context: ParseContext): BrokerPosition {
  // A hub payload without a whole size gave a NaN position, then an untyped RangeError (found by fuzzing).
  if (!Number.isSafeInteger(position.size) || position.size < 0)
    throw new BrokerError(
      ErrorCode.BrokerRejected,
      'projectx',
      `position without a whole size: ${String(position.size)}`,
    );
  if (position.size > 0 && !Number.isFinite(position.averagePrice))
    throw new BrokerError(ErrorCode.BrokerRejected, 'projectx', 'open position without an average price');
  const sign = position.type === PxPositionType.Short ? -1 : position.type === PxPositionType.Long ? 1 : 0;
  const netQty = sign * position.size;
  return {
    accountId: context.accountName,
    contract: { ...context.contract },
    netQty,
    avgPriceTicks: netQty === 0 ? 0 : averagePriceToTicks(position.averagePrice, context.tickSize),
  };
}

function usesLimit(type: OrderType): boolean {
  return type === 'limit' || type === 'stop-limit';
}

function usesStop(type: OrderType): boolean {
  return type === 'stop' || type === 'stop-limit';
}
