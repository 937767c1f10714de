import {
  type BrokerFill,
  type BrokerOrder,
  type BrokerOrderStatus,
  type BrokerPosition,
  type Contract,
  type OrderType,
  priceToTicksRounded,
  type Side,
  type Ticks,
  ticksToPrice,
} from '@tradenova/core';
import {
  BuySell,
  type DtcHistoricalFill,
  DtcOrderType,
  type DtcOrderUpdate,
  type DtcPositionUpdate,
  isSetNumber,
  OrderStatus,
  OrderUpdateReason,
} from './wire.js';

/** The contract status of a DTC `OrderStatusEnum`. */
export function statusOf(status: number | undefined, filledQty: number): BrokerOrderStatus {
  switch (status) {
    case OrderStatus.Open:
    case OrderStatus.PendingCancelReplace:
    case OrderStatus.PendingCancel:
      return filledQty > 0 ? 'partially-filled' : 'working';
    case OrderStatus.PartiallyFilled:
      return 'partially-filled';
    case OrderStatus.Filled:
      return 'filled';
    case OrderStatus.Canceled:
      return 'cancelled';
    case OrderStatus.Rejected:
      return 'rejected';
    default:
      return 'pending';
  }
}

/** Whether a status is final. */
export function isTerminal(status: BrokerOrderStatus): boolean {
  return status === 'filled' || status === 'cancelled' || status === 'rejected';
}

/** `OrderTypeEnum` of a contract order type. */
export function dtcOrderTypeOf(type: OrderType): number {
  switch (type) {
    case 'market':
      return DtcOrderType.Market;
    case 'limit':
      return DtcOrderType.Limit;
    case 'stop':
      return DtcOrderType.Stop;
    case 'stop-limit':
      return DtcOrderType.StopLimit;
  }
}

/** The contract order type of an `OrderTypeEnum`; undefined for the ones this adapter does not use. */
export function orderTypeOfDtc(type: number | undefined): OrderType | undefined {
  switch (type) {
    case DtcOrderType.Market:
      return 'market';
    case DtcOrderType.Limit:
      return 'limit';
    case DtcOrderType.Stop:
      return 'stop';
    case DtcOrderType.StopLimit:
      return 'stop-limit';
    default:
      return undefined;
  }
}

/** `BuySellEnum` of a side, and back. */
export function buySellOf(side: Side): number {
  return side === 'buy' ? BuySell.Buy : BuySell.Sell;
}

/** The side of a `BuySellEnum`; undefined when unset. */
export function sideOfBuySell(value: number | undefined): Side | undefined {
  return value === BuySell.Buy ? 'buy' : value === BuySell.Sell ? 'sell' : undefined;
}

/**
 * DTC price fields of an order (§6): limit → Price1 = limit; stop → Price1 = stop;
 * stop-limit → Price1 = stop, Price2 = limit; market → neither.
 */
export function pricesOf(
  type: OrderType,
  limitTicks: Ticks | undefined,
  stopTicks: Ticks | undefined,
  tickSize: string,
): { Price1?: number; Price2?: number } {
  const price = (ticks: Ticks | undefined) =>
    ticks === undefined ? undefined : Number(ticksToPrice(ticks, tickSize));
  const out: { Price1?: number; Price2?: number } = {};
  const p1 =
    type === 'limit'
      ? price(limitTicks)
      : type === 'stop' || type === 'stop-limit'
        ? price(stopTicks)
        : undefined;
  const p2 = type === 'stop-limit' ? price(limitTicks) : undefined;
  if (p1 !== undefined) out.Price1 = p1;
  if (p2 !== undefined) out.Price2 = p2;
  return out;
}

/** Ticks of a DTC double price (Sierra sends binary doubles: round to the nearest tick). */
export function ticksOf(price: number, tickSize: string): Ticks {
  return priceToTicksRounded(String(price), tickSize, 'nearest');
}

/** What parsing needs besides the message. */
export interface ParseContext {
  contractOf(symbol: string): Contract;
  tickSize(contract: Contract): string;
  now: number;
}

