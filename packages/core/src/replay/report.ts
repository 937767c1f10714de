import type { EngineEvent } from '../bus/events.js';
import type { EngineConfig } from '../config/schema.js';
import { contractKey } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import type { Position } from '../model/position.js';
import { formatMoney, type Money } from '../money/money.js';
import { ticksToPrice } from '../money/price.js';
import type { ReplayInputError } from './records.js';

/** The JSON report of a replay. Stable field order, so two runs are byte-identical. */
export interface ReplayReport {
  version: 1;
  input: { records: number; signals: number; quotes: number; trades: number };
  signals: { count: number; copied: number; errors: ReplayInputError[] };
  leader: { name: string; account: string; positions: { contract: string; netQty: number }[] };
  accounts: AccountReport[];
  latency: LatencyReport;
  /** Orders blocked by a risk rule, over all accounts. */
  violations: number;
  /** Each leader event that reached the engine, in order, with one outcome per enabled follower. */
  events: EventReport[];
  /** Present when the recorded prices reached the engine through a live feed (`marketData`). */
  marketData?: { source: string; prices: number };
}

export interface AccountReport {
  name: string;
  broker: string;
  account: string;
  orders: {
    placed: number;
    filled: number;
    rejected: number;
    blocked: number;
    skipped: number;
    timedOut: number;
    failed: number;
    cancelled: number;
  };
  fills: { time: string; contract: string; side: string; qty: number; price: string; intentId?: string }[];
  positions: {
    contract: string;
    netQty: number;
    avgPrice: string;
    realizedPnl: string;
    unrealizedPnl: string;
  }[];
  realizedPnl: string;
  unrealizedPnl: string;
  blocked: { signalId: string; intentId: string; reason: string; message: string }[];
  skipped: { signalId: string; reason: string; message: string }[];
  rejected: { signalId: string; intentId: string; code: string; reason: string }[];
  timedOut: { signalId: string; intentId: string }[];
  /** Orders that could not be sent (breaker open, bulkhead full, an unexpected error), with why. */
  failed: { signalId: string; intentId: string; code: string; message: string }[];
  /** Follower position minus its scaled share of the leader's, per contract (0 when in line). */
  drift: { contract: string; follower: number; leader: number }[];
  status: string[];
}

/**
 * One leader event and what became of it at each enabled follower. An outcome is
 * `placed`, `filled`, `skipped REASON`, `blocked RULE`, `rejected CODE`,
 * `failed CODE`, `timed-out` or `none` (the engine recorded nothing: a defect);
 * a follower with several orders for the event lists them as `leg outcome; leg outcome`.
 */
export interface EventReport {
  signalId: string;
  line: number;
  action: string;
  outcomes: Record<string, string>;
}

export interface LatencyReport {
  clock: 'virtual' | 'wall';
  unit: 'ms';
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * How much a report keeps: `full` lists every fill, every leader event's outcomes and every
 * order that was not placed; `summary` keeps the counts, positions, P&L, drift and latency and
 * leaves those lists empty (`fills`, `events`, `blocked`, `skipped`, `rejected`, `timedOut`,
 * `failed`), so a session of millions of lines replays in bounded memory.
 */
export type ReportDetail = 'full' | 'summary';

/** Nearest-rank percentile of sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

type Leg = Extract<EngineEvent, { type: 'signal-completed' }>['outcomes'][number];

/** Blocks that are sizing outcomes, not rule violations. */
const NOT_VIOLATIONS = new Set(['SCALED_TO_ZERO', 'NO_STOP_FOR_RISK_SIZING']);

/**
 * Copy latencies as counts per value: the same nearest-rank percentiles as a sorted list,
 * in memory that grows with the distinct values (whole milliseconds), not with the orders.
 */
class LatencyCounts {
  readonly #counts = new Map<number, number>();
  #count = 0;

  add(ms: number): void {
    this.#counts.set(ms, (this.#counts.get(ms) ?? 0) + 1);
    this.#count++;
  }

