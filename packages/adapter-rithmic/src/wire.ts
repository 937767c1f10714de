/**
 * The R|Protocol codec: TradeNova's own `.proto` files (shipped in `proto/`), loaded
 * at run time with protobufjs. Every inbound message is decoded first as `Base`
 * (template id only), then again with the type of its template (protocol notes §2).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The `.proto` files of this package, in load order. */
export const PROTO_FILES = ['session.proto', 'order_plant.proto', 'pnl_plant.proto'] as const;

/** Template id → message name (protocol notes §4), for the messages this package speaks. */
export const TEMPLATES = {
  10: 'RequestLogin',
  11: 'ResponseLogin',
  12: 'RequestLogout',
  13: 'ResponseLogout',
  16: 'RequestRithmicSystemInfo',
  17: 'ResponseRithmicSystemInfo',
  18: 'RequestHeartbeat',
  19: 'ResponseHeartbeat',
  75: 'Reject',
  77: 'ForcedLogout',
  300: 'RequestLoginInfo',
  301: 'ResponseLoginInfo',
  302: 'RequestAccountList',
  303: 'ResponseAccountList',
  308: 'RequestSubscribeForOrderUpdates',
  309: 'ResponseSubscribeForOrderUpdates',
  310: 'RequestTradeRoutes',
  311: 'ResponseTradeRoutes',
  312: 'RequestNewOrder',
  313: 'ResponseNewOrder',
  314: 'RequestModifyOrder',
  315: 'ResponseModifyOrder',
  316: 'RequestCancelOrder',
  317: 'ResponseCancelOrder',
  320: 'RequestShowOrders',
  321: 'ResponseShowOrders',
  324: 'RequestShowOrderHistorySummary',
  325: 'ResponseShowOrderHistorySummary',
  346: 'RequestCancelAllOrders',
  347: 'ResponseCancelAllOrders',
  351: 'RithmicOrderNotification',
  352: 'ExchangeOrderNotification',
  400: 'RequestPnLPositionUpdates',
  401: 'ResponsePnLPositionUpdates',
  402: 'RequestPnLPositionSnapshot',
  403: 'ResponsePnLPositionSnapshot',
  450: 'InstrumentPnLPositionUpdate',
  451: 'AccountPnLPositionUpdate',
  3504: 'RequestExitPosition',
  3505: 'ResponseExitPosition',
  3506: 'RequestReplayExecutions',
  3507: 'ResponseReplayExecutions',
} as const;

/** A template id this package knows. */
export type TemplateId = keyof typeof TEMPLATES;
/** A message name this package knows. */
export type MessageName = (typeof TEMPLATES)[TemplateId];

/** The template id of each message name. */
export const TEMPLATE_ID = Object.fromEntries(
  Object.entries(TEMPLATES).map(([id, name]) => [name, Number(id)]),
) as Record<MessageName, number>;

/** `RequestLogin.SysInfraType` (§1.3). Never 0. */
export const InfraType = { TICKER_PLANT: 1, ORDER_PLANT: 2, HISTORY_PLANT: 3, PNL_PLANT: 4 } as const;
/** `TransactionType`. */
export const TransactionType = { BUY: 1, SELL: 2, SS: 3 } as const;
/** `Duration`. */
export const Duration = { DAY: 1, GTC: 2, IOC: 3, FOK: 4 } as const;
/** `PriceType`. */
export const PriceType = { LIMIT: 1, MARKET: 2, STOP_LIMIT: 3, STOP_MARKET: 4 } as const;
/** `OrderPlacement` (`manual_or_auto`). */
export const OrderPlacement = { MANUAL: 1, AUTO: 2 } as const;
/** `RithmicOrderNotification.NotifyType` (§8.1). */
export const OrderNotify = {
  ORDER_RCVD_FROM_CLNT: 1,
  MODIFY_RCVD_FROM_CLNT: 2,
  CANCEL_RCVD_FROM_CLNT: 3,
  OPEN_PENDING: 4,
  CANCEL_PENDING: 6,
  ORDER_RCVD_BY_EXCH_GTWY: 7,
  ORDER_SENT_TO_EXCH: 10,
  CANCEL_SENT_TO_EXCH: 12,
  OPEN: 13,
  MODIFIED: 14,
  COMPLETE: 15,
  MODIFICATION_FAILED: 16,
  CANCELLATION_FAILED: 17,
  TRIGGER_PENDING: 18,
} as const;
/** `ExchangeOrderNotification.NotifyType` (§8.2). */
export const ExchangeNotify = {
  STATUS: 1,
  MODIFY: 2,
  CANCEL: 3,
  TRIGGER: 4,
  FILL: 5,
  REJECT: 6,
  NOT_MODIFIED: 7,
  NOT_CANCELLED: 8,
  GENERIC: 9,
} as const;

/**
 * A decoded message: snake_case fields as in the `.proto` files, enums as numbers,
 * absent fields absent (proto2 presence; see §2.2 on not reading absence as "unset").
 */
