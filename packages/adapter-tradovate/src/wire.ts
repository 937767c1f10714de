/**
 * Tradovate wire formats shared by the client and the simulator: entity shapes,
 * WebSocket frames, and JSON that carries prices as exact decimal text.
 * Field names follow ../shared/protocols/tradovate.md §6–§7.
 */

/** A decimal price as it appears on the wire; kept as its exact source text after parsing. */
export type WirePrice = string;

/** `Buy` / `Sell`. */
export type TvAction = 'Buy' | 'Sell';

/** Order types the adapter sends and the simulator accepts. */
export type TvOrderType =
  | 'Market'
  | 'Limit'
  | 'Stop'
  | 'StopLimit'
  | 'MIT'
  | 'QTS'
  | 'TrailingStop'
  | 'TrailingStopLimit';

/** `Order.ordStatus`. */
export type TvOrdStatus =
  | 'Canceled'
  | 'Completed'
  | 'Expired'
  | 'Filled'
  | 'PendingCancel'
  | 'PendingNew'
  | 'PendingReplace'
  | 'Rejected'
  | 'Suspended'
  | 'Unknown'
  | 'Working';

/** `{ year, month, day }` as Tradovate writes trade dates. */
export interface TvTradeDate {
  year: number;
  month: number;
  day: number;
}

/** The token response of `auth/accesstokenrequest` and `auth/renewaccesstoken`. */
export interface TvAccessToken {
  accessToken?: string;
  mdAccessToken?: string;
  expirationTime?: string;
  userStatus?: string;
  userId?: number;
  name?: string;
  hasLive?: boolean;
  errorText?: string;
}

/** `Account` entity (the fields we read). */
export interface TvAccount {
  id: number;
  name: string;
  userId: number;
  accountType?: string;
  active: boolean;
  readonly?: boolean;
}

/** `Contract` entity. */
export interface TvContract {
  id: number;
  name: string;
  contractMaturityId?: number;
}

/** `Order` entity: no quantity or price, those live on `OrderVersion`. */
export interface TvOrder {
  id: number;
  accountId: number;
  contractId: number;
  timestamp: string;
  action: TvAction;
  ordStatus: TvOrdStatus;
  parentId?: number;
  ocoId?: number;
  linkedId?: number;
  admin: boolean;
  isAutomated?: boolean;
}

/** `OrderVersion` entity: one per modification. */
export interface TvOrderVersion {
  id: number;
  orderId: number;
  orderQty: number;
  orderType: TvOrderType;
  price?: WirePrice;
  stopPrice?: WirePrice;
  timeInForce?: string;
  text?: string;
}

/** `Fill` entity. */
export interface TvFill {
  id: number;
  orderId: number;
  contractId: number;
  timestamp: string;
  tradeDate: TvTradeDate;
  action: TvAction;
  qty: number;
  price: WirePrice;
  active: boolean;
  finallyPaired?: number;
}

/** `Position` entity (one per account, contract and trade date). */
export interface TvPosition {
  id: number;
  accountId: number;
  contractId: number;
  timestamp: string;
  tradeDate: TvTradeDate;
  netPos: number;
  netPrice?: WirePrice;
  bought: number;
  sold: number;
  prevPos?: number;
}

/** The entity types the adapter keeps; others on the sync stream are ignored. */
export type TvEntityType = 'account' | 'contract' | 'order' | 'orderVersion' | 'fill' | 'position';

/** A `props` event body. */
export interface TvPropsEvent {
  entityType: string;
  eventType: 'Created' | 'Updated' | 'Deleted';
  entity: unknown;
}

/** The snapshot `user/syncrequest` answers with (every array may be absent). */
export interface TvSyncSnapshot {
  users?: unknown[];
  accounts?: TvAccount[];
  contracts?: TvContract[];
  orders?: TvOrder[];
  orderVersions?: TvOrderVersion[];
  fills?: TvFill[];
  positions?: TvPosition[];
}

/** Result of `order/placeorder`, `order/placeoso`, `order/liquidateposition`. */
export interface TvPlaceResult {
  orderId?: number;
  oso1Id?: number;
  oso2Id?: number;
  failureReason?: string;
  failureText?: string;
}

/** Result of `order/modifyorder`, `order/cancelorder`. */
export interface TvCommandResult {
  commandId?: number;
  failureReason?: string;
  failureText?: string;
}

/** A time-penalty body (`p-ticket`). */
export interface TvPenalty {
  'p-ticket': string;
  'p-time': number;
  'p-captcha'?: boolean;
}

/** The `FailureReason` values of the API, for the simulator and the error table. */
export const FAILURE_REASONS = [
  'AccountClosed',
  'AdvancedTrailingStopUnsupported',
  'AnotherCommandPending',
  'BackMonthProhibited',
  'ExecutionProviderNotConfigured',
  'ExecutionProviderUnavailable',
  'InvalidContract',
  'InvalidPrice',
  'LiquidationOnly',
  'LiquidationOnlyBeforeExpiration',
  'MaxOrderQtyIsNotSpecified',
  'MaxOrderQtyLimitReached',
  'MaxPosLimitMisconfigured',
  'MaxPosLimitReached',
  'MaxTotalPosLimitReached',
  'MultipleAccountPlanRequired',
  'NoQuote',
  'NotEnoughLiquidity',
  'OtherExecutionRelated',
  'ParentRejected',
  'RiskCheckTimeout',
  'SessionClosed',
  'Success',
  'TooLate',
  'TradingLocked',
  'TrailingStopNonOrderQtyModify',
  'Unauthorized',
  'UnknownReason',
  'Unsupported',
] as const;

