/**
 * ProjectX Gateway wire shapes (§2–§7 of the protocol notes). Enums are integers on
 * the wire; prices are JSON numbers. Only the fields the adapter reads or the
 * simulator writes are typed; unknown extra fields are tolerated.
 */

/** `OrderSide`: 0 Bid (buy), 1 Ask (sell). */
export const PxSide = { Bid: 0, Ask: 1 } as const;
/** `OrderSide` values. */
export type PxSide = (typeof PxSide)[keyof typeof PxSide];

/** `OrderType` values (§5). StopLimit (3) is in the spec but not on the place-order page (UNCONFIRMED). */
export const PxOrderType = {
  Unknown: 0,
  Limit: 1,
  Market: 2,
  StopLimit: 3,
  Stop: 4,
  TrailingStop: 5,
  JoinBid: 6,
  JoinAsk: 7,
} as const;
/** `OrderType` values. */
export type PxOrderType = (typeof PxOrderType)[keyof typeof PxOrderType];

/** `OrderStatus` values (§5); 7 and 8 appear only in the machine-readable spec. */
export const PxOrderStatus = {
  None: 0,
  Open: 1,
  Filled: 2,
  Cancelled: 3,
  Expired: 4,
  Rejected: 5,
  Pending: 6,
  PendingCancellation: 7,
  Suspended: 8,
} as const;
/** `OrderStatus` values. */
export type PxOrderStatus = (typeof PxOrderStatus)[keyof typeof PxOrderStatus];

/** `PositionType`: 1 Long, 2 Short (size is always positive). */
export const PxPositionType = { Undefined: 0, Long: 1, Short: 2 } as const;
/** `PositionType` values. */
export type PxPositionType = (typeof PxPositionType)[keyof typeof PxPositionType];

/** The envelope every REST answer carries (§2). */
export interface PxEnvelope {
  success: boolean;
  errorCode: number;
  errorMessage: string | null;
}

/** `Account/search` row. */
export interface PxAccount {
  id: number;
  name: string;
  balance: number;
  canTrade: boolean;
  isVisible: boolean;
  simulated: boolean;
}

/** `Contract/search` row. */
export interface PxContract {
  id: string;
  name: string;
  description: string;
  tickSize: number;
  tickValue: number;
  activeContract: boolean;
  symbolId?: string;
}

/** A bracket leg of `Order/place`: a distance in ticks from the fill and an order type. */
export interface PxBracket {
  ticks: number;
  type: PxOrderType;
}

/** `Order/place` body (§5.1). */
export interface PxPlaceOrder {
  accountId: number;
  contractId: string;
  type: PxOrderType;
  side: PxSide;
  size: number;
  limitPrice?: number | null;
  stopPrice?: number | null;
  trailPrice?: number | null;
  customTag?: string | null;
  stopLossBracket?: PxBracket | null;
  takeProfitBracket?: PxBracket | null;
}

/** `OrderModel` (REST) and the `GatewayUserOrder` payload. */
export interface PxOrder {
  id: number;
  accountId: number;
  contractId: string;
  symbolId?: string;
  creationTimestamp: string;
  updateTimestamp?: string | null;
  status: PxOrderStatus;
  type: PxOrderType;
  side: PxSide;
  size: number;
  limitPrice?: number | null;
  stopPrice?: number | null;
  fillVolume?: number;
  filledPrice?: number | null;
  customTag?: string | null;
  parentOrderId?: number | null;
  linkedOrderId?: number | null;
}

/** `Position/searchOpen` row and the `GatewayUserPosition` payload. */
export interface PxPosition {
  id: number;
  accountId: number;
  contractId: string;
  creationTimestamp: string;
  type: PxPositionType;
  size: number;
  averagePrice: number;
}

/** `Trade/search` row and the `GatewayUserTrade` payload: one fill (half-turn). */
export interface PxTrade {
  id: number;
  accountId: number;
  contractId: string;
  creationTimestamp: string;
  price: number;
  profitAndLoss: number | null;
  fees: number;
  side: PxSide;
  size: number;
  voided: boolean;
  orderId: number;
}

/** The user hub's event targets (§7.3). */
export const HUB_EVENTS = {
  account: 'GatewayUserAccount',
  order: 'GatewayUserOrder',
  position: 'GatewayUserPosition',
  trade: 'GatewayUserTrade',
} as const;

/** The `{action, data}` wrapper some live clients observe around hub event payloads (§7.3, UNCONFIRMED). */
export interface PxWrapped<T> {
  action: number;
  data: T;
}

/**
 * A hub event's argument without its optional `{action, data}` wrapper: the notes
 * disagree on which shape is live, so both are accepted.
 */
export function unwrapHubPayload<T>(argument: unknown): T | undefined {
  if (argument === null || typeof argument !== 'object') return undefined;
  const record = argument as Record<string, unknown>;
  if (record.data !== null && typeof record.data === 'object' && !Array.isArray(record.data)) {
    return record.data as T;
  }
  return argument as T;
}

/** The SignalR record separator that ends every JSON hub message (§8). */
export const RECORD_SEPARATOR = '\u001e';
