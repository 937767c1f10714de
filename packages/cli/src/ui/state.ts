import type { Contract, EngineEvent, Money } from '@tradenova/core';
import { contractKey, defaultInstruments, ticksToPrice } from '@tradenova/core';

/** A price in ticks as the exchange quotes it (`21000.25`); raw ticks for an unknown product. */
export function formatPrice(contract: Contract, ticks: number): string {
  try {
    return ticksToPrice(ticks, defaultInstruments.get(contract.root).tickSize);
  } catch {
    return `${ticks}t`;
  }
}

/** One follower row of the accounts table. */
export interface AccountRow {
  follower: string;
  broker: string;
  /** Connection key: several accounts may share one login. */
  connection: string;
  accountId: string;
  status: 'enabled' | 'paused' | 'locked-out' | 'flattening';
  statusReason?: string;
  /** Net position per contract key; flat contracts are removed. */
  positions: Record<string, number>;
  realized: Money;
  unrealized: Money;
  lastLatencyMs?: number;
  /** Follower position minus its scaled share of the leader, per contract; only non-zero entries. */
  drift: Record<string, number>;
}

/** What kind of thing happened to a follower order, for the log's colour and filter. */
export type LogKind =
  | 'placed'
  | 'filled'
  | 'rejected'
  | 'blocked'
  | 'timed-out'
  | 'failed'
  | 'cancelled'
  | 'modified'
  | 'reconciled'
  | 'drift';

/** One line of the follower order log. */
export interface LogEntry {
  /** Monotonic id, a stable React key. */
  id: number;
  time: number;
  follower: string;
  kind: LogKind;
  text: string;
}

/** One line of the leader panel: an order the leader placed or changed, or a fill. */
export interface LeaderEntry {
  id: number;
  time: number;
  kind: 'order' | 'fill' | 'cancel' | 'modify';
  text: string;
}

/** Connection state of one broker connection, as last reported. */
export interface BrokerHealth {
  broker: string;
  state: string;
  reason?: string;
  /** Last measured round trip, when the adapter reports one. */
  latencyMs?: number;
  /** The engine's circuit breaker for this connection, once it has changed. */
  breaker?: string;
}

/** A question the dashboard is waiting for y/n on. */
export type Confirm =
  | { kind: 'flatten'; follower: string }
  | { kind: 'flatten-all' }
  | { kind: 'align'; followers: string[] };

/**
 * Copy latencies for the session as a histogram: exact to 1 ms below 100 ms,
 * then coarser, so the whole day fits in a few hundred numbers and copying it
 * in the reducer stays cheap.
 */
export interface LatencyHistogram {
  counts: readonly number[];
  total: number;
}

/** Everything the dashboard shows; changed only by `reduce`. */
export interface DashboardState {
  accounts: readonly AccountRow[];
  selected: number;
  /** The last `LOG_LIMIT` follower events, oldest first. */
  log: readonly LogEntry[];
  /** The leader's recent orders and fills, oldest first. */
  leader: readonly LeaderEntry[];
  latency: LatencyHistogram;
  brokers: Readonly<Record<string, BrokerHealth>>;
  counts: {
    signals: number;
    placed: number;
    filled: number;
    rejected: number;
    blocked: number;
    timedOut: number;
  };
  confirm?: Confirm;
  notice?: string;
  quitting: boolean;
  nextId: number;
}

/** How many follower events the order log keeps. */
export const LOG_LIMIT = 500;
/** How many leader lines the leader panel keeps. */
export const LEADER_LIMIT = 50;

const BUCKETS = 281;

/** The histogram bucket of a latency in ms. */
export function latencyBucket(ms: number): number {
  const v = Math.max(0, ms);
  if (v < 100) return Math.floor(v);
  if (v < 1000) return 100 + Math.floor((v - 100) / 10);
  if (v < 10_000) return 190 + Math.floor((v - 1000) / 100);
  return BUCKETS - 1;
}

/** The upper edge of a bucket in ms (what a percentile reports). */
function bucketUpper(bucket: number): number {
  if (bucket < 100) return bucket + 1;
  if (bucket < 190) return 100 + (bucket - 99) * 10;
  if (bucket < BUCKETS - 1) return 1000 + (bucket - 189) * 100;
  return Number.POSITIVE_INFINITY;
}

/** The p-th percentile (0–100) of the session's copy latency, in ms; undefined before the first copy. */
export function latencyPercentile(h: LatencyHistogram, p: number): number | undefined {
  if (h.total === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * h.total));
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i] ?? 0;
    if (seen >= rank) return bucketUpper(i);
  }
  return undefined;
}

/** An account as the dashboard first shows it, before any event. */
export interface AccountSeed {
  follower: string;
  broker: string;
  connection: string;
  accountId: string;
  enabled: boolean;
}

