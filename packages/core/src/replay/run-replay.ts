import type { BrokerConnection } from '../adapter/contract.js';
import type { EngineEvent } from '../bus/events.js';
import type { Clock } from '../clock/clock.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import type { EngineConfig } from '../config/schema.js';
import type { SignalResult } from '../engine/api.js';
import type { ConnectionPlan } from '../engine/connections.js';
import { createEngine } from '../engine/engine.js';
import { SignalError } from '../errors.js';
import { type Contract, contractKey, parseContract } from '../instruments/contract.js';
import { defaultInstruments, type InstrumentRegistry } from '../instruments/registry.js';
import { LeaderMirror } from '../leader/mirror.js';
import type { PriceMarkable } from '../market-data/mark.js';
import { parseSignal } from '../model/parse-signal.js';
import type { Position } from '../model/position.js';
import { parseMoney } from '../money/money.js';
import { priceToTicksRounded, type Ticks } from '../money/price.js';
import { PaperBroker } from '../paper/paper-broker.js';
import { SimulatedExchange } from '../paper/simulated-exchange.js';
import { planFollowerConnections } from './connections.js';
import type { ReplayInputError, ReplayRecord } from './records.js';
import { type ReplayReport, ReportCollector, type ReportDetail } from './report.js';
import { ReplayWireClock } from './wire-clock.js';

export interface ReplayOptions {
  config: EngineConfig;
  /**
   * The session, in time order: an array, or a stream (`streamReplay`) for a session too big
   * to hold, which the replay reads one record at a time.
   */
  records: readonly ReplayRecord[] | AsyncIterable<ReplayRecord>;
  /**
   * Lines of the input that could not be parsed (they go into the report). Read when the
   * records are done, so a stream's parser may still be adding to it while the replay runs.
   */
  inputErrors?: readonly ReplayInputError[];
  /** How much the report keeps (default `full`; `summary` for huge sessions, see `ReportDetail`). */
  detail?: ReportDetail;
  instruments?: InstrumentRegistry;
  /**
   * Makes the connection for a non-paper broker: a broker simulator over real
   * sockets, with the simulated exchange behind it so the replay can feed it the
   * recorded prices. `session.clock` is the time such connections live in: the
   * replay's time for what they count (request limits), wall timers for what they wait
   * on; `session.stampClock` the same without the waits, for what only stamps times (an
   * exchange's fills); see `ReplayWireClock`. After every record the replay waits for them
   * to settle (orders answered, fills in) before the virtual clock moves on, so the
   * outcome stays deterministic.
   */
  connect?: (
    plan: ConnectionPlan,
    session: { clock: Clock; stampClock: Clock },
  ) => Promise<{ connection: BrokerConnection; exchange: SimulatedExchange }>;
  /**
   * How long a record may wait for external connections to settle (wall ms), on top of
   * one request-budget window when a connection declares a budget. A connection that
   * does not settle in time is reported (`status` of its followers) and not waited for again.
   */
  settleTimeoutMs?: number;
  /**
   * Routes every recorded price to the engine through a live price feed (the dxLink
   * simulator and the dxFeed client) instead of marking it directly: `publish`
   * resolves once the feed has delivered the price, so the outcome stays deterministic.
   */
  priceFeed?: ReplayPriceFeed;
  /** Sees every engine event as it happens (e.g. the journal, with `tradenova replay --journal`). */
  onEvent?: (event: EngineEvent) => void;
  /**
   * Called after every record, once the engine has settled on it at the record's
   * instant (with zero paper latency: orders answered, fills in; the virtual clock
   * does not move): the reference-model harness checks positions here. It does not
   * change the outcome: the report is the same with and without it.
   */
  afterRecord?: (record: ReplayRecord, index: number, state: ReplayState) => void | Promise<void>;
  /**
   * Sees the session after each record settled, and once more at the end: what a
   * report that plots the session reads (`tradenova replay --html`). Called often:
   * read only what you keep.
   */
  onStep?: (step: ReplayStep) => void;
  /**
   * Progress callback, called every `progressEvery` records and once at the end; `total` is
   * the number of records when they came as an array, undefined for a stream.
   */
  onProgress?: (done: number, total: number | undefined) => void;
  progressEvery?: number;
}

