import {
  defaultInstruments,
  type EngineConfig,
  type EngineEvent,
  type EventBus,
  LeaderMirror,
  type Logger,
  SignalError,
  silentLogger,
  systemClock,
  TOPICS,
  type TradeSignal,
} from '@tradenova/core';
import { routeSignal } from '@tradenova/core/engine';
import { journaled } from '../services/journal/durable.js';
import type { Journal } from '../services/journal/journal.js';
import type { KafkaClient, KafkaProducer } from '../services/kafka/client.js';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_SESSION_TIMEOUT_MS } from '../services/kafka/group-timing.js';
import { KafkaSignalSource } from '../services/kafka/signal-source.js';
import { prefixed } from '../services/kafka/topics.js';
import { encodeRouted, intentPartitions } from './codec.js';
import { journaledLeaderSignals, LEADER_HISTORY_MS } from './leader-history.js';

/** Settings of a router. */
export interface RouterOptions {
  config: EngineConfig;
  client: KafkaClient;
  /** Topic prefix. */
  prefix: string;
  /** Consumer group prefix: the router joins `<group>-router`. */
  group: string;
  /** Where the router's events go (the journal and the Kafka sink listen on it). */
  bus: EventBus;
  journal?: Journal;
  /** Longest wait for the journal before an offset is committed anyway (default 2 s). */
  journalWaitMs?: number;
  /** Each new assignment: the partitions of `trade.signals` this router owns. */
  onAssignment?: (partitions: number[]) => void;
  /** Longest a rebuild of the leader position from the journal may take before routing goes on without it (default 10 s). */
  rebuildTimeoutMs?: number;
  /** How long the group waits for a silent (killed) router before its instruments move (default 3 s, raised to the broker's minimum). */
  sessionTimeoutMs?: number;
  /** How often the router tells the group it is alive (default 500 ms). */
  heartbeatIntervalMs?: number;
  logger?: Logger;
}

/** What a router did. */
export interface RouterStats {
  signals: number;
  /** Routed intents published on `trade.intents`. */
  routed: number;
  /** Signals refused (malformed, or an instrument no follower can trade). */
  rejected: number;
  /** Journaled leader signals re-applied at the last rebuild of the leader position. */
  leaderSignalsReplayed: number;
}

/**
 * The router role: reads `trade.signals` in the `<group>-router` consumer group and
 * publishes one routed intent per enabled follower on `trade.intents`, keyed by account
 * id, on the partition of the account's connection, so each account's work (and each
 * broker login) lands on one partition and one executor, in order. A
 * signal's offset is committed only after its intents are acknowledged by Kafka and the
 * signal is journaled (or the journal wait ran out during an outage): once per fetched
 * batch, while the next batch is already being routed. A malformed signal
 * is a `signal-rejected` event (journal and `order.errors`) and the router goes on.
 */
export class Router {
  readonly #options: RouterOptions;
  readonly #logger: Logger;
  #producer: KafkaProducer | undefined;
  #partitions: number = TOPICS.intents.partitions;
  #source: KafkaSignalSource | undefined;
  readonly #stats: RouterStats = { signals: 0, routed: 0, rejected: 0, leaderSignalsReplayed: 0 };
  /**
   * The leader position the signals build (they come without the leader's fills): each
   * routed intent carries it, so an executor scales exits right whichever signals it saw.
   * Signals are keyed by instrument, so one partition holds one contract's history.
   */
  #leader: LeaderMirror;
  /** The leader mirror being rebuilt from the journal; routing waits for it. */
  #ready: Promise<void> = Promise.resolve();

  constructor(options: RouterOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#leader = this.#newMirror();
  }