/** The state before the first event. */
export function initialState(
  accounts: readonly AccountSeed[],
  brokers: Record<string, BrokerHealth> = {},
): DashboardState {
  return {
    accounts: accounts.map((a) => ({
      follower: a.follower,
      broker: a.broker,
      connection: a.connection,
      accountId: a.accountId,
      status: a.enabled ? 'enabled' : 'paused',
      ...(a.enabled ? {} : { statusReason: 'disabled in config' }),
      positions: {},
      realized: 0,
      unrealized: 0,
      drift: {},
    })),
    selected: 0,
    log: [],
    leader: [],
    latency: { counts: new Array<number>(BUCKETS).fill(0), total: 0 },
    brokers,
    counts: { signals: 0, placed: 0, filled: 0, rejected: 0, blocked: 0, timedOut: 0 },
    quitting: false,
    nextId: 1,
  };
}

/** Per-follower numbers read from the engine on a timer (P&L marks move without events). */
export interface AccountSnapshot {
  follower: string;
  realized: Money;
  unrealized: Money;
  positions: Record<string, number>;
  drift: Record<string, number>;
}

/** Everything that changes the dashboard. */
export type DashboardAction =
  | { type: 'engine'; event: EngineEvent }
  | { type: 'leader'; kind: LeaderEntry['kind']; time: number; text: string }
  | { type: 'snapshot'; accounts: readonly AccountSnapshot[]; brokers?: Record<string, BrokerHealth> }
  | { type: 'select'; delta: number }
  | { type: 'ask'; confirm: Confirm }
  | { type: 'answer' }
  | { type: 'notice'; text: string | undefined }
  | { type: 'quitting' };

/** The dashboard's reducer: pure, so every screen state can be tested without a terminal. */
export function reduce(state: DashboardState, action: DashboardAction): DashboardState {
  switch (action.type) {
    case 'engine':
      return onEngineEvent(state, action.event);
    case 'leader': {
      const entry: LeaderEntry = {
        id: state.nextId,
        time: action.time,
        kind: action.kind,
        text: action.text,
      };
      return { ...state, nextId: state.nextId + 1, leader: capped(state.leader, entry, LEADER_LIMIT) };
    }
    case 'snapshot': {
      const byName = new Map(action.accounts.map((a) => [a.follower, a]));
      return {
        ...state,
        accounts: state.accounts.map((row) => {
          const s = byName.get(row.follower);
          return s
            ? {
                ...row,
                realized: s.realized,
                unrealized: s.unrealized,
                positions: s.positions,
                drift: s.drift,
              }
            : row;
        }),
        ...(action.brokers ? { brokers: { ...state.brokers, ...action.brokers } } : {}),
      };
    }
    case 'select': {
      const n = state.accounts.length;
      if (n === 0) return state;
      return { ...state, selected: Math.min(n - 1, Math.max(0, state.selected + action.delta)) };
    }
    case 'ask':
      return { ...state, confirm: action.confirm };
    case 'answer': {
      const { confirm: _c, ...rest } = state;
      return rest;
    }
    case 'notice': {
      if (action.text === undefined) {
        const { notice: _n, ...rest } = state;
        return rest;
      }
      return { ...state, notice: action.text };
    }
    case 'quitting':
      return { ...state, quitting: true, notice: 'finishing in-flight orders, then quitting…' };
  }
}

