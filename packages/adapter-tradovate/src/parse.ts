import type {
  BrokerFill,
  BrokerOrder,
  BrokerOrderStatus,
  BrokerPosition,
  Contract,
  OrderType,
  Side,
  Ticks,
} from '@tradenova/core';
import { priceToTicks, ticksToPrice } from '@tradenova/core';
import type {
  TvAction,
  TvFill,
  TvOrder,
  TvOrderType,
  TvOrderVersion,
  TvOrdStatus,
  TvPosition,
  WirePrice,
} from './wire.js';

/** Our side of a Tradovate `action`. */
export function sideOf(action: TvAction): Side {
  return action === 'Buy' ? 'buy' : 'sell';
}

/** Tradovate's `action` of our side. */
export function actionOf(side: Side): TvAction {
  return side === 'buy' ? 'Buy' : 'Sell';
}

const ORDER_TYPES: Readonly<Partial<Record<TvOrderType, OrderType>>> = {
  Market: 'market',
  Limit: 'limit',
  Stop: 'stop',
  StopLimit: 'stop-limit',
};

/** Our order type of a Tradovate one; undefined for types the engine does not model (MIT, trailing, QTS). */
export function orderTypeOf(type: TvOrderType): OrderType | undefined {
  return ORDER_TYPES[type];
}

/** Tradovate's `orderType` of ours. */
export function tvOrderTypeOf(type: OrderType): TvOrderType {
  switch (type) {
    case 'market':
      return 'Market';
    case 'limit':
      return 'Limit';
    case 'stop':
      return 'Stop';
    case 'stop-limit':
      return 'StopLimit';
  }
}

/**
 * Our status of an order. Tradovate keeps `Working` while partly filled, so the
 * filled quantity decides; `Suspended` is how a bracket child waits for its entry.
 */
export function statusOf(ordStatus: TvOrdStatus, filledQty: number, qty: number): BrokerOrderStatus {
  switch (ordStatus) {
    case 'Filled':
    case 'Completed':
      return 'filled';
    case 'Canceled':
    case 'Expired':
      return filledQty >= qty && qty > 0 ? 'filled' : 'cancelled';
    case 'Rejected':
      return 'rejected';
    case 'PendingNew':
    case 'Suspended':
    case 'Unknown':
      return 'pending';
    case 'Working':
    case 'PendingCancel':
    case 'PendingReplace':
      return filledQty > 0 ? 'partially-filled' : 'working';
  }
}

/** True once an order can change no more. */
export function isTerminalStatus(ordStatus: TvOrdStatus): boolean {
  return (
    ordStatus === 'Filled' ||
    ordStatus === 'Completed' ||
    ordStatus === 'Canceled' ||
    ordStatus === 'Expired' ||
    ordStatus === 'Rejected'
  );
}

/** A wire price (exact decimal text) as whole ticks; an off-tick price is an error, never rounded. */
export function wirePriceToTicks(price: WirePrice | number, tickSize: string, field: string): Ticks {
  return priceToTicks(typeof price === 'number' ? String(price) : price, tickSize, field);
}

/** Ticks as the exact decimal text to put on the wire. */
export function ticksToWirePrice(ticks: Ticks, tickSize: string): WirePrice {
  return ticksToPrice(ticks, tickSize);
}

/**
 * An average price (which need not sit on a tick) as fractional ticks. The ratio of
 * the two decimals is computed on integers; only the final quotient is a float.
 */
export function averagePriceToTicks(price: WirePrice | number, tickSize: string): number {
  const a = decimalParts(String(price));
  const b = decimalParts(tickSize);
  const scale = Math.max(a.decimals, b.decimals);
  const numerator = a.digits * 10n ** BigInt(scale - a.decimals);
  const denominator = b.digits * 10n ** BigInt(scale - b.decimals);
  if (denominator === 0n) throw new RangeError('tick size is zero');
  const whole = numerator / denominator;
  const rest = numerator % denominator;
  return Number(whole) + Number(rest) / Number(denominator);
}

function decimalParts(text: string): { digits: bigint; decimals: number } {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
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

/**
 * A Tradovate order with its latest version as a `BrokerOrder`. The intent id we
 * sent in `text` comes back as `clientOrderId`. Undefined for order types we do not model.
 */
export function parseOrder(
  order: TvOrder,
  version: TvOrderVersion,
  filledQty: number,
  context: ParseContext,
): BrokerOrder | undefined {
  const orderType = orderTypeOf(version.orderType);
  if (orderType === undefined) return undefined;
  const parsed: BrokerOrder = {
    orderId: String(order.id),
    accountId: context.accountName,
    contract: { ...context.contract },
    side: sideOf(order.action),
    qty: version.orderQty,
    filledQty,
    orderType,
    status: statusOf(order.ordStatus, filledQty, version.orderQty),
    updatedAt: Date.parse(order.timestamp) || 0,
  };
  if (version.text) parsed.clientOrderId = version.text;
  if (version.price !== undefined && version.price !== null) {
    parsed.limitTicks = wirePriceToTicks(version.price, context.tickSize, 'price');
  }
  if (version.stopPrice !== undefined && version.stopPrice !== null) {
    parsed.stopTicks = wirePriceToTicks(version.stopPrice, context.tickSize, 'stopPrice');
  }
  if (order.parentId !== undefined && order.parentId !== null) parsed.parentOrderId = String(order.parentId);
  return parsed;
}

/** A Tradovate fill as a `BrokerFill`; the price must sit on a tick. */
export function parseFill(
  fill: TvFill,
  clientOrderId: string | undefined,
  context: ParseContext,
): BrokerFill {
  const parsed: BrokerFill = {
    fillId: String(fill.id),
    orderId: String(fill.orderId),
    accountId: context.accountName,
    contract: { ...context.contract },
    side: sideOf(fill.action),
    qty: fill.qty,
    priceTicks: wirePriceToTicks(fill.price, context.tickSize, 'fill price'),
    time: Date.parse(fill.timestamp) || 0,
  };
  if (clientOrderId !== undefined) parsed.clientOrderId = clientOrderId;
  return parsed;
}

/** A Tradovate position (signed `netPos`) as a `BrokerPosition`; the average may be fractional ticks. */
export function parsePosition(position: TvPosition, context: ParseContext): BrokerPosition {
  return {
    accountId: context.accountName,
    contract: { ...context.contract },
    netQty: position.netPos,
    avgPriceTicks:
      position.netPos === 0 || position.netPrice === undefined || position.netPrice === null
        ? 0
        : averagePriceToTicks(position.netPrice, context.tickSize),
  };
}