/** What a replay shows `afterRecord`: the engine's picture of the leader and of each follower. */
export interface ReplayState {
  /** The leader's net position per contract key (`MNQZ25`). */
  leaderPositions(): Map<string, number>;
  positions(follower: string): Position[];
}

/** The session between two records (see `ReplayOptions.onStep`). */
export interface ReplayStep {
  /** Virtual time (epoch ms). */
  readonly time: number;
  /** True on the last call, after every order settled. */
  readonly final: boolean;
  /** A follower's positions, marked at the latest prices. */
  positions(follower: string): Position[];
  /** The follower's scaled share of the leader, per follower contract key. */
  targets(follower: string): Map<string, number>;
  /** Signed leader position per contract key. */
  leaderPositions(): Map<string, number>;
  /** The latest recorded price of a contract key, in ticks: a trade's price, or a quote's mid (rounded down). */
  price(contract: string): Ticks | undefined;
}

/** A price feed a replay sends its recorded prices through (see `ReplayOptions.priceFeed`). */
export interface ReplayPriceFeed {
  /** Name for the report, e.g. `dxfeed`. */
  readonly name: string;
  /** Starts marking `target` from the feed; returns the function that stops it. */
  attach(target: PriceMarkable): () => void;
  /** Sends one price through the feed; resolves once the feed delivered it. */
  publish(contract: Contract, price: { bid?: Ticks; ask?: Ticks; last?: Ticks }): Promise<void>;
}