function onEngineEvent(state: DashboardState, event: EngineEvent): DashboardState {
  switch (event.type) {
    case 'signal-received':
      return counted('signals', state);
    case 'order-placed': {
      const i = event.intent;
      const next = log(
        state,
        event.time,
        i.follower,
        'placed',
        `${i.leg} ${i.side} ${i.qty} ${contractKey(i.contract)} ${i.orderType} → ${event.orderId} (${event.latencyMs} ms)`,
      );
      const bucket = latencyBucket(event.latencyMs);
      const counts = state.latency.counts.slice();
      counts[bucket] = (counts[bucket] ?? 0) + 1;
      return {
        ...counted('placed', next),
        latency: { counts, total: state.latency.total + 1 },
        accounts: updateRow(next.accounts, i.follower, (r) => ({ ...r, lastLatencyMs: event.latencyMs })),
      };
    }
    case 'order-filled': {
      const x = event.execution;
      const next = log(
        state,
        event.time,
        event.follower,
        'filled',
        `${x.side} ${x.qty} ${contractKey(x.contract)} @ ${formatPrice(x.contract, x.priceTicks)} (${x.orderId})`,
      );
      return counted('filled', next);
    }
    case 'position-updated': {
      const p = event.position;
      const key = contractKey(p.contract);
      return {
        ...state,
        accounts: updateRow(state.accounts, event.follower, (r) => {
          const positions = { ...r.positions };
          if (p.netQty === 0) delete positions[key];
          else positions[key] = p.netQty;
          return { ...r, positions };
        }),
      };
    }
    case 'order-rejected':
      return counted(
        'rejected',
        log(state, event.time, event.intent.follower, 'rejected', `${what(event.intent)}: ${event.reason}`),
      );
    case 'order-blocked':
      return counted(
        'blocked',
        log(
          state,
          event.time,
          event.intent.follower,
          'blocked',
          `${what(event.intent)}: ${event.reason} — ${event.message}`,
        ),
      );
    case 'order-timed-out':
      return counted(
        'timedOut',
        log(
          state,
          event.time,
          event.intent.follower,
          'timed-out',
          `${what(event.intent)}: no answer in ${event.afterMs} ms (outcome unknown until reconciled)`,
        ),
      );
    case 'order-failed':
      return log(
        state,
        event.time,
        event.intent.follower,
        'failed',
        `${event.intent.leg}: ${event.code} ${event.message}`,
      );
    case 'order-modified':
      return log(
        state,
        event.time,
        event.intent.follower,
        'modified',
        `${event.intent.leg} ${event.orderId} ${describePrices(event.intent)}`,
      );
    case 'order-cancelled':
      return log(
        state,
        event.time,
        event.follower,
        'cancelled',
        `${event.orderId}${event.reason ? `: ${event.reason}` : ''}`,
      );
    case 'order-reconciled':
      return log(
        state,
        event.time,
        event.intent.follower,
        'reconciled',
        `${event.intent.intentId} ${event.outcome}`,
      );
    case 'position-reconciled':
      return log(
        state,
        event.time,
        event.follower,
        'drift',
        `${event.contract}: broker ${event.broker}, target ${event.target}${event.ordered !== 0 ? `, ordered ${event.ordered}` : ''} (${event.policy})`,
      );
    case 'account-status':
      return {
        ...state,
        accounts: updateRow(state.accounts, event.follower, (r) => {
          const { statusReason: _s, ...rest } = r;
          return { ...rest, status: event.status, ...(event.reason ? { statusReason: event.reason } : {}) };
        }),
      };
    case 'follower-recovery':
      return log(
        state,
        event.time,
        event.follower,
        event.state === 'pending' ? 'drift' : 'reconciled',
        event.state === 'pending'
          ? `not back in line yet: ${event.reason ?? 'broker unavailable'} (retrying)`
          : 'back in line with the leader',
      );
    case 'connection-status':
      return {
        ...state,
        brokers: {
          ...state.brokers,
          [event.connection]: {
            ...state.brokers[event.connection],
            broker: event.broker,
            state: event.state,
            ...(event.reason ? { reason: event.reason } : {}),
          },
        },
      };
    case 'breaker-changed':
      return {
        ...state,
        brokers: {
          ...state.brokers,
          [event.connection]: {
            state: 'connected',
            ...state.brokers[event.connection],
            broker: event.broker,
            breaker: event.state,
          },
        },
      };
    case 'account-pnl':
      // The table's P&L columns are the engine's own; what the broker reports goes to the journal and JSON lines.
      return state;
    case 'account-flattened':
      return log(
        state,
        event.time,
        event.follower,
        'cancelled',
        `flattened ${event.contract} (${event.reason})`,
      );
    case 'service-status':
      // A service outage does not stop copying; the notice line says what is being retried.
      return {
        ...state,
        notice:
          event.state === 'ok'
            ? `${event.service} is back (${event.where})`
            : `${event.service} degraded at ${event.where}: ${event.reason ?? 'failing'}${event.pending ? ` — ${event.pending} records kept, retrying` : ', retrying'}`,
      };
    case 'signal-rejected':
    case 'intent-created':
    case 'signal-completed':
      return state;
  }
}

function describePrices(i: {
  contract: Contract;
  limitTicks?: number;
  stopTicks?: number;
  qty: number;
}): string {
  const parts: string[] = [];
  if (i.qty > 0) parts.push(`qty ${i.qty}`);
  if (i.limitTicks !== undefined) parts.push(`limit ${formatPrice(i.contract, i.limitTicks)}`);
  if (i.stopTicks !== undefined) parts.push(`stop ${formatPrice(i.contract, i.stopTicks)}`);
  return parts.join(', ');
}

function log(
  state: DashboardState,
  time: number,
  follower: string,
  kind: LogKind,
  text: string,
): DashboardState {
  const entry: LogEntry = { id: state.nextId, time, follower, kind, text };
  return { ...state, nextId: state.nextId + 1, log: capped(state.log, entry, LOG_LIMIT) };
}

/** `next` with one more of `key` in the header's counts. */
function counted(key: keyof DashboardState['counts'], next: DashboardState): DashboardState {
  return { ...next, counts: { ...next.counts, [key]: next.counts[key] + 1 } };
}

/** An intent's leg and contract, as the order log names it. */
function what(intent: { leg: string; contract: Contract }): string {
  return `${intent.leg} ${contractKey(intent.contract)}`;
}

function capped<T>(list: readonly T[], item: T, limit: number): T[] {
  const out = list.length >= limit ? list.slice(list.length - limit + 1) : list.slice();
  out.push(item);
  return out;
}

function updateRow(
  rows: readonly AccountRow[],
  follower: string,
  change: (row: AccountRow) => AccountRow,
): readonly AccountRow[] {
  const i = rows.findIndex((r) => r.follower === follower);
  if (i < 0) return rows;
  const out = rows.slice();
  out[i] = change(rows[i]!);
  return out;
}

/** Session P&L across every follower, in mils. */
export function sessionPnl(state: DashboardState): Money {
  return state.accounts.reduce((sum, a) => sum + a.realized + a.unrealized, 0);
}
