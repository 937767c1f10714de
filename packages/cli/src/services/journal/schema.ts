import type { ColumnType, Generated } from 'kysely';

/** A bigint column: written as a number, read back as a string (pg) or a number (PGlite); read it with `Number()`. */
type Int8 = ColumnType<string | number, number, number>;
/** A jsonb column: written as JSON text (both drivers cast it), read back parsed. */
type Json = ColumnType<unknown, string, string>;
/** A nullable bigint column, optional in inserts. */
type MaybeInt8 = ColumnType<string | number | null, number | null | undefined, number | null>;
/** A nullable jsonb column, optional in inserts. */
type MaybeJson = ColumnType<unknown, string | null | undefined, string | null>;
/** A nullable column (kysely makes it optional in inserts). */
type Maybe<T> = T | null;

/** Leader signals: one row per signal id, completed when its outcomes are known. */
export interface SignalsTable {
  signal_id: string;
  leader_account: Maybe<string>;
  action: Maybe<string>;
  instrument: Maybe<string>;
  detected_at: MaybeInt8;
  received_at: MaybeInt8;
  completed_at: MaybeInt8;
  outcomes: MaybeJson;
  payload: MaybeJson;
  recorded_at: Generated<Date>;
}

/** Per-follower order intents; the id is the client order id sent to the broker. */
export interface IntentsTable {
  intent_id: string;
  signal_id: string;
  follower: string;
  broker: string;
  account_id: string;
  leg: string;
  action: string;
  instrument: string;
  side: string;
  qty: number;
  order_type: string;
  reducing: boolean;
  created_at: Int8;
  payload: Json;
  recorded_at: Generated<Date>;
}

/** Order lifecycle: placed, modified, cancelled, rejected, timed-out; one row per step. */
export interface OrdersTable {
  id: Generated<Int8>;
  intent_id: Maybe<string>;
  follower: string;
  account_id: string;
  order_id: Maybe<string>;
  status: string;
  code: Maybe<string>;
  reason: Maybe<string>;
  latency_ms: Maybe<number>;
  time: Int8;
  payload: Json;
  recorded_at: Generated<Date>;
}

/** Fills, de-duplicated by (broker, execution id). */
export interface ExecutionsTable {
  broker: string;
  execution_id: string;
  order_id: string;
  intent_id: Maybe<string>;
  follower: string;
  account_id: string;
  instrument: string;
  side: string;
  qty: number;
  price_ticks: Int8;
  time: Int8;
  payload: Json;
  recorded_at: Generated<Date>;
}

/** Position and P&L snapshots, newest last. Money in mils. */
export interface PositionsTable {
  id: Generated<Int8>;
  follower: string;
  account_id: string;
  instrument: string;
  net_qty: number;
  avg_price: string;
  realized_pnl: Int8;
  unrealized_pnl: Int8;
  time: Int8;
  recorded_at: Generated<Date>;
}

/** Account states (enabled, paused, locked-out, …), broker connection and breaker states, position reconciliations and service states. */
export interface AccountStatusTable {
  id: Generated<Int8>;
  kind: 'account' | 'connection' | 'breaker' | 'reconcile' | 'service' | 'broker-pnl' | 'recovery';
  follower: Maybe<string>;
  account_id: Maybe<string>;
  broker: Maybe<string>;
  connection: Maybe<string>;
  status: string;
  reason: Maybe<string>;
  pnl: MaybeInt8;
  time: Int8;
  recorded_at: Generated<Date>;
}

/** Rejected signals, blocked and failed orders, each with its reason. */
export interface ErrorsTable {
  id: Generated<Int8>;
  kind: string;
  signal_id: Maybe<string>;
  intent_id: Maybe<string>;
  follower: Maybe<string>;
  account_id: Maybe<string>;
  code: string;
  field: Maybe<string>;
  message: string;
  time: Int8;
  payload: Json;
  recorded_at: Generated<Date>;
}

/** Control API actions: the token that acted (id and name, never the token), the action and its outcome. */
export interface ApiAuditTable {
  id: Generated<Int8>;
  time: Int8;
  token_id: string;
  token_name: string;
  action: string;
  target: Maybe<string>;
  outcome: string;
  detail: Json;
  recorded_at: Generated<Date>;
}

/** The journal's tables, for kysely. */
export interface JournalDatabase {
  signals: SignalsTable;
  intents: IntentsTable;
  orders: OrdersTable;
  executions: ExecutionsTable;
  positions: PositionsTable;
  account_status: AccountStatusTable;
  errors: ErrorsTable;
  api_audit: ApiAuditTable;
}

/** Every journal table name. */
export const JOURNAL_TABLES = [
  'signals',
  'intents',
  'orders',
  'executions',
  'positions',
  'account_status',
  'errors',
  'api_audit',
] as const satisfies readonly (keyof JournalDatabase)[];