/**
 * Replays a recorded session through the copy engine on paper brokers with a
 * virtual clock. The same records and config always give the same report.
 *
 * The leader is mirrored (`LeaderMirror`): its market orders fill at the price its
 * broker reported, its resting orders when the recorded prices reach them, and
 * those fills move the leader position that exits and reversals scale against.
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  const { config } = options;
  const instruments = options.instruments ?? defaultInstruments;
  const total = Array.isArray(options.records) ? options.records.length : undefined;
  // The first record sets the clock; a stream is read once, so it is taken out and put back.
  const records = peekable(options.records as Iterable<ReplayRecord> | AsyncIterable<ReplayRecord>);
  const start = (await records.first())?.time ?? 0;
  const clock = new VirtualClock(start);
  const paper = config.paper;
  const exchange = new SimulatedExchange({
    clock,
    instruments,
    latencyMs: paper.latencyMs,
    jitterMs: paper.jitterMs,
    slippageTicks: paper.slippageTicks,
    rejectRate: paper.rejectRate,
    partialFills: paper.partialFills,
    seed: paper.seed,
    idPrefix: 'P',
    // Memory flat over millions of lines: the engine only ever asks about recent orders.
    finishedOrdersKept: 20_000,
  });
  const leaderAccount = config.leader.account;

  const connections: Record<string, BrokerConnection> = {};
  const wireClock = new ReplayWireClock(clock);
  const stampClock = new ReplayWireClock(clock, { frozen: true });
  const external: ExternalConnection[] = [];
  for (const plan of planFollowerConnections(config)) {
    if (plan.broker === 'paper') {
      connections[plan.key] = new PaperBroker(exchange, plan.accounts, {
        balances: Object.fromEntries(
          config.followers
            .filter((f) => plan.accounts.includes(f.account))
            .map((f) => [f.account, parseMoney(f.startingBalance, `followers.${f.name}.startingBalance`)]),
        ),
      });
    } else if (options.connect) {
      const made = await options.connect(plan, { clock: wireClock, stampClock });
      connections[plan.key] = made.connection;
      external.push({
        key: plan.key,
        exchange: made.exchange,
        budgetMs: made.connection.budget?.perMs ?? 0,
        problem: undefined,
        accounts: config.followers
          .filter((f) => plan.accounts.includes(f.account) && (f.connection ?? f.broker) === plan.key)
          .map((f) => ({ follower: f.name, accountId: f.account })),
      });
    } else {
      throw new SignalError(
        'broker',
        `followers on "${plan.broker}" need a simulator: run replay with --brokers simulated, or use broker: paper`,
      );
    }
  }

  const engine = createEngine(config, {
    clock,
    instruments,
    connections,
    // Real sockets: deadlines on wall timers, request budgets counted in session time.
    connectionClocks: Object.fromEntries(external.map((e) => [e.key, wireClock])),
  });
  const collector = new ReportCollector(
    config,
    instruments,
    options.detail ? { detail: options.detail } : {},
  );
  // Followers on real sockets: their latency is the wall time from the signal to the broker's
  // answer (on the virtual clock it would read 0, the clock stands still while they work).
  const wireFollowers = new Set(external.flatMap((e) => e.accounts.map((a) => a.follower)));
  const submittedAt = new Map<string, number>();
  const withWallLatency = (event: EngineEvent): EngineEvent => {
    if (event.type !== 'order-placed' || !wireFollowers.has(event.intent.follower)) return event;
    const at = submittedAt.get(event.intent.signalId);
    return { ...event, latencyMs: at === undefined ? 0 : Math.round(performance.now() - at) };
  };
  // The report and every listener (the HTML report's per-broker latency, a journal) see the same
  // figures: the wall latency is read once per event, not once per listener (two reads of the
  // clock can round to different milliseconds).
  const onEvent = options.onEvent;
  engine.on((event) => {
    const seen = withWallLatency(event);
    collector.onEvent(seen);
    onEvent?.(seen);
  });
  const leader = new LeaderMirror({
    accountId: leaderAccount,
    clock,
    instruments,
    onLeaderFill: (fill) => engine.applyLeaderFill(fill),
  });
  await engine.start();

  // Prices of a leader instrument also move the roots followers map it to (NQ → MNQ).
  const mappedRoots = new Map<string, Set<string>>();
  for (const f of config.followers) {
    for (const [from, to] of Object.entries(f.symbolMap)) {
      const set = mappedRoots.get(from) ?? new Set<string>();
      set.add(to.to);
      mappedRoots.set(from, set);
    }
  }
  const priceContracts = (c: Contract): Contract[] => [
    c,
    ...[...(mappedRoots.get(c.root) ?? [])].map((root) => ({ ...c, root })),
  ];
  const ticksOf = (c: Contract, price: string): Ticks =>
    priceToTicksRounded(price, instruments.get(c.root).tickSize, 'nearest');
  const exchanges = [exchange, ...external.map((e) => e.exchange)];
  // Only kept for `onStep`: the engine marks its own positions.
  const lastPrices = new Map<string, Ticks>();
  const feed = options.priceFeed;
  const detachFeed = feed?.attach(engine);
  let fedPrices = 0;
  // With a feed the engine is marked by what the feed delivers, never directly.
  const mark = async (target: Contract, price: { bid?: Ticks; ask?: Ticks; last?: Ticks }) => {
    if (!feed) return engine.mark(target, price);
    await feed.publish(target, price);
    fedPrices++;
  };
  // On paper a price fills the followers' resting orders before the leader's, inside one call;
  // over a wire the followers' fills come later. Waiting for them keeps that order, so the
  // engine re-plans working copies (after the leader's fills) from the same state either way.
  let recordLine: number | undefined;
  const followersFirst = async () => {
    if (external.length > 0)
      await settleExternal(engine, external, options.settleTimeoutMs ?? 10_000, recordLine, clock.now());
  };
  const applyQuote = async (c: Contract, bid: string, ask: string) => {
    for (const target of priceContracts(c)) {
      const q = { bidTicks: ticksOf(target, bid), askTicks: ticksOf(target, ask) };
      for (const x of exchanges) x.updateQuote(target, q);
      if (options.onStep) lastPrices.set(contractKey(target), Math.floor((q.bidTicks + q.askTicks) / 2));
      await mark(target, { bid: q.bidTicks, ask: q.askTicks });
    }
    await followersFirst();
    leader.quote(c, ticksOf(c, bid), ticksOf(c, ask));
  };
  const applyTrade = async (c: Contract, price: string) => {
    for (const target of priceContracts(c)) {
      const t = ticksOf(target, price);
      for (const x of exchanges) x.updateTrade(target, t);
      if (options.onStep) lastPrices.set(contractKey(target), t);
      await mark(target, { last: t });
    }
    await followersFirst();
    leader.trade(c, ticksOf(c, price));
  };

  const step = (final: boolean): ReplayStep => ({
    time: clock.now(),
    final,
    positions: (follower) => engine.positions(follower),
    targets: (follower) => engine.targets(follower),
    leaderPositions: () => engine.leaderPositions(),
    price: (contract) => lastPrices.get(contract),
  });
  // Submitted signals still being copied: only those are held, so memory does not grow with the session.
  const pending = new Set<Promise<SignalResult>>();
  let submitFailure: { error: unknown } | undefined;
  const track = (copy: Promise<SignalResult>) => {
    pending.add(copy);
    copy.then(
      () => pending.delete(copy),
      (error: unknown) => {
        pending.delete(copy);
        submitFailure ??= { error };
      },
    );
  };
  const counts = { records: 0, signals: 0, quotes: 0, trades: 0 };
  const every = options.progressEvery ?? 1000;
  let done = 0;
  // A stream's strict parser throws at the first bad line: the engine stops before the error goes on.
  const guarded = async function* () {
    try {
      yield* records;
    } catch (error) {
      detachFeed?.();
      // Orders on their way finish on the virtual clock before the engine can stop.
      await clock.runUntilIdle();
      await engine.stop();
      throw error;
    }
  };
  for await (const record of guarded()) {
    counts.records++;
    await clock.advanceTo(record.time);
    recordLine = record.line;
    engine.tick();
    try {
      switch (record.kind) {
        case 'quote': {
          counts.quotes++;
          await applyQuote(
            parseContract(record.instrument, { at: record.time, registry: instruments }),
            record.bid,
            record.ask,
          );
          break;
        }
        case 'trade': {
          counts.trades++;
          await applyTrade(
            parseContract(record.instrument, { at: record.time, registry: instruments }),
            record.price,
          );
          break;
        }
        case 'signal': {
          counts.signals++;
          const signal = parseSignal(record.raw, { leaderAccount, now: record.time }, record.line);
          const contract =
            'instrument' in signal && signal.instrument
              ? parseContract(signal.instrument, { at: signal.detectedAt, registry: instruments })
              : undefined;
          if (signal.action === 'new' && signal.fillPrice !== undefined && contract) {
            await applyTrade(contract, signal.fillPrice);
          }
          if (typeof record.raw.signalId === 'string')
            collector.noteSignalLine(record.raw.signalId, record.line);
          // Submit first: the engine reads the leader position before the leader's own fill lands.
          if (wireFollowers.size > 0) submittedAt.set(signal.signalId, performance.now());
          // Parsed once above: the engine takes the typed signal as it is.
          track(engine.submitParsed(signal, { line: record.line }));
          await leader.apply(signal);
          break;
        }
      }
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      const field = error instanceof SignalError ? error.field : 'instrument';
      const message = error instanceof SignalError ? error.reason : error.message;
      collector.addInputErrors([{ line: record.line, field, message }]);
    }
    if (external.length > 0)
      await settleExternal(engine, external, options.settleTimeoutMs ?? 10_000, record.line, clock.now());
    if (options.afterRecord) {
      // Timers due now run; the clock stays at the record's time. Only zero-latency paper orders
      // can all settle at this instant: with latency, orders still on their way are not waited for.
      await clock.advanceTo(clock.now());
      if (paper.latencyMs === 0 && paper.jitterMs === 0) await engine.idle();
      await clock.advanceTo(clock.now());
      await options.afterRecord(record, done, {
        leaderPositions: () => engine.leaderPositions(),
        positions: (name) => engine.positions(name),
      });
    }
    options.onStep?.(step(false));
    done++;
    if (options.onProgress && done % every === 0) options.onProgress(done, total);
  }
  collector.addInputErrors(options.inputErrors ?? []);
  await clock.runUntilIdle();
  if (external.some((e) => e.problem !== undefined)) {
    // A broker that stopped answering holds its followers' queues until their deadlines fire.
    await settleExternal(engine, external, options.settleTimeoutMs ?? 10_000, undefined, clock.now(), true);
  }
  await Promise.all(pending);
  if (submitFailure) throw submitFailure.error;
  await engine.idle();
  await clock.runUntilIdle();
  options.onProgress?.(done, total);
  options.onStep?.(step(true));

  const leaderPositions = [...engine.leaderPositions()]
    .filter(([, q]) => q !== 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([contract, netQty]) => ({ contract, netQty }));
  const report = collector.build({
    input: counts,
    leader: { name: config.leader.name, account: config.leader.account, positions: leaderPositions },
    positions: (name) => engine.positions(name),
    targets: (name) => engine.targets(name),
    clock: wireFollowers.size > 0 ? 'wall' : 'virtual',
  });
  for (const e of external) {
    if (e.problem === undefined) continue;
    for (const a of report.accounts) {
      if (e.accounts.some((x) => x.follower === a.name)) a.status.push(e.problem);
    }
  }
  detachFeed?.();
  await engine.stop();
  return feed ? { ...report, marketData: { source: feed.name, prices: fedPrices } } : report;
}

interface ExternalConnection {
  key: string;
  exchange: SimulatedExchange;
  accounts: { follower: string; accountId: string }[];
  /** The request-budget window the connection declares (ms), 0 without one: a request may wait that long. */
  budgetMs: number;
  /** Set once the connection did not settle in time: the status line its followers get. */
  problem: string | undefined;
}