// ── exact JSON ──────────────────────────────────────────────────────────────

/** Fields that hold prices: read as their exact source text, never as binary floats. */
const PRICE_FIELDS: ReadonlySet<string> = new Set([
  'price',
  'stopPrice',
  'netPrice',
  'prevPrice',
  'avgPx',
  'lastPx',
  'buyPrice',
  'sellPrice',
]);

type RawJson = (text: string) => unknown;
/** `JSON.rawJSON` (Node ≥ 21): writes a number token verbatim. Typed here because lib ES2023 lacks it. */
const rawJSON: RawJson = (JSON as unknown as { rawJSON: RawJson }).rawJSON;

/** A JSON number token written exactly as `decimal` (e.g. `21000.25`), so no float rounding ever touches it. */
export function priceToken(decimal: WirePrice): unknown {
  if (!/^-?\d+(\.\d+)?$/.test(decimal)) throw new RangeError(`not a decimal price: ${decimal}`);
  return rawJSON(decimal);
}

/**
 * Serializes JSON writing price fields held as decimal text (`"21000.25"`) as bare
 * number tokens (`21000.25`), exactly as written: the wire format without float rounding.
 */
export function stringifyExact(value: unknown): string {
  return JSON.stringify(value, (key: string, field: unknown) =>
    typeof field === 'string' && PRICE_FIELDS.has(key) && /^-?\d+(\.\d+)?$/.test(field)
      ? rawJSON(field)
      : field,
  );
}

/**
 * Parses JSON keeping price fields as their exact source text (`"21000.25"`), using
 * the reviver's source access (Node ≥ 21), so `0.1 + 0.2` problems cannot arise.
 */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(text, (key: string, value: unknown, context?: { source?: string }) => {
    if (typeof value === 'number' && PRICE_FIELDS.has(key) && context?.source !== undefined)
      return context.source;
    return value;
  });
}

// ── WebSocket frames (§7) ───────────────────────────────────────────────────

/** One message inside an `a` frame: a response (`i`, `s`, `d`) or an event (`e`, `d`). */
export interface TvSocketMessage {
  i?: number;
  s?: number;
  e?: string;
  d?: unknown;
}

/** A decoded server frame. */
export type ServerFrame =
  | { type: 'open' }
  | { type: 'heartbeat' }
  | { type: 'data'; messages: TvSocketMessage[] }
  | { type: 'close'; code: number; reason: string };

/** Decodes one server text frame (`o`, `h`, `a[...]`, `c[code,"reason"]`). */
export function decodeServerFrame(text: string): ServerFrame {
  const kind = text[0];
  const body = text.length > 1 ? parseJsonExact(text.slice(1)) : undefined;
  switch (kind) {
    case 'o':
      return { type: 'open' };
    case 'h':
      return { type: 'heartbeat' };
    case 'a':
      // Every message is read as an object (`e`, `i`, `d`): `a[null]` would throw inside the socket handler.
      if (
        !Array.isArray(body) ||
        !body.every((m) => typeof m === 'object' && m !== null && !Array.isArray(m))
      )
        throw new SyntaxError('an "a" frame must carry a JSON array of objects');
      return { type: 'data', messages: body as TvSocketMessage[] };
    case 'c': {
      const [code, reason] = Array.isArray(body) ? body : [];
      return { type: 'close', code: typeof code === 'number' ? code : 0, reason: String(reason ?? '') };
    }
    default:
      throw new SyntaxError(`unknown frame type ${JSON.stringify(kind)}`);
  }
}

/** Encodes an `a` frame. */
export function encodeDataFrame(messages: readonly TvSocketMessage[]): string {
  return `a${stringifyExact(messages)}`;
}

/** Encodes a `c` frame. */
export function encodeCloseFrame(code: number, reason: string): string {
  return `c${JSON.stringify([code, reason])}`;
}

/** A client request: `endpoint\nid\nquery\nbody` (empty fields keep their newline). */
export interface ClientRequest {
  endpoint: string;
  id: number;
  query: string;
  body: string;
}

/** Encodes a client request frame. */
export function encodeClientRequest(request: ClientRequest): string {
  return `${request.endpoint}\n${request.id}\n${request.query}\n${request.body}`;
}

/** Decodes a client text frame: the `[]` heartbeat, or a request. */
export function decodeClientFrame(
  text: string,
): { type: 'heartbeat' } | { type: 'request'; request: ClientRequest } {
  if (text === '[]') return { type: 'heartbeat' };
  const first = text.indexOf('\n');
  const second = first < 0 ? -1 : text.indexOf('\n', first + 1);
  if (first < 0 || second < 0) throw new SyntaxError('a request needs endpoint, id, query and body lines');
  const third = text.indexOf('\n', second + 1);
  const id = Number(text.slice(first + 1, second));
  if (!Number.isSafeInteger(id)) throw new SyntaxError('request id must be an integer');
  return {
    type: 'request',
    request: {
      endpoint: text.slice(0, first),
      id,
      query: third < 0 ? text.slice(second + 1) : text.slice(second + 1, third),
      body: third < 0 ? '' : text.slice(third + 1),
    },
  };
}

/** Tradovate writes trade dates as `{year, month, day}` in the exchange's day; UTC is close enough for the simulator. */
export function tradeDateOf(ms: number): TvTradeDate {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}
