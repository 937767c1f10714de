import type { OrderType, Side, TimeInForce } from './common.js';

/** A stop-loss or take-profit given as an absolute price or as ticks away from the entry. */
export type BracketLevel = { price: string; ticks?: undefined } | { ticks: number; price?: undefined };

export interface Bracket {
  stopLoss?: BracketLevel;
  takeProfit?: BracketLevel;
}

/** Fields every signal carries. */
export interface SignalBase {
  /** Unique per leader event; the duplicate guard and every intent id derive from it. */
  signalId: string;
  /** The leader account the event came from. */
  leaderAccount: string;
  /** When the leader's broker reported the event (ms since epoch). */
  detectedAt: number;
  /** When TradeNova saw it (ms since epoch). */
  receivedAt: number;
}

/** The leader placed an order. */
export interface NewOrderSignal extends SignalBase {
  action: 'new';
  /** The leader broker's id of the order; modify and cancel refer to it. */
  leaderOrderId: string;
  /** Canonical contract key (`MNQZ25`) or anything `parseContract` reads. */
  instrument: string;
  side: Side;
  qty: number;
  orderType: OrderType;
  limitPrice?: string;
  stopPrice?: string;
  /** For an order the leader's broker reported filled: the fill price. */
  fillPrice?: string;
  timeInForce?: TimeInForce;
  bracket?: Bracket;
  /**
   * The leader's signed net position in the instrument once this market order filled
   * (TradingView's `{{strategy.position_size}}`). When the signals come without the
   * leader's broker behind them, the copier's picture of the leader is corrected from
   * it before this order is scaled: a restart, a missed alert or a manual trade no
   * longer turns an exit into a reversal.
   */
  leaderPosition?: number;
}

/** Which order of a bracket a modify addresses. */
export type OrderLeg = 'entry' | 'stop-loss' | 'take-profit';

/** The leader changed a working order (price and/or quantity). */
export interface ModifyOrderSignal extends SignalBase {
  action: 'modify';
  leaderOrderId: string;
  leg?: OrderLeg;
  qty?: number;
  limitPrice?: string;
  stopPrice?: string;
}

/** The leader cancelled a working order (and, for an unfilled entry, its bracket). */
export interface CancelOrderSignal extends SignalBase {
  action: 'cancel';
  leaderOrderId: string;
  leg?: OrderLeg;
}

/** The leader flattened: cancel working orders and close positions, for one instrument or all. */
export interface FlattenSignal extends SignalBase {
  action: 'flatten';
  instrument?: string;
}

/** One leader order event, normalized. */
export type TradeSignal = NewOrderSignal | ModifyOrderSignal | CancelOrderSignal | FlattenSignal;
export type SignalAction = TradeSignal['action'];