/**
 * Waits until every follower order sent over a real socket is answered and
 * every fill the simulator made has reached the engine: the engine's queues are
 * empty and its positions equal the simulated exchange's.
 *
 * A connection that does not get there in time (a broker that stopped answering,
 * fills lost on the wire) is not an abort: the replay goes on, the engine's deadlines
 * record its orders as timed out or failed, and the connection is marked (`problem`,
 * which becomes a status line of each of its followers) and not waited for again.
 * `final` waits once more for every connection's queues, marked ones too, so the
 * report sees how their last orders ended.
 */
async function settleExternal(
  engine: ReturnType<typeof createEngine>,
  external: ExternalConnection[],
  timeoutMs: number,
  line: number | undefined,
  sessionTime: number,
  final = false,
): Promise<void> {
  const waiting = external.filter((e) => final || e.problem === undefined);
  if (waiting.length === 0) return;
  // A request may first wait a whole budget window for its turn, then has the timeout to be answered.
  const allowedMs = timeoutMs + Math.max(0, ...waiting.map((e) => e.budgetMs));
  const deadline = Date.now() + allowedMs;
  // Only the followers on real sockets: paper followers wait on the virtual clock, which is not moving now.
  const followers = waiting.flatMap((e) => e.accounts.map((a) => a.follower));
  const mark = (stuck: readonly ExternalConnection[], why: string) => {
    const at = new Date(sessionTime).toISOString();
    const where = line === undefined ? 'at the end of the replay' : `after line ${line}`;
    for (const e of stuck) {
      e.problem ??= `${at} broker-unresponsive: ${e.key} ${why} ${where} (within ${allowedMs} ms); its later orders are reported as they ended (timed out, failed)`;
    }
  };
  for (;;) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const idle = await Promise.race([
      engine.idle(followers).then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(0, left));
      }),
    ]);
    clearTimeout(timer);
    if (!idle) {
      if (!final) mark(waiting, 'did not answer');
      return;
    }
    const mismatched = new Map<ExternalConnection, string>();
    for (const e of waiting) {
      for (const { follower, accountId } of e.accounts) {
        const theirs = new Map(
          e.exchange.getPositions(accountId).map((p) => [contractKey(p.contract), p.netQty]),
        );
        const ours = new Map(engine.positions(follower).map((p) => [contractKey(p.contract), p.netQty]));
        for (const key of new Set([...theirs.keys(), ...ours.keys()])) {
          if ((theirs.get(key) ?? 0) !== (ours.get(key) ?? 0) && !mismatched.has(e)) {
            mismatched.set(
              e,
              `${follower} ${key}: broker ${theirs.get(key) ?? 0}, engine ${ours.get(key) ?? 0}`,
            );
          }
        }
      }
    }
    if (mismatched.size === 0) return;
    if (Date.now() > deadline) {
      for (const [e, what] of mismatched) mark([e], `did not settle (${what}: fills missing over the wire?)`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** An iterable whose first item can be looked at before the loop reads it (once). */
function peekable<T>(source: Iterable<T> | AsyncIterable<T>) {
  const iterator: AsyncIterator<T> | Iterator<T> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  let head: IteratorResult<T> | undefined;
  return {
    async first(): Promise<T | undefined> {
      head ??= await iterator.next();
      return head.done ? undefined : head.value;
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<T> {
      let next = head ?? (await iterator.next());
      head = undefined;
      while (!next.done) {
        yield next.value;
        next = await iterator.next();
      }
    },
  };
}
