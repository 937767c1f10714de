import {
  contractKey,
  defaultInstruments,
  type EngineConfig,
  type EngineEvent,
  type InstrumentRegistry,
  PositionLedger,
  parseContract,
  parseMoney,
} from '@tradenova/core';
import { percentile, type ReplayStep } from '@tradenova/core/replay';

/** What happened to one follower at one moment, for the position timeline. */
export interface SeriesMarker {
  /** Virtual time (epoch ms). */
  time: number;
  kind: 'drift' | 'blocked' | 'rejected' | 'failed' | 'timed-out' | 'status' | 'flattened' | 'reconciled';
  text: string;
}

/** One follower's curves; every array is aligned with `ReplaySeries.times`. */
export interface AccountSeries {
  name: string;
  broker: string;
  /** Starting balance + realized + unrealized P&L, in mils. */
  equity: number[];
  /** The same for an account holding exactly the scaled leader position (its target), in mils. */
  scaledLeader: number[];
  /** Net quantity and target per follower contract. */
  contracts: { contract: string; qty: number[]; target: number[] }[];
  markers: SeriesMarker[];
  /** Markers left out past `maxMarkers`. */
  markersDropped: number;
}

/** Copy latency percentiles of one broker (same nearest-rank rule as the JSON report). */
export interface BrokerLatency {
  broker: string;
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The time series a replay's HTML page plots, bounded in size whatever the session's length. */
export interface ReplaySeries {
  version: 1;
  /** Sample times (virtual epoch ms), ascending. */
  times: number[];
  /** The most samples kept; a longer session is sampled once per `span / maxPoints`. */
  maxPoints: number;
  /** True when steps were left out between samples (the session had more steps than `maxPoints`). */
  thinned: boolean;
  /** A follower off its target longer than this (virtual ms) gets a drift marker. */
  driftGraceMs: number;
  accounts: AccountSeries[];
  latencyByBroker: BrokerLatency[];
}

export interface SeriesOptions {
  /** First and last record time: the span the samples are spread over. */
  span: { start: number; end: number };
  maxPoints?: number;
  maxMarkers?: number;
  driftGraceMs?: number;
  instruments?: InstrumentRegistry;
}

interface Follower {
  series: AccountSeries;
  startingBalance: number;
  /** The ideal account: exactly the target, bought and sold at the recorded price when the target moved. */
  ideal: Map<string, PositionLedger>;
  targets: Map<string, number>;
  /** Contract → when it was first seen off target (cleared once back in line). */
  offSince: Map<string, number>;
  /** Contracts whose drift already has a marker in this episode. */
  driftMarked: Set<string>;
}

/**
 * Collects a replay's curves from its steps and events (`runReplay`'s `onStep` and
 * `onEvent`). Steps are sampled at most `maxPoints` times over the session's span;
 * the scaled-leader ledgers see every change of the leader's position, so the
 * scaled curve stays exact between samples. Drift is looked for at the samples.
 */
export class SeriesRecorder {
  readonly #followers = new Map<string, Follower>();
  readonly #brokerOf = new Map<string, string>();
  readonly #latencies = new Map<string, number[]>();
  readonly #times: number[] = [];
  readonly #instruments: InstrumentRegistry;
  readonly #maxPoints: number;
  readonly #maxMarkers: number;
  readonly #driftGraceMs: number;
  readonly #interval: number;
  #nextSample: number;
  /** Steps that fell between samples. */
  #skipped = 0;
  #leaderKey = '';

