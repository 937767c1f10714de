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

// ── framing ─────────────────────────────────────────────────────────────────

/**
 * Splits a TCP byte stream into NUL-terminated JSON messages. TCP gives no message
 * boundaries: one read may end mid-message or carry many, so bytes are kept until the
 * terminating 0x00 arrives. Bytes, not strings, are buffered so a UTF-8 character split
 * across two reads is decoded whole.
 */
export class NulFramer {
  #chunks: Buffer[] = [];
  #size = 0;
  /** Refuse a peer that never terminates a message instead of buffering without bound. */
  readonly #maxBytes: number;

  constructor(maxBytes = 1 << 20) {
    this.#maxBytes = maxBytes;
  }

  /** Adds bytes; returns every message now complete, in order (empty frames skipped). */
  push(data: Buffer): string[] {
    const out: string[] = [];
    let start = 0;
    for (let i = data.indexOf(0); i !== -1; i = data.indexOf(0, start)) {
      const tail = data.subarray(start, i);
      const whole =
        this.#size === 0 ? tail : Buffer.concat([...this.#chunks, tail], this.#size + tail.length);
      this.#chunks = [];
      this.#size = 0;
      if (whole.length > 0) out.push(whole.toString('utf8'));
      start = i + 1;
    }
    if (start < data.length) {
      const rest = data.subarray(start);
      this.#chunks.push(rest);
      this.#size += rest.length;
      if (this.#size > this.#maxBytes) throw new RangeError('DTC message longer than the frame limit');
    }
    return out;
  }

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.#size;
  }
}

/** One message in the JSON encoding, NUL-terminated. */
export function encodeJson(message: DtcMessage): Buffer {
  return Buffer.from(`${JSON.stringify(message)}\u0000`, 'utf8');
}

/** Parses one JSON frame; undefined when it is not a DTC message (no numeric `Type`). */
export function decodeJson(frame: string): DtcMessage | undefined {
  try {
    const value = JSON.parse(frame) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as DtcMessage).Type === 'number') {
      return value as DtcMessage;
    }
  } catch {
    // A malformed frame is dropped, as a DTC peer ignores what it cannot read.
  }
  return undefined;
}

/** Size of ENCODING_REQUEST / ENCODING_RESPONSE in the binary encoding. */
export const ENCODING_MESSAGE_SIZE = 16;

/**
 * The binary 16-byte ENCODING_REQUEST (type 6) or ENCODING_RESPONSE (type 7): Size u16,
 * Type u16, ProtocolVersion i32, Encoding i32, ProtocolType "DTC\0", little-endian.
 */
export function encodeEncodingMessage(type: 6 | 7, encoding: number): Buffer {
  const buffer = Buffer.alloc(ENCODING_MESSAGE_SIZE);
  buffer.writeUInt16LE(ENCODING_MESSAGE_SIZE, 0);
  buffer.writeUInt16LE(type, 2);
  buffer.writeInt32LE(DTC_PROTOCOL_VERSION, 4);
  buffer.writeInt32LE(encoding, 8);
  buffer.write('DTC', 12, 'ascii');
  return buffer;
}

/** Reads a binary encoding message from the start of `data`; undefined until 16 bytes are there. */
export function decodeEncodingMessage(
  data: Buffer,
): { type: number; size: number; protocolVersion: number; encoding: number } | undefined {
  if (data.length < 4) return undefined;
  const size = data.readUInt16LE(0);
  const type = data.readUInt16LE(2);
  if (size < 12 || data.length < size) return undefined;
  return { type, size, protocolVersion: data.readInt32LE(4), encoding: data.readInt32LE(8) };
}

/** Whether a binary header is an encoding message at all (anything else before JSON is a protocol error). */
export function isEncodingType(type: number): boolean {
  return type === DtcType.EncodingRequest || type === DtcType.EncodingResponse;
}