  report(clock: 'virtual' | 'wall'): LatencyReport {
    const values = [...this.#counts.keys()].sort((x, y) => x - y);
    const at = (p: number): number => {
      if (this.#count === 0) return 0;
      const rank = Math.min(this.#count, Math.max(1, Math.ceil((p / 100) * this.#count)));
      let seen = 0;
      for (const v of values) {
        seen += this.#counts.get(v)!;
        if (seen >= rank) return v;
      }
      return values.at(-1)!;
    };
    return {
      clock,
      unit: 'ms',
      count: this.#count,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      max: values.at(-1) ?? 0,
    };
  }
}

/** Collects engine events into per-account figures for the report. */
export class ReportCollector {
  readonly #accounts = new Map<string, AccountReport>();
  readonly #latencies = new LatencyCounts();
  /** False for a `summary` report: the per-order lists and the events section stay empty. */
  readonly #full: boolean;
  readonly #signalErrors: ReplayInputError[] = [];
  #signals = 0;
  #copied = 0;
  readonly #instruments: InstrumentRegistry;
  /** Enabled followers in config order: the keys of every event's outcomes. */
  readonly #enabled: string[];
  /** Leader events by signal id, in the order the engine received them. */
  readonly #events = new Map<string, { signalId: string; line: number; action: string; legs: Leg[] }>();
  /** Lines of the signals the replay submitted, by signal id. */
  readonly #lines = new Map<string, number>();
  /** Why an intent was not placed (risk reason or broker code), by intent id. */
  readonly #why = new Map<string, string>();

  constructor(
    config: EngineConfig,
    instruments: InstrumentRegistry,
    options: { detail?: ReportDetail } = {},
  ) {
    this.#full = (options.detail ?? 'full') === 'full';
    this.#instruments = instruments;
    this.#enabled = config.followers.filter((f) => f.enabled).map((f) => f.name);
    for (const f of config.followers) {
      this.#accounts.set(f.name, {
        name: f.name,
        broker: f.broker,
        account: f.account,
        orders: {
          placed: 0,
          filled: 0,
          rejected: 0,
          blocked: 0,
          skipped: 0,
          timedOut: 0,
          failed: 0,
          cancelled: 0,
        },
        fills: [],
        positions: [],
        realizedPnl: '0.00',
        unrealizedPnl: '0.00',
        blocked: [],
        skipped: [],
        rejected: [],
        timedOut: [],
        failed: [],
        drift: [],
        status: [],
      });
    }
  }

  /** Feeds one engine event. */
  onEvent = (event: EngineEvent): void => {
    switch (event.type) {
      case 'signal-received':
        this.#signals++;
        if (this.#full && !this.#events.has(event.signal.signalId)) {
          const line = this.#lines.get(event.signal.signalId) ?? 0;
          this.#lines.delete(event.signal.signalId);
          this.#events.set(event.signal.signalId, {
            signalId: event.signal.signalId,
            line,
            action: event.signal.action,
            legs: [],
          });
        }
        break;
      case 'signal-completed':
        this.#copied++;
        this.#events.get(event.signalId)?.legs.push(...event.outcomes);
        break;
      case 'signal-rejected':
        this.#signals++;
        this.#signalErrors.push({
          line: event.line ?? 0,
          field: event.field,
          message: event.message,
          ...(event.signalId !== undefined ? { signalId: event.signalId } : {}),
        });
        break;
      case 'order-placed': {
        const a = this.#accounts.get(event.intent.follower);
        if (!a) break;
        a.orders.placed++;
        this.#latencies.add(event.latencyMs);
        break;
      }
      case 'order-filled': {
        const a = this.#accounts.get(event.follower);
        if (!a) break;
        const e = event.execution;
        a.orders.filled++;
        if (!this.#full) break;
        a.fills.push({
          time: new Date(e.time).toISOString(),
          contract: contractKey(e.contract),
          side: e.side,
          qty: e.qty,
          price: ticksToPrice(e.priceTicks, this.#instruments.get(e.contract.root).tickSize),
          ...(e.intentId !== undefined ? { intentId: e.intentId } : {}),
        });
        break;
      }
      case 'order-blocked': {
        const a = this.#accounts.get(event.intent.follower);
        if (!a) break;
        if (this.#full) this.#why.set(event.intent.intentId, event.reason);
        if (NOT_VIOLATIONS.has(event.reason)) {
          a.orders.skipped++;
          if (this.#full)
            a.skipped.push({ signalId: event.intent.signalId, reason: event.reason, message: event.message });
        } else {
          a.orders.blocked++;
          if (this.#full)
            a.blocked.push({
              signalId: event.intent.signalId,
              intentId: event.intent.intentId,
              reason: event.reason,
              message: event.message,
            });
        }
        break;
      }
      case 'order-rejected': {
        const a = this.#accounts.get(event.intent.follower);
        if (!a) break;
        a.orders.rejected++;
        if (!this.#full) break;
        this.#why.set(event.intent.intentId, event.code);
        a.rejected.push({
          signalId: event.intent.signalId,
          intentId: event.intent.intentId,
          code: event.code,
          reason: event.reason,
        });
        break;
      }
      case 'order-timed-out': {
        const a = this.#accounts.get(event.intent.follower);
        if (!a) break;
        a.orders.timedOut++;
        if (this.#full) a.timedOut.push({ signalId: event.intent.signalId, intentId: event.intent.intentId });
        break;
      }
      case 'order-failed': {
        const a = this.#accounts.get(event.intent.follower);
        if (!a) break;
        a.orders.failed++;
        if (!this.#full) break;
        this.#why.set(event.intent.intentId, event.code);
        a.failed.push({
          signalId: event.intent.signalId,
          intentId: event.intent.intentId,
          code: event.code,
          message: event.message,
        });
        break;
      }
      case 'order-cancelled': {
        const a = this.#accounts.get(event.follower);
        if (a) a.orders.cancelled++;
        break;
      }
      case 'account-status': {
        const a = this.#accounts.get(event.follower);
        if (a)
          a.status.push(
            `${new Date(event.time).toISOString()} ${event.status}${event.reason ? `: ${event.reason}` : ''}`,
          );
        break;
      }
      default:
        break;
    }
  };

  /** Notes the input line of a signal about to be submitted (for the `events` section). */
  noteSignalLine(signalId: string, line: number): void {
    if (this.#full && !this.#lines.has(signalId)) this.#lines.set(signalId, line);
  }

  /** The `events` section: per leader event, one compact outcome per enabled follower. */
  #buildEvents(): EventReport[] {
    return [...this.#events.values()].map((e) => {
      const outcomes: Record<string, string> = {};
      for (const follower of this.#enabled) {
        const legs = e.legs.filter((l) => l.follower === follower);
        const one = (l: Leg) => {
          const why = this.#why.get(l.intentId) ?? l.code;
          return why !== undefined && l.outcome !== 'placed' && l.outcome !== 'filled'
            ? `${l.outcome} ${why}`
            : l.outcome;
        };
        outcomes[follower] =
          legs.length === 0
            ? 'none'
            : legs.length === 1
              ? one(legs[0]!)
              : legs.map((l) => `${l.leg} ${one(l)}`).join('; ');
      }
      return { signalId: e.signalId, line: e.line, action: e.action, outcomes };
    });
  }

  /** Adds input-file errors (lines that never reached the engine). */
  addInputErrors(errors: readonly ReplayInputError[]): void {
    this.#signalErrors.push(...errors);
    this.#signals += errors.length;
  }

  /** Builds the report; `finalPositions` and `targets` come from the engine at the end. */
  build(args: {
    input: ReplayReport['input'];
    leader: ReplayReport['leader'];
    positions: (follower: string) => Position[];
    targets: (follower: string) => Map<string, number>;
    clock: 'virtual' | 'wall';
  }): ReplayReport {
    const accounts = [...this.#accounts.values()].map((a) => {
      const positions = args.positions(a.name);
      let realized: Money = 0;
      let unrealized: Money = 0;
      for (const p of positions) {
        realized += p.realizedPnl;
        unrealized += p.unrealizedPnl;
      }
      const targets = args.targets(a.name);
      const keys = new Set([
        ...targets.keys(),
        ...positions.filter((p) => p.netQty !== 0).map((p) => contractKey(p.contract)),
      ]);
      const drift = [...keys]
        .sort()
        .map((k) => ({
          contract: k,
          follower: positions.find((p) => contractKey(p.contract) === k)?.netQty ?? 0,
          leader: targets.get(k) ?? 0,
        }))
        .filter((d) => d.follower !== d.leader);
      return {
        ...a,
        positions: positions.map((p) => ({
          contract: contractKey(p.contract),
          netQty: p.netQty,
          avgPrice: p.avgPrice,
          realizedPnl: formatMoney(p.realizedPnl),
          unrealizedPnl: formatMoney(p.unrealizedPnl),
        })),
        realizedPnl: formatMoney(realized),
        unrealizedPnl: formatMoney(unrealized),
        drift,
      };
    });
    const errors = [...this.#signalErrors].sort((x, y) => x.line - y.line);
    return {
      version: 1,
      input: args.input,
      signals: { count: this.#signals, copied: this.#copied, errors },
      leader: args.leader,
      accounts,
      latency: this.#latencies.report(args.clock),
      violations: accounts.reduce((n, a) => n + a.orders.blocked, 0),
      events: this.#buildEvents(),
    };
  }
}