  constructor(config: EngineConfig, options: SeriesOptions) {
    this.#instruments = options.instruments ?? defaultInstruments;
    this.#maxPoints = Math.max(2, options.maxPoints ?? 2000);
    this.#maxMarkers = options.maxMarkers ?? 500;
    this.#driftGraceMs = options.driftGraceMs ?? 3000;
    this.#interval = Math.max(0, options.span.end - options.span.start) / this.#maxPoints;
    this.#nextSample = options.span.start;
    for (const f of config.followers) {
      this.#brokerOf.set(f.name, f.broker);
      this.#followers.set(f.name, {
        series: {
          name: f.name,
          broker: f.broker,
          equity: [],
          scaledLeader: [],
          contracts: [],
          markers: [],
          markersDropped: 0,
        },
        startingBalance: parseMoney(f.startingBalance, `followers.${f.name}.startingBalance`),
        ideal: new Map(),
        targets: new Map(),
        offSince: new Map(),
        driftMarked: new Set(),
      });
    }
  }

  /** `runReplay`'s `onStep`. */
  readonly onStep = (step: ReplayStep): void => {
    const leader = step.leaderPositions();
    const key = [...leader].map(([c, q]) => `${c}:${q}`).join(',');
    if (key !== this.#leaderKey) {
      this.#leaderKey = key;
      for (const [name, f] of this.#followers) this.#moveTargets(f, step.targets(name), step);
    }
    if (!step.final && step.time < this.#nextSample && this.#times.at(-1) !== step.time) {
      this.#skipped++;
      return;
    }
    this.#nextSample = step.time + this.#interval;
    this.#sample(step);
  };

  /** `runReplay`'s `onEvent`. */
  readonly onEvent = (event: EngineEvent): void => {
    switch (event.type) {
      case 'order-placed': {
        const broker = event.intent.broker;
        const list = this.#latencies.get(broker) ?? [];
        list.push(event.latencyMs);
        this.#latencies.set(broker, list);
        return;
      }
      case 'order-blocked':
        // Entries that scaled to zero are sizing, not risk: the report counts them as skipped.
        if (event.reason === 'SCALED_TO_ZERO' || event.reason === 'NO_STOP_FOR_RISK_SIZING') return;
        this.#mark(event.intent.follower, event.time, 'blocked', `${event.reason}: ${event.message}`);
        return;
      case 'order-rejected':
        this.#mark(event.intent.follower, event.time, 'rejected', `${event.code}: ${event.reason}`);
        return;
      case 'order-failed':
        this.#mark(event.intent.follower, event.time, 'failed', `${event.code}: ${event.message}`);
        return;
      case 'order-timed-out':
        this.#mark(event.intent.follower, event.time, 'timed-out', `no answer after ${event.afterMs} ms`);
        return;
      case 'account-status':
        if (event.status === 'enabled') return;
        this.#mark(
          event.follower,
          event.time,
          'status',
          `${event.status}${event.reason ? `: ${event.reason}` : ''}`,
        );
        return;
      case 'account-flattened':
        this.#mark(event.follower, event.time, 'flattened', `${event.contract} flattened: ${event.reason}`);
        return;
      case 'position-reconciled':
        this.#mark(
          event.follower,
          event.time,
          'reconciled',
          `${event.contract}: broker ${event.broker}, target ${event.target}, ordered ${event.ordered}`,
        );
        return;
      default:
        return;
    }
  };

  /** The series collected so far. */
  series(): ReplaySeries {
    const latencyByBroker = [...this.#latencies]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([broker, list]) => {
        const sorted = [...list].sort((x, y) => x - y);
        return {
          broker,
          count: sorted.length,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
          max: sorted.at(-1) ?? 0,
        };
      });
    return {
      version: 1,
      times: [...this.#times],
      maxPoints: this.#maxPoints,
      thinned: this.#skipped > 0,
      driftGraceMs: this.#driftGraceMs,
      accounts: [...this.#followers.values()].map((f) => f.series),
      latencyByBroker,
    };
  }

  /** The target moved: the ideal account trades the difference at the latest recorded price. */
  #moveTargets(f: Follower, next: Map<string, number>, step: ReplayStep): void {
    for (const contract of new Set([...f.targets.keys(), ...next.keys()])) {
      const delta = (next.get(contract) ?? 0) - (f.targets.get(contract) ?? 0);
      const price = step.price(contract);
      if (delta === 0 || price === undefined) continue;
      let ledger = f.ideal.get(contract);
      if (!ledger) {
        ledger = new PositionLedger(this.#tickValue(contract));
        f.ideal.set(contract, ledger);
      }
      ledger.apply(delta, price);
      f.targets.set(contract, (f.targets.get(contract) ?? 0) + delta);
    }
  }

  #sample(step: ReplayStep): void {
    // Steps at one virtual instant make one sample: the last one wins.
    const same = this.#times.at(-1) === step.time;
    if (!same && this.#times.length >= this.#maxPoints && !step.final) {
      this.#skipped++;
      return;
    }
    if (!same) this.#times.push(step.time);
    const at = this.#times.length - 1;
    for (const [name, f] of this.#followers) {
      const positions = step.positions(name);
      let equity = f.startingBalance;
      for (const p of positions) equity += p.realizedPnl + p.unrealizedPnl;
      let ideal = f.startingBalance;
      for (const [contract, ledger] of f.ideal) {
        const price = step.price(contract);
        ideal += ledger.realized + (price === undefined ? 0 : ledger.unrealizedAt(price));
      }
      f.series.equity[at] = equity;
      f.series.scaledLeader[at] = ideal;
      const held = new Map(positions.map((p) => [contractKey(p.contract), p.netQty]));
      for (const contract of new Set([...held.keys(), ...f.targets.keys()])) {
        let line = f.series.contracts.find((c) => c.contract === contract);
        if (!line) {
          line = { contract, qty: new Array(at).fill(0), target: new Array(at).fill(0) };
          f.series.contracts.push(line);
        }
      }
      for (const line of f.series.contracts) {
        const qty = held.get(line.contract) ?? 0;
        const target = f.targets.get(line.contract) ?? 0;
        line.qty[at] = qty;
        line.target[at] = target;
        this.#watchDrift(f, line.contract, qty, target, step.time, step.final);
      }
    }
  }

  /** A contract off target for longer than the grace (or at the end, as the report's drift) gets one marker per episode. */
  #watchDrift(
    f: Follower,
    contract: string,
    qty: number,
    target: number,
    time: number,
    final: boolean,
  ): void {
    if (qty === target) {
      f.offSince.delete(contract);
      f.driftMarked.delete(contract);
      return;
    }
    const since = f.offSince.get(contract) ?? time;
    f.offSince.set(contract, since);
    if ((final || time - since >= this.#driftGraceMs) && !f.driftMarked.has(contract)) {
      f.driftMarked.add(contract);
      this.#mark(f.series.name, since, 'drift', `${contract}: holds ${qty}, scaled leader ${target}`);
    }
  }

  #mark(follower: string, time: number, kind: SeriesMarker['kind'], text: string): void {
    const f = this.#followers.get(follower);
    if (!f) return;
    if (f.series.markers.length >= this.#maxMarkers) {
      f.series.markersDropped++;
      return;
    }
    f.series.markers.push({ time, kind, text });
  }

  #tickValue(contract: string): number {
    const c = parseContract(contract, { registry: this.#instruments });
    return this.#instruments.get(c.root).tickValue;
  }
}
