import type { ConnectionState, EngineConfig, EngineEvent } from '@tradenova/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** States of a breaker, one series each (a Prometheus state set: the current one is 1). */
const BREAKER_STATES = ['closed', 'half-open', 'open', 'isolated'] as const;
const CONNECTION_STATES: readonly ConnectionState[] = [
  'connecting',
  'connected',
  'reconnecting',
  'disconnected',
];

/** Outcomes counted by `tradenova_orders_total`. */
export type OrderOutcome = 'placed' | 'filled' | 'rejected' | 'blocked' | 'timed_out' | 'failed';

/**
 * The run's Prometheus metrics (prom-client), in a registry of their own so
 * several sessions in one process (tests) never share counters. Names follow
 * the Prometheus rules: `tradenova_` prefix, base units (`_seconds`), `_total`
 * on counters, and labels of low cardinality (broker, connection, outcome;
 * never an account, an order or a signal id).
 *
 * `observe` is an engine listener. The lag gauges are hooks: the journal and the
 * Kafka consumer set them (`setJournalLag`, `setKafkaLag`) where they run.
 */
export class RunMetrics {
  readonly registry = new Registry();
  readonly #brokerOf = new Map<string, string>();
  readonly #latency: Histogram<'broker'>;
  readonly #orders: Counter<'broker' | 'outcome'>;
  readonly #signals: Counter<'outcome'>;
  readonly #breaker: Gauge<'broker' | 'connection' | 'state'>;
  readonly #connection: Gauge<'broker' | 'connection' | 'state'>;
  readonly #journalLag: Gauge;
  readonly #kafkaLag: Gauge<'group' | 'topic' | 'partition'>;
  readonly #serviceDegraded: Gauge<'service'>;
  readonly #drift: Counter<'broker'>;
  readonly #killSwitch: Gauge;
  #killWatch: (() => Promise<boolean>) | undefined;
  readonly #pnl: Gauge<'follower' | 'kind'>;
  #pnlWatch: (() => { follower: string; realized: number; unrealized: number }[]) | undefined;
  #watched: (() => { broker: string; connection: string; state: ConnectionState }[]) | undefined;
  #journalWatch: (() => number) | undefined;
  #kafkaWatch:
    | (() => Promise<{ group: string; topic: string; partition: number; lag: number }[]>)
    | undefined;

