/** Why a risk check blocked an order. Stable strings: reports and `--expect` files compare them. */
export const RiskReason = {
  MaxOrderQty: 'MAX_ORDER_QTY',
  MaxPosition: 'MAX_POSITION',
  DailyLossLimit: 'DAILY_LOSS_LIMIT',
  LockedOut: 'LOCKED_OUT',
  InstrumentNotAllowed: 'INSTRUMENT_NOT_ALLOWED',
  OutsideTradingWindow: 'OUTSIDE_TRADING_WINDOW',
  PastFlatBy: 'PAST_FLAT_BY',
  OrderRate: 'ORDER_RATE',
  DuplicateSignal: 'DUPLICATE_SIGNAL',
  TrailingDrawdown: 'TRAILING_DRAWDOWN',
  MaxContracts: 'MAX_CONTRACTS',
  OppositePosition: 'OPPOSITE_POSITION',
  ScaledToZero: 'SCALED_TO_ZERO',
  NoStopForRiskSizing: 'NO_STOP_FOR_RISK_SIZING',
  FollowerPaused: 'FOLLOWER_PAUSED',
  /** The global kill switch is engaged (`accounts kill on`): no new entries in any process. */
  KillSwitch: 'KILL_SWITCH',
} as const;
export type RiskReason = (typeof RiskReason)[keyof typeof RiskReason];
