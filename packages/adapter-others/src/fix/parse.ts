import type { BrokerOrderStatus, OrderType, Side } from '@tradenova/core';
import { type FixFields, type FixVersion, ORD_TYPES } from './wire.js';

/** What an ExecutionReport says happened, the same for 4.2 and 4.4. */
export type ExecKind =
  | 'new'
  | 'pending'
  | 'trade'
  | 'cancelled'
  | 'replaced'
  | 'rejected'
  | 'expired'
  | 'status'
  | 'trade-bust'
  | 'other';

/** An ExecutionReport normalized across versions. */
export interface ExecReport {
  kind: ExecKind;
  orderId: string;
  clOrdId?: string;
  origClOrdId?: string;
  execId: string;
  status: BrokerOrderStatus;
  account?: string;
  side?: Side;
  orderQty?: number;
  orderType?: OrderType;
  price?: string;
  stopPx?: string;
  lastQty: number;
  lastPx?: string;
  cumQty: number;
  leavesQty: number;
  text?: string;
  /** OrdRejReason (103) of a reject: `6` is a duplicate order (a ClOrdID the gateway already has). */
  ordRejReason?: string;
  possDup: boolean;
  time?: number;
  /** TimeInForce (59) as the gateway reports it. */
  timeInForce?: string;
  /** A status report answering an OrderMassStatusRequest: its MassStatusReqID (584). */
  massStatusReqId?: string;
  /** LastRptRequested (912): the last report of a mass status answer. */
  lastRptRequested?: boolean;
}

/** 39 OrdStatus → the contract's order status. */
export function orderStatus(ordStatus: string): BrokerOrderStatus {
  switch (ordStatus) {
    case '0':
    case '5':
    case '6':
    case 'E':
      return 'working';
    case '1':
      return 'partially-filled';
    case '2':
      return 'filled';
    case '3':
    case '4':
    case 'C':
      return 'cancelled';
    case '8':
      return 'rejected';
    default:
      return 'pending';
  }
}

/**
 * The kind of an ExecutionReport. FIX 4.2 says "fill" with 150=1/2 and marks
 * busts/corrections/status in 20 ExecTransType; FIX 4.4 dropped 20 and says
 * "trade" with 150=F, status with 150=I and busts/corrections with 150=H/G.
 */
export function execKind(version: FixVersion, execType: string, execTransType?: string): ExecKind {
  if (version === '4.2') {
    if (execTransType === '1' || execTransType === '2') return 'trade-bust';
    if (execTransType === '3') return 'status';
    if (execType === '1' || execType === '2') return 'trade';
  } else {
    if (execType === 'F') return 'trade';
    if (execType === 'I') return 'status';
    if (execType === 'G' || execType === 'H') return 'trade-bust';
  }
  switch (execType) {
    case '0':
      return 'new';
    case 'A':
    case '6':
    case 'E':
      return 'pending';
    case '4':
      return 'cancelled';
    case '5':
      return 'replaced';
    case '8':
      return 'rejected';
    case 'C':
      return 'expired';
    case 'D':
      return 'status';
    default:
      return 'other';
  }
}

// An unreadable timestamp decodes to an Invalid Date, whose toISOString throws (found by fuzzing).
const str = (v: unknown): string | undefined =>
  v === undefined || v === null || v === ''
    ? undefined
    : v instanceof Date
      ? Number.isNaN(v.getTime())
        ? undefined
        : v.toISOString()
      : String(v);
const num = (v: unknown): number => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};

/** Reads an ExecutionReport (`8`) decoded by jspurefix. */
export function parseExecReport(version: FixVersion, f: FixFields): ExecReport {
  const report: ExecReport = {
    kind: execKind(version, String(f.ExecType ?? ''), str(f.ExecTransType)),
    orderId: str(f.OrderID) ?? 'NONE',
    execId: str(f.ExecID) ?? '',
    status: orderStatus(String(f.OrdStatus ?? '')),
    // 32 is LastShares in 4.2 and LastQty in 4.4: the same tag under two names.
    lastQty: num(f.LastQty ?? f.LastShares),
    cumQty: num(f.CumQty),
    leavesQty: num(f.LeavesQty),
    possDup: f.PossDupFlag === true || f.PossDupFlag === 'Y',
  };
  const set = <K extends keyof ExecReport>(key: K, value: ExecReport[K] | undefined) => {
    if (value !== undefined) report[key] = value;
  };
  set('clOrdId', str(f.ClOrdID));
  set('origClOrdId', str(f.OrigClOrdID));
  set('account', str(f.Account));
  set('side', f.Side === '1' ? 'buy' : f.Side === '2' ? 'sell' : undefined);
  set('orderQty', f.OrderQty === undefined ? undefined : num(f.OrderQty));
  set('orderType', ORD_TYPES[String(f.OrdType ?? '')]);
  set('price', str(f.Price));
  set('stopPx', str(f.StopPx));
  set('lastPx', str(f.LastPx));
  set('text', str(f.Text));
  set('ordRejReason', str(f.OrdRejReason));
  set('timeInForce', str(f.TimeInForce));
  set('massStatusReqId', str(f.MassStatusReqID));
  if (f.LastRptRequested !== undefined)
    report.lastRptRequested = f.LastRptRequested === true || f.LastRptRequested === 'Y';
  if (f.TransactTime instanceof Date && !Number.isNaN(f.TransactTime.getTime()))
    report.time = f.TransactTime.getTime();
  return report;
}
