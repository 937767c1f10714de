/**
 * DTC protocol version 8 message types and enums (protocol notes §4, §7, §8), as sent in
 * the JSON encoding: one object per message, keys = struct member names, enums as numbers.
 */

/** The DTC protocol version this adapter speaks. */
export const DTC_PROTOCOL_VERSION = 8;

/** Message type numbers (`Type`). */
export const DtcType = {
  LogonRequest: 1,
  LogonResponse: 2,
  Heartbeat: 3,
  Logoff: 5,
  EncodingRequest: 6,
  EncodingResponse: 7,
  SubmitNewOcoOrder: 201,
  CancelOrder: 203,
  CancelReplaceOrder: 204,
  SubmitNewSingleOrder: 208,
  SubmitFlattenPositionOrder: 209,
  OpenOrdersRequest: 300,
  OrderUpdate: 301,
  OpenOrdersReject: 302,
  HistoricalOrderFillsRequest: 303,
  HistoricalOrderFillResponse: 304,
  CurrentPositionsRequest: 305,
  PositionUpdate: 306,
  CurrentPositionsReject: 307,
  HistoricalOrderFillsReject: 308,
  TradeAccountsRequest: 400,
  TradeAccountResponse: 401,
} as const;

/** `EncodingEnum`. */
export const DtcEncoding = { Binary: 0, BinaryVls: 1, Json: 2, JsonCompact: 3, Protobuf: 4 } as const;

/** `LogonStatusEnum`. */
export const LogonStatus = { Success: 1, Error: 2, ErrorNoReconnect: 3, ReconnectNewAddress: 4 } as const;

/** `OrderStatusEnum`. */
export const OrderStatus = {
  Unspecified: 0,
  OrderSent: 1,
  PendingOpen: 2,
  PendingChild: 3,
  Open: 4,
  PendingCancelReplace: 5,
  PendingCancel: 6,
  Filled: 7,
  Canceled: 8,
  Rejected: 9,
  PartiallyFilled: 10,
} as const;

/** `OrderUpdateReasonEnum`. */
export const OrderUpdateReason = {
  Unset: 0,
  OpenOrdersRequestResponse: 1,
  NewOrderAccepted: 2,
  GeneralOrderUpdate: 3,
  OrderFilled: 4,
  OrderFilledPartially: 5,
  OrderCanceled: 6,
  OrderCancelReplaceComplete: 7,
  NewOrderRejected: 8,
  OrderCancelRejected: 9,
  OrderCancelReplaceRejected: 10,
} as const;

/** `OrderTypeEnum`. */
export const DtcOrderType = { Market: 1, Limit: 2, Stop: 3, StopLimit: 4 } as const;

/** `BuySellEnum`. */
export const BuySell = { Buy: 1, Sell: 2 } as const;

/** `TimeInForceEnum` (the values this adapter uses). */
export const TimeInForce = { Day: 1, GoodTillCanceled: 2 } as const;

/** One DTC message in the JSON encoding. */
export interface DtcMessage {
  Type: number;
  [field: string]: unknown;
}

/** ORDER_UPDATE (301), the fields this adapter reads. */
export interface DtcOrderUpdate extends DtcMessage {
  RequestID?: number;
  TotalNumMessages?: number;
  MessageNumber?: number;
  Symbol?: string;
  Exchange?: string;
  PreviousServerOrderID?: string;
  ServerOrderID?: string;
  ClientOrderID?: string;
  OrderStatus?: number;
  OrderUpdateReason?: number;
  OrderType?: number;
  BuySell?: number;
  Price1?: number;
  Price2?: number;
  OrderQuantity?: number;
  FilledQuantity?: number;
  RemainingQuantity?: number;
  AverageFillPrice?: number;
  LastFillPrice?: number;
  LastFillDateTime?: number;
  LastFillQuantity?: number;
  LastFillExecutionID?: string;
  TradeAccount?: string;
  InfoText?: string;
  NoOrders?: number;
  ParentServerOrderID?: string;
  OCOLinkedOrderServerOrderID?: string;
  LatestTransactionDateTime?: number;
}

/** POSITION_UPDATE (306). */
export interface DtcPositionUpdate extends DtcMessage {
  RequestID?: number;
  TotalNumberMessages?: number;
  MessageNumber?: number;
  Symbol?: string;
  Exchange?: string;
  Quantity?: number;
  AveragePrice?: number;
  TradeAccount?: string;
  NoPositions?: number;
  Unsolicited?: number;
}

/** HISTORICAL_ORDER_FILL_RESPONSE (304). */
export interface DtcHistoricalFill extends DtcMessage {
  RequestID?: number;
  TotalNumberMessages?: number;
  MessageNumber?: number;
  Symbol?: string;
  Exchange?: string;
  ServerOrderID?: string;
  BuySell?: number;
  Price?: number;
  DateTime?: number;
  Quantity?: number;
  UniqueExecutionID?: string;
  TradeAccount?: string;
  NoOrderFills?: number;
}

/** Unset doubles in the binary encodings are DBL_MAX; a JSON peer may echo them, so they are never prices. */
export const DBL_MAX = 1.7976931348623157e308;

/** Whether a numeric field is set (present, finite, not DBL_MAX). */
export function isSetNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value < DBL_MAX;
}