/** An ORDER_UPDATE as a contract order; undefined for a placeholder or an order type this adapter does not know. */
export function parseOrderUpdate(m: DtcOrderUpdate, ctx: ParseContext): BrokerOrder | undefined {
  // A peer's JSON is untrusted: a non-string Symbol or id would throw in the symbol parser (found by fuzzing).
  if (m.NoOrders === 1 || typeof m.ServerOrderID !== 'string' || !m.ServerOrderID || !isText(m.Symbol))
    return undefined;
  const orderType = orderTypeOfDtc(m.OrderType);
  const side = sideOfBuySell(m.BuySell);
  if (!orderType || !side) return undefined;
  const contract = ctx.contractOf(m.Symbol);
  const tickSize = ctx.tickSize(contract);
  const filledQty = isSetNumber(m.FilledQuantity) ? m.FilledQuantity : 0;
  const order: BrokerOrder = {
    orderId: m.ServerOrderID,
    accountId: m.TradeAccount ?? '',
    contract,
    side,
    qty: isSetNumber(m.OrderQuantity) ? m.OrderQuantity : 0,
    filledQty,
    orderType,
    status: statusOf(m.OrderStatus, filledQty),
    updatedAt: isSetNumber(m.LatestTransactionDateTime)
      ? Math.round(m.LatestTransactionDateTime * 1000)
      : ctx.now,
  };
  if (m.ClientOrderID) order.clientOrderId = m.ClientOrderID;
  const p1 = isSetNumber(m.Price1) ? ticksOf(m.Price1, tickSize) : undefined;
  const p2 = isSetNumber(m.Price2) ? ticksOf(m.Price2, tickSize) : undefined;
  if (orderType === 'limit' && p1 !== undefined) order.limitTicks = p1;
  if ((orderType === 'stop' || orderType === 'stop-limit') && p1 !== undefined) order.stopTicks = p1;
  if (orderType === 'stop-limit' && p2 !== undefined) order.limitTicks = p2;
  if (m.ParentServerOrderID) order.parentOrderId = m.ParentServerOrderID;
  if ((order.status === 'rejected' || order.status === 'cancelled') && m.InfoText) order.reason = m.InfoText;
  return order;
}

/** The fill an ORDER_UPDATE reports (reason filled / filled partially), if any. */
export function fillOfOrderUpdate(
  m: DtcOrderUpdate,
  order: BrokerOrder,
  tickSize: string,
): BrokerFill | undefined {
  const reason = m.OrderUpdateReason;
  if (reason !== OrderUpdateReason.OrderFilled && reason !== OrderUpdateReason.OrderFilledPartially)
    return undefined;
  if (!m.LastFillExecutionID || !isSetNumber(m.LastFillQuantity) || !isSetNumber(m.LastFillPrice))
    return undefined;
  const fill: BrokerFill = {
    fillId: m.LastFillExecutionID,
    orderId: order.orderId,
    accountId: order.accountId,
    contract: { ...order.contract },
    side: order.side,
    qty: m.LastFillQuantity,
    priceTicks: ticksOf(m.LastFillPrice, tickSize),
    time: isSetNumber(m.LastFillDateTime) ? Math.round(m.LastFillDateTime * 1000) : order.updatedAt,
  };
  if (order.clientOrderId !== undefined) fill.clientOrderId = order.clientOrderId;
  return fill;
}

/** A POSITION_UPDATE as a contract position; undefined for the "no positions" placeholder. */
export function parsePositionUpdate(m: DtcPositionUpdate, ctx: ParseContext): BrokerPosition | undefined {
  if (m.NoPositions === 1 || !isText(m.Symbol)) return undefined;
  const contract = ctx.contractOf(m.Symbol);
  const netQty = isSetNumber(m.Quantity) ? m.Quantity : 0;
  const tickSize = Number(ctx.tickSize(contract));
  const avg = isSetNumber(m.AveragePrice) ? m.AveragePrice : 0;
  return {
    accountId: m.TradeAccount ?? '',
    contract,
    netQty,
    avgPriceTicks: netQty === 0 ? 0 : Math.round((avg / tickSize) * 1e6) / 1e6,
  };
}

/** A HISTORICAL_ORDER_FILL_RESPONSE as a contract fill; undefined for the placeholder. */
export function parseHistoricalFill(m: DtcHistoricalFill, ctx: ParseContext): BrokerFill | undefined {
  if (m.NoOrderFills === 1 || !isText(m.Symbol) || !isText(m.ServerOrderID) || !m.UniqueExecutionID)
    return undefined;
  const side = sideOfBuySell(m.BuySell);
  if (!side || !isSetNumber(m.Quantity) || !isSetNumber(m.Price)) return undefined;
  const contract = ctx.contractOf(m.Symbol);
  return {
    fillId: m.UniqueExecutionID,
    orderId: m.ServerOrderID,
    accountId: m.TradeAccount ?? '',
    contract,
    side,
    qty: m.Quantity,
    priceTicks: ticksOf(m.Price, ctx.tickSize(contract)),
    time: isSetNumber(m.DateTime) ? Math.round(m.DateTime * 1000) : ctx.now,
  };
}

/** A non-empty string (a DTC text field as the protocol defines it). */
function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
