/**
 * What a restarted initiator reads back from the gateway: orders from status reports
 * (OrderMassStatusRequest / OrderStatusRequest answers) and positions from
 * PositionReports. Pure: the connection keeps the state.
 */
import {
  type BrokerOrder,
  type Contract,
  type InstrumentRegistry,
  priceToTicks,
  type Ticks,
} from '@tradenova/core';
import type { ExecReport } from './parse.js';
import { fromFixInstrument } from './symbols.js';
import type { FixFields } from './wire.js';

/**
 * The client order id an order was placed under, from the ClOrdID of its current
 * version: a cancel/replace ClOrdID this adapter made is `<first>.<r|c><n>-<epoch>`.
 */
export function firstClOrdId(clOrdId: string): string {
  return /^(.+)\.[rc][0-9a-z]+-[0-9a-z]+$/.exec(clOrdId)?.[1] ?? clOrdId;
}

/** An order of a status report (150=I / 20=3), as the contract describes it; undefined when the report names no order. */
export function orderFromStatus(
  r: ExecReport,
  fields: FixFields,
  instruments: InstrumentRegistry,
): BrokerOrder | undefined {
  if (r.orderId === 'NONE' || r.clOrdId === undefined || r.account === undefined || r.side === undefined)
    return undefined;
  const contract = fromFixInstrument(fields, instruments);
  const tickSize = instruments.get(contract.root).tickSize;
  const order: BrokerOrder = {
    orderId: r.orderId,
    clientOrderId: firstClOrdId(r.clOrdId),
    accountId: r.account,
    contract,
    side: r.side,
    qty: r.orderQty !== undefined && r.orderQty > 0 ? r.orderQty : r.cumQty + r.leavesQty,
    filledQty: r.cumQty,
    orderType: r.orderType ?? 'market',
    status: r.status,
    updatedAt: r.time ?? Date.now(),
  };
  if (r.price !== undefined) order.limitTicks = priceToTicks(r.price, tickSize, '44');
  if (r.stopPx !== undefined) order.stopTicks = priceToTicks(r.stopPx, tickSize, '99');
  return order;
}

/** One position of a PositionReport (AP): net of LongQty (704) and ShortQty (705) over its PositionQty group. */
export interface ReportedPosition {
  accountId: string;
  contract: Contract;
  netQty: number;
  /**
   * SettlPrice (730) in ticks, the only price a PositionReport carries: the average the
   * rebuilt position is priced at (rounded to the nearest tick when off the grid).
   */
  priceTicks: Ticks;
}

export function positionFromReport(fields: FixFields, instruments: InstrumentRegistry): ReportedPosition {
  const contract = fromFixInstrument(fields, instruments);
  const groups = Array.isArray(fields.NoPositions) ? (fields.NoPositions as FixFields[]) : [];
  let netQty = 0;
  for (const g of groups) netQty += Number(g.LongQty ?? 0) - Number(g.ShortQty ?? 0);
  const tickSize = Number(instruments.get(contract.root).tickSize);
  const price = Number(fields.SettlPrice ?? 0);
  return {
    accountId: String(fields.Account ?? ''),
    contract,
    netQty,
    priceTicks: Number.isFinite(price) ? Math.round(price / tickSize) : 0,
  };
}