  constructor(config: EngineConfig, options: { processMetrics?: boolean } = {}) {
    for (const f of config.followers) this.#brokerOf.set(f.name, f.broker);
    const registers = [this.registry];
    this.#latency = new Histogram({
      name: 'tradenova_copy_latency_seconds',
      help: 'From the leader signal reaching TradeNova to the follower broker acknowledging the order.',
      labelNames: ['broker'],
      // Copies are meant to take well under a second; the top buckets catch the 2.5 s deadline.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.#orders = new Counter({
      name: 'tradenova_orders_total',
      help: 'Follower orders by broker and outcome (placed, filled, rejected, blocked, timed_out, failed).',
      labelNames: ['broker', 'outcome'],
      registers,
    });
    this.#signals = new Counter({
      name: 'tradenova_signals_total',
      help: 'Leader signals received, and signals refused (bad input, a webhook refusal, a duplicate).',
      labelNames: ['outcome'],
      registers,
    });
    this.#breaker = new Gauge({
      name: 'tradenova_breaker_state',
      help: 'Circuit breaker state per broker connection: 1 for the current state (closed, half-open, open, isolated).',
      labelNames: ['broker', 'connection', 'state'],
      registers,
    });
    this.#connection = new Gauge({
      name: 'tradenova_connection_state',
      help: 'Broker connection state: 1 for the current state (connecting, connected, reconnecting, disconnected).',
      labelNames: ['broker', 'connection', 'state'],
      registers,
      // Read from the connections at scrape time when they are watched: a connection that never reported a change still shows.
      collect: () => {
        for (const c of this.#watched?.() ?? []) this.setConnection(c.broker, c.connection, c.state);
      },
    });
    this.#journalLag = new Gauge({
      name: 'tradenova_journal_lag_events',
      help: 'Engine events not yet written to the journal (read from the journal at scrape time when one runs).',
      registers,
      collect: () => {
        if (this.#journalWatch) this.#journalLag.set(this.#journalWatch());
      },
    });
    this.#kafkaLag = new Gauge({
      name: 'tradenova_kafka_consumer_lag_messages',
      help: 'Messages behind the end of a partition, per consumer group (asked of the cluster at scrape time when a consumer runs).',
      labelNames: ['group', 'topic', 'partition'],
      registers,
      collect: async () => {
        // A cluster that does not answer leaves the last figures: the scrape still succeeds.
        const rows = await this.#kafkaWatch?.().catch(() => undefined);
        for (const r of rows ?? []) this.setKafkaLag(r.group, r.topic, r.partition, r.lag);
      },
    });
    this.#serviceDegraded = new Gauge({
      name: 'tradenova_service_degraded',
      help: 'An outside service this process uses (kafka, postgres = the journal, redis, market-data) is failing and retried: 1, else 0.',
      labelNames: ['service'],
      registers,
    });
    this.#drift = new Counter({
      name: 'tradenova_drift_detected_total',
      help: 'Follower positions a reconciliation found off their scaled share of the leader (per contract), by broker.',
      labelNames: ['broker'],
      registers,
    });
    this.#killSwitch = new Gauge({
      name: 'tradenova_kill_switch_engaged',
      help: 'The global kill switch (no new entries anywhere): 1 when engaged (read from the control store at scrape time when one runs).',
      registers,
      collect: async () => {
        // A store that does not answer in time leaves the last value: the scrape still succeeds.
        const engaged = await withTimeout(this.#killWatch?.(), 1000);
        if (engaged !== undefined) this.#killSwitch.set(engaged ? 1 : 0);
      },
    });
    this.#pnl = new Gauge({
      name: 'tradenova_follower_pnl',
      help: 'Session P&L per follower (by its config name, never its account id) in the account currency: kind realized or unrealized. Read at scrape time for the followers this process holds.',
      labelNames: ['follower', 'kind'],
      registers,
      collect: () => {
        for (const p of this.#pnlWatch?.() ?? []) {
          this.#pnl.set({ follower: p.follower, kind: 'realized' }, p.realized / 1000);
          this.#pnl.set({ follower: p.follower, kind: 'unrealized' }, p.unrealized / 1000);
        }
      },
    });
    for (const outcome of ['received', 'rejected']) this.#signals.inc({ outcome }, 0);
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'tradenova_' });
  }

  /** Engine listener: pass to `engine.on`. */
  readonly observe = (event: EngineEvent): void => {
    switch (event.type) {
      case 'order-placed':
        this.#latency.observe({ broker: event.intent.broker }, event.latencyMs / 1000);
        this.#orders.inc({ broker: event.intent.broker, outcome: 'placed' });
        return;
      case 'order-filled':
        this.#orders.inc({ broker: this.#brokerOf.get(event.follower) ?? 'unknown', outcome: 'filled' });
        return;
      case 'order-rejected':
        this.#orders.inc({ broker: event.intent.broker, outcome: 'rejected' });
        return;
      case 'order-blocked':
        this.#orders.inc({ broker: event.intent.broker, outcome: 'blocked' });
        return;
      case 'order-timed-out':
        this.#orders.inc({ broker: event.intent.broker, outcome: 'timed_out' });
        return;
      case 'order-failed':
        this.#orders.inc({ broker: event.intent.broker, outcome: 'failed' });
        return;
      case 'signal-received':
        this.#signals.inc({ outcome: 'received' });
        return;
      case 'signal-rejected':
        this.#signals.inc({ outcome: 'rejected' });
        return;
      case 'breaker-changed':
        this.setBreaker(event.broker, event.connection, event.state);
        return;
      case 'connection-status':
        this.setConnection(event.broker, event.connection, event.state);
        return;
      case 'service-status':
        this.#serviceDegraded.set({ service: event.service }, event.state === 'degraded' ? 1 : 0);
        return;
      case 'position-reconciled':
        if (event.broker !== event.target)
          this.#drift.inc({ broker: this.#brokerOf.get(event.follower) ?? 'unknown' });
        return;
      default:
        return;
    }
  };

  /** Sets a connection's breaker state (every connection starts closed). */
  setBreaker(broker: string, connection: string, state: (typeof BREAKER_STATES)[number]): void {
    for (const s of BREAKER_STATES) this.#breaker.set({ broker, connection, state: s }, s === state ? 1 : 0);
  }

  /** Sets a connection's state. */
  setConnection(broker: string, connection: string, state: ConnectionState): void {
    for (const s of CONNECTION_STATES)
      this.#connection.set({ broker, connection, state: s }, s === state ? 1 : 0);
  }

  /** Reads every connection's state at each scrape (besides the engine's connection-status events). */
  watchConnections(read: () => { broker: string; connection: string; state: ConnectionState }[]): void {
    this.#watched = read;
  }

  /** Reads the journal's unwritten events at each scrape. */
  watchJournal(read: () => number): void {
    this.#journalWatch = read;
  }

  /** Asks for the consumer groups' lag at each scrape. */
  watchKafkaLag(
    read: () => Promise<{ group: string; topic: string; partition: number; lag: number }[]>,
  ): void {
    this.#kafkaWatch = read;
  }

  /** Marks a service as working until it reports otherwise (so the alert has a series to read). */
  watchService(service: 'kafka' | 'postgres' | 'redis' | 'market-data'): void {
    this.#serviceDegraded.set({ service }, 0);
  }

  /** Reads the followers' P&L (in mils) at each scrape. */
  watchPnl(read: () => { follower: string; realized: number; unrealized: number }[]): void {
    this.#pnlWatch = read;
  }

  /** Reads the kill switch at each scrape. */
  watchKillSwitch(read: () => Promise<boolean>): void {
    this.#killWatch = read;
  }

  /** Hook for the journal: events waiting to be written. */
  setJournalLag(events: number): void {
    this.#journalLag.set(events);
  }

  /** Hook for a Kafka consumer: messages behind the end of one partition. */
  setKafkaLag(group: string, topic: string, partition: number, lag: number): void {
    this.#kafkaLag.set({ group, topic, partition: String(partition) }, lag);
  }

  /** The exposition text, as `/metrics` serves it. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The value, or undefined when it is late, fails or is absent. */
async function withTimeout<T>(promise: Promise<T> | undefined, ms: number): Promise<T | undefined> {
  if (!promise) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise.catch(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
