import type { BrokerConnection } from '../adapter/contract.js';
import { systemClock } from '../clock/clock.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import type { EngineConfig } from '../config/schema.js';
import { type ConnectionPlan, createEngine, type SignalResult } from '../engine/engine.js';
import { prepareNewOrder } from '../engine/intents.js';
import { ErrorCode, SignalError, TradeNovaError } from '../errors.js';
import { type Contract, contractKey, parseContract } from '../instruments/contract.js';
import { defaultInstruments, type InstrumentRegistry } from '../instruments/registry.js';
import { parseSignal } from '../model/parse-signal.js';
import { parseMoney } from '../money/money.js';
import { priceToTicksRounded, type Ticks, ticksToPrice } from '../money/price.js';
import { PaperBroker } from '../paper/paper-broker.js';
import { SimulatedExchange } from '../paper/simulated-exchange.js';
import { planFollowerConnections } from './connections.js';
import type { ReplayInputError, ReplayRecord } from './records.js';
import { type ReplayReport, ReportCollector } from './report.js';

export interface ReplayOptions {
  config: EngineConfig;
  records: readonly ReplayRecord[];
  /** Lines of the input that could not be parsed (they go into the report). */
  inputErrors?: readonly ReplayInputError[];
  instruments?: InstrumentRegistry;
  /**
   * Makes the connection for a non-paper broker: a broker simulator over real
   * sockets, with the simulated exchange behind it so the replay can feed it the
   * recorded prices. Such connections run on the wall clock, so after every
   * record the replay waits for them to settle (orders answered, fills in)
   * before the virtual clock moves on; the outcome stays deterministic.
   */
  connect?: (plan: ConnectionPlan) => Promise<{ connection: BrokerConnection; exchange: SimulatedExchange }>;
  /** How long to wait for external connections to settle after a record (wall ms). */
  settleTimeoutMs?: number;
  /** Progress callback, called every `progressEvery` records. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

/**
 * Replays a recorded session through the copy engine on paper brokers with a
 * virtual clock. The same records and config always give the same report.
 *
 * The leader is mirrored in its own zero-latency simulated exchange: its market
 * orders fill at the price its broker reported, its resting orders fill when the
 * recorded prices reach them, and those fills move the leader position that
 * exits and reversals are scaled against.
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  const { config, records } = options;
  const instruments = options.instruments ?? defaultInstruments;
  const start = records[0]?.time ?? 0;
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
  });
  const leaderExchange = new SimulatedExchange({ clock, instruments, idPrefix: 'L' });
  const leaderAccount = config.leader.account;
  leaderExchange.openAccount(leaderAccount, 0);

  const connections: Record<string, BrokerConnection> = {};
  const external: {
    key: string;
    exchange: SimulatedExchange;
    accounts: { follower: string; accountId: string }[];
  }[] = [];
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
      const made = await options.connect(plan);
      connections[plan.key] = made.connection;
      external.push({
        key: plan.key,
        exchange: made.exchange,
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
    // Real sockets run on real time: their deadlines and request budgets too.
    connectionClocks: Object.fromEntries(external.map((e) => [e.key, systemClock])),
  });
  const collector = new ReportCollector(config, instruments);
  collector.addInputErrors(options.inputErrors ?? []);
  engine.on(collector.onEvent);
  leaderExchange.onEvent((event) => {
    if (event.type === 'order-filled') engine.applyLeaderFill(event.fill);
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
  const applyQuote = (c: Contract, bid: string, ask: string) => {
    for (const target of priceContracts(c)) {
      const q = { bidTicks: ticksOf(target, bid), askTicks: ticksOf(target, ask) };
      for (const x of exchanges) x.updateQuote(target, q);
      engine.mark(target, { bid: q.bidTicks, ask: q.askTicks });
    }
    leaderExchange.updateQuote(c, { bidTicks: ticksOf(c, bid), askTicks: ticksOf(c, ask) });
  };
  const applyTrade = (c: Contract, price: string) => {
    for (const target of priceContracts(c)) {
      const t = ticksOf(target, price);
      for (const x of exchanges) x.updateTrade(target, t);
      engine.mark(target, { last: t });
    }
    leaderExchange.updateTrade(c, ticksOf(c, price));
  };

  const leaderOrderIds = new Map<string, MirrorIds>();
  const pending: Promise<SignalResult>[] = [];
  const counts = { records: records.length, signals: 0, quotes: 0, trades: 0 };
  const every = options.progressEvery ?? 1000;
  let done = 0;
  for (const record of records) {
    await clock.advanceTo(record.time);
    engine.tick();
    try {
      switch (record.kind) {
        case 'quote': {
          counts.quotes++;
          applyQuote(
            parseContract(record.instrument, { at: record.time, registry: instruments }),
            record.bid,
            record.ask,
          );
          break;
        }
        case 'trade': {
          counts.trades++;
          applyTrade(
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
            applyTrade(contract, signal.fillPrice);
          }
          // Submit first: the engine reads the leader position before the leader's own fill lands.
          pending.push(engine.submit(record.raw, { line: record.line }));
          await mirrorLeader(leaderExchange, leaderAccount, signal, contract, leaderOrderIds, instruments);
          break;
        }
      }
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      const field = error instanceof SignalError ? error.field : 'instrument';
      const message = error instanceof SignalError ? error.reason : error.message;
      collector.addInputErrors([{ line: record.line, field, message }]);
    }
    if (external.length > 0) await settleExternal(engine, external, options.settleTimeoutMs ?? 10_000);
    done++;
    if (options.onProgress && done % every === 0) options.onProgress(done, records.length);
  }
  await clock.runUntilIdle();
  await Promise.all(pending);
  await engine.idle();
  await clock.runUntilIdle();
  options.onProgress?.(records.length, records.length);

  const leaderPositions = [...engine.leaderPositions()]
    .filter(([, q]) => q !== 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([contract, netQty]) => ({ contract, netQty }));
  const report = collector.build({
    input: counts,
    leader: { name: config.leader.name, account: config.leader.account, positions: leaderPositions },
    positions: (name) => engine.positions(name),
    targets: (name) => engine.targets(name),
    clock: 'virtual',
  });
  await engine.stop();
  return report;
}

/**
 * Waits until every follower order sent over a real socket is answered and
 * every fill the simulator made has reached the engine: the engine's queues are
 * empty and its positions equal the simulated exchange's.
 */
async function settleExternal(
  engine: ReturnType<typeof createEngine>,
  external: { exchange: SimulatedExchange; accounts: { follower: string; accountId: string }[] }[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Only the followers on real sockets: paper followers wait on the virtual clock, which is not moving now.
  const followers = external.flatMap((e) => e.accounts.map((a) => a.follower));
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
      throw new TradeNovaError(
        ErrorCode.BrokerUnavailable,
        `simulated brokers did not answer within ${timeoutMs} ms`,
      );
    }
    let mismatch: string | undefined;
    for (const { exchange, accounts } of external) {
      for (const { follower, accountId } of accounts) {
        const theirs = new Map(
          exchange.getPositions(accountId).map((p) => [contractKey(p.contract), p.netQty]),
        );
        const ours = new Map(engine.positions(follower).map((p) => [contractKey(p.contract), p.netQty]));
        for (const key of new Set([...theirs.keys(), ...ours.keys()])) {
          if ((theirs.get(key) ?? 0) !== (ours.get(key) ?? 0)) {
            mismatch ??= `${follower} ${key}: broker ${theirs.get(key) ?? 0}, engine ${ours.get(key) ?? 0}`;
          }
        }
      }
    }
    if (mismatch === undefined) return;
    if (Date.now() > deadline) {
      throw new TradeNovaError(
        ErrorCode.BrokerUnavailable,
        `simulated brokers did not settle within ${timeoutMs} ms: ${mismatch} (fills missing over the wire?)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Exchange ids of the leader's mirrored order and its bracket children. */
interface MirrorIds {
  entry: string;
  stopLoss?: string;
  takeProfit?: string;
}

/** Applies a leader signal to the leader's own mirror account. */
async function mirrorLeader(
  leader: SimulatedExchange,
  accountId: string,
  signal: ReturnType<typeof parseSignal>,
  contract: Contract | undefined,
  ids: Map<string, MirrorIds>,
  instruments: InstrumentRegistry,
): Promise<void> {
  try {
    switch (signal.action) {
      case 'new': {
        if (!contract) return;
        const spec = instruments.get(contract.root);
        const t = (p: string) => priceToTicksRounded(p, spec.tickSize);
        const last = leader.marketState(contract).lastTicks;
        const prepared = prepareNewOrder(
          signal,
          contract,
          spec,
          0,
          last === undefined ? undefined : ticksToPrice(last, spec.tickSize),
        );
        const ack = await leader.placeOrder({
          accountId,
          clientOrderId: signal.leaderOrderId,
          contract,
          side: signal.side,
          qty: signal.qty,
          orderType: signal.orderType,
          ...(signal.limitPrice !== undefined ? { limitTicks: t(signal.limitPrice) } : {}),
          ...(signal.stopPrice !== undefined ? { stopTicks: t(signal.stopPrice) } : {}),
          ...(prepared.stopLossPrice !== undefined || prepared.takeProfitPrice !== undefined
            ? {
                bracket: {
                  ...(prepared.stopLossPrice !== undefined
                    ? { stopLossTicks: t(prepared.stopLossPrice) }
                    : {}),
                  ...(prepared.takeProfitPrice !== undefined
                    ? { takeProfitTicks: t(prepared.takeProfitPrice) }
                    : {}),
                },
              }
            : {}),
        });
        ids.set(signal.leaderOrderId, {
          entry: ack.orderId,
          ...(ack.childOrderIds?.stopLoss ? { stopLoss: ack.childOrderIds.stopLoss } : {}),
          ...(ack.childOrderIds?.takeProfit ? { takeProfit: ack.childOrderIds.takeProfit } : {}),
        });
        break;
      }
      case 'modify': {
        const mirror = ids.get(signal.leaderOrderId);
        const leg = signal.leg ?? 'entry';
        const orderId =
          leg === 'entry' ? mirror?.entry : leg === 'stop-loss' ? mirror?.stopLoss : mirror?.takeProfit;
        if (!orderId) return;
        const order = leader.getOrder(orderId);
        if (!order) return;
        const tick = instruments.get(order.contract.root).tickSize;
        const price = signal.limitPrice ?? signal.stopPrice;
        await leader.modifyOrder({
          accountId,
          orderId,
          ...(signal.qty !== undefined && leg === 'entry' ? { qty: signal.qty } : {}),
          ...(leg === 'entry' && signal.limitPrice !== undefined
            ? { limitTicks: priceToTicksRounded(signal.limitPrice, tick) }
            : {}),
          ...(leg === 'entry' && signal.stopPrice !== undefined
            ? { stopTicks: priceToTicksRounded(signal.stopPrice, tick) }
            : {}),
          ...(leg === 'stop-loss' && price !== undefined
            ? { stopTicks: priceToTicksRounded(price, tick) }
            : {}),
          ...(leg === 'take-profit' && price !== undefined
            ? { limitTicks: priceToTicksRounded(price, tick) }
            : {}),
        });
        break;
      }
      case 'cancel': {
        const mirror = ids.get(signal.leaderOrderId);
        const leg = signal.leg ?? 'entry';
        const orderId =
          leg === 'entry' ? mirror?.entry : leg === 'stop-loss' ? mirror?.stopLoss : mirror?.takeProfit;
        if (orderId) await leader.cancelOrder({ accountId, orderId });
        break;
      }
      case 'flatten':
        await leader.flatten({ accountId, ...(contract ? { contract } : {}) });
        break;
    }
  } catch {
    // The leader's broker already did this; a mirror that cannot follow (an order
    // already filled, say) must not stop the replay.
  }
}