  #newMirror(): LeaderMirror {
    return new LeaderMirror({
      accountId: this.#options.config.leader.account,
      clock: systemClock,
      instruments: defaultInstruments,
      onLeaderFill: () => {},
      logger: this.#logger,
    });
  }

  /**
   * A fresh leader mirror from the journaled signals: at start, and whenever this
   * router's share of `trade.signals` changes, since the signals that built the leader's
   * position may have been routed by another router (or by this one before a restart).
   * A signal routed but not yet committed is journaled before its offset, so nothing is
   * missed; one delivered again afterwards is known to the mirror and moves nothing.
   * Without a journal, or when it cannot answer, the mirror the router has is kept.
   */
  async #rebuildLeader(): Promise<void> {
    const journal = this.#options.journal;
    if (!journal) return;
    const mirror = this.#newMirror();
    let signals = 0;
    let abandoned = false;
    const replay = (async () => {
      for await (const signal of journaledLeaderSignals(
        journal,
        this.#options.config.leader.account,
        Date.now() - LEADER_HISTORY_MS,
      )) {
        if (abandoned) return;
        await mirror.apply(signal);
        signals++;
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const limitMs = this.#options.rebuildTimeoutMs ?? 10_000;
    try {
      // A slow or unreachable journal must not hold up routing for long.
      await Promise.race([
        replay,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${limitMs} ms`)), limitMs);
        }),
      ]);
    } catch (error) {
      abandoned = true;
      replay.catch(() => undefined);
      this.#logger.warn(
        { err: error },
        'router: leader position not rebuilt from the journal; keeping the one in hand',
      );
      return;
    } finally {
      clearTimeout(timer);
    }
    this.#leader = mirror;
    this.#stats.leaderSignalsReplayed = signals;
  }

  /** Joins the group; resolves once this member owns its partitions. */
  async start(): Promise<void> {
    const { client, prefix, group, config } = this.#options;
    this.#producer = await client.producer();
    this.#partitions = await intentPartitions(client, prefix);
    this.#source = new KafkaSignalSource({
      client,
      prefix,
      groupId: `${group}-router`,
      leaderAccount: config.leader.account,
      concurrency: TOPICS.signals.partitions,
      sessionTimeoutMs: this.#options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: this.#options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      report: (event) => this.#record(event, true),
      // The journal is waited for once per fetched batch, before its offsets are committed,
      // and behind the next batch: routing does not queue behind a flush.
      beforeCommit: () => this.#flush(),
      onAssignment: (partitions) => {
        this.#ready = this.#ready.then(() => this.#rebuildLeader());
        this.#options.onAssignment?.([...partitions].sort((a, b) => a - b));
      },
      logger: this.#logger,
    });
    await this.#source.start((signal) => this.#route(signal));
    await this.#ready;
  }

  /** Leaves the group after the signal in hand is routed. */
  async stop(): Promise<void> {
    const source = this.#source;
    const producer = this.#producer;
    this.#source = undefined;
    this.#producer = undefined;
    await source?.stop();
    await producer?.close();
  }

  /** The session timeout the router's group member joined with. */
  get sessionTimeoutMs(): number | undefined {
    return this.#source?.sessionTimeoutMs;
  }

  /** Partitions of `trade.signals` this router owns now. */
  assignment(): number[] {
    return this.#source?.assignment() ?? [];
  }

  get stats(): Readonly<RouterStats> {
    return { ...this.#stats };
  }

  async #route(signal: TradeSignal): Promise<void> {
    const producer = this.#producer;
    if (!producer) throw new Error('router: not started');
    await this.#ready;
    this.#stats.signals++;
    let routed: ReturnType<typeof routeSignal>;
    // A signal that states the leader's position corrects the mirror before it is read.
    await this.#leader.alignBefore(signal);
    try {
      routed = routeSignal(this.#options.config, signal, Date.now(), defaultInstruments, (c) =>
        this.#leader.netQty(c),
      );
    } catch (error) {
      if (!(error instanceof SignalError)) throw error;
      this.#record(
        {
          type: 'signal-rejected',
          time: Date.now(),
          signalId: signal.signalId,
          field: error.field,
          code: error.code,
          message: error.reason,
        },
        true,
      );
      return;
    }
    if (routed.length > 0) {
      await producer.send([
        {
          topic: prefixed(this.#options.prefix, TOPICS.intents.name),
          messages: routed.map((r) => encodeRouted(r, this.#partitions)),
        },
      ]);
    }
    this.#stats.routed += routed.length;
    await this.#leader.apply(signal);
    this.#record({ type: 'signal-received', time: Date.now(), signal }, false);
  }

  /** Publishes an event (the journal listens); the batch's offsets are committed once it is durable. */
  #record(event: EngineEvent, rejected: boolean): void {
    if (rejected) this.#stats.rejected++;
    this.#options.bus.publish(event);
  }

  async #flush(): Promise<void> {
    if (!(await journaled(this.#options.journal, this.#options.journalWaitMs ?? 2000))) {
      this.#logger.warn({}, 'router: journal not durable in time; going on');
    }
  }
}