export type RithmicMessage = { template_id: number } & Record<string, unknown>;

/** A decoded message with its template id and name. */
export interface Decoded {
  templateId: number;
  /** Undefined for a template id this package does not know (logged and skipped by callers). */
  name: MessageName | undefined;
  message: RithmicMessage;
}

/**
 * Where the `.proto` files are: `proto/` at the package root, one level above `src/`
 * when run from source and above `dist/` (or two above `dist/simulator/`) when built.
 */
function protoDirectory(): string {
  for (const relative of ['../proto/', '../../proto/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}session.proto`)) return dir;
  }
  throw new Error('@tradenova/adapter-rithmic: the proto/ directory is missing from the package');
}

let root: protobuf.Root | undefined;

/** The protobufjs root of every message, loaded once (snake_case kept, as on the wire docs). */
export function protoRoot(): protobuf.Root {
  if (!root) {
    const dir = protoDirectory();
    const loaded = new protobuf.Root();
    loaded.loadSync(
      PROTO_FILES.map((f) => `${dir}${f}`),
      { keepCase: true },
    );
    loaded.resolveAll();
    root = loaded;
  }
  return root;
}

const types = new Map<string, protobuf.Type>();

/** The protobufjs type of a message name. */
export function messageType(name: MessageName | 'Base'): protobuf.Type {
  let type = types.get(name);
  if (!type) {
    type = protoRoot().lookupType(`rti.${name}`);
    types.set(name, type);
  }
  return type;
}

/** Encodes a message of the given name; the template id is filled in from the name. */
export function encodeMessage(name: MessageName, fields: Record<string, unknown>): Uint8Array {
  const type = messageType(name);
  const payload = { ...fields, template_id: TEMPLATE_ID[name] };
  const invalid = type.verify(payload);
  // A wrong field type here is a bug of ours; fail loudly instead of sending garbage.
  if (invalid) throw new Error(`rithmic ${name}: ${invalid}`);
  return type.encode(type.fromObject(payload)).finish();
}

/** Decodes one protobuf message: `Base` first for the template id, then its own type. */
export function decodeMessage(payload: Uint8Array): Decoded {
  const base = messageType('Base').decode(payload) as unknown as { template_id: number };
  const templateId = base.template_id;
  const name = (TEMPLATES as Record<number, MessageName | undefined>)[templateId];
  if (!name) return { templateId, name: undefined, message: { template_id: templateId } };
  const type = messageType(name);
  const message = type.toObject(type.decode(payload), {
    enums: Number,
    longs: Number,
    defaults: false,
    arrays: false,
  }) as RithmicMessage;
  return { templateId, name, message };
}

/** A repeated string field as an array (absent → empty). */
export function strings(message: RithmicMessage, field: string): string[] {
  const value = message[field];
  return Array.isArray(value) ? (value as string[]) : [];
}

/** An optional string field. */
export function str(message: RithmicMessage, field: string): string | undefined {
  const value = message[field];
  return typeof value === 'string' ? value : undefined;
}

/** An optional numeric field. */
export function num(message: RithmicMessage, field: string): number | undefined {
  const value = message[field];
  return typeof value === 'number' ? value : undefined;
}

// ── framing ─────────────────────────────────────────────────────────────────

/**
 * WebSocket message framing of R|Protocol (protocol notes §2). Rithmic's own samples
 * disagree: the Python samples put a 4-byte big-endian length before each protobuf
 * message, the 2025 Node sample sends the bare protobuf. We read both and write
 * the form the config names.
 */

/** How protobuf messages are put into WebSocket binary messages. */
export type Framing = 'prefixed' | 'raw';

/** Puts one protobuf message into a WebSocket message in the given framing. */
export function frame(payload: Uint8Array, framing: Framing): Uint8Array {
  if (framing === 'raw') return payload;
  const out = new Uint8Array(payload.length + 4);
  new DataView(out.buffer).setInt32(0, payload.length, false);
  out.set(payload, 4);
  return out;
}

/** The protobuf message inside a WebSocket message, and which framing carried it. */
export interface Unframed {
  payload: Uint8Array;
  framing: Framing;
}

/**
 * Takes the protobuf message out of a WebSocket message. A bare Rithmic message starts
 * with a tag byte, never 0x00; a prefixed one starts with 0x00 for any message under
 * 16 MiB, so the prefix is stripped only when byte 0 is 0x00 and the length matches.
 */
export function unframe(data: Uint8Array): Unframed {
  if (data.length >= 4 && data[0] === 0x00) {
    const length = new DataView(data.buffer, data.byteOffset, data.byteLength).getInt32(0, false);
    if (length === data.length - 4) return { payload: data.subarray(4), framing: 'prefixed' };
  }
  return { payload: data, framing: 'raw' };
}

/** A WebSocket message as bytes, whatever `ws` handed over (Buffer, ArrayBuffer or fragments). */
export function toBytes(data: ArrayBuffer | Uint8Array | readonly Uint8Array[]): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const total = data.reduce((n, part) => n + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of data) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
