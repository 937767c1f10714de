import type { BrokerFill } from '../adapter/contract.js';
import type { Clock } from '../clock/clock.js';
import type { SignalResult, Source } from '../engine/api.js';
import { prepareNewOrder } from '../engine/intents.js';
import { type Contract, contractKey, parseContract } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import { parseSignal } from '../model/parse-signal.js';
import type { OrderLeg, TradeSignal } from '../model/signal.js';
import { priceToTicksRounded, type Ticks, ticksToPrice } from '../money/price.js';
import { SimulatedExchange } from '../paper/simulated-exchange.js';
import { type Logger, silentLogger } from '../util/logger.js';

/** Options of `LeaderMirror`. */
export interface LeaderMirrorOptions {
  /** The leader's account id (the mirror opens it on its own exchange). */
  accountId: string;
  clock: Clock;
  instruments: InstrumentRegistry;
  /** Every fill of the mirrored leader account: the engine's `applyLeaderFill`. */
  onLeaderFill: (fill: BrokerFill) => void;
  logger?: Logger;
}

/** Exchange ids of the leader's mirrored order and its bracket children. */
interface MirrorIds {
  entry: string;
  stopLoss?: string;
  takeProfit?: string;
}

/**
 * The leader's position for signals that come without the leader's broker behind
 * them (a recorded file, Kafka, a webhook): each signal is applied to a copy of the
 * leader account on its own zero-latency simulated exchange. Market orders fill at
 * the price the signal reports, resting orders when the prices fed in reach them,
 * and those fills move the leader position that exits and reversals scale against.
 * Without it a "sell 2" that closes the leader's long would open followers short.
 */
export class LeaderMirror {
  readonly #options: LeaderMirrorOptions;
  readonly #exchange: SimulatedExchange;
  readonly #ids = new Map<string, MirrorIds>();
  #forgetIdsAbove = 1000;
  /** Signal ids applied, oldest first: a redelivered signal must not move the leader twice. */
  readonly #seen = new Set<string>();
  readonly #log: Logger;

  constructor(options: LeaderMirrorOptions) {
    this.#options = options;
    this.#log = options.logger ?? silentLogger;
    this.#exchange = new SimulatedExchange({
      clock: options.clock,
      instruments: options.instruments,
      idPrefix: 'L',
      // A long session must not keep every leader order it ever mirrored; modifies and cancels name recent ones.
      finishedOrdersKept: 10_000,
    });
    this.#exchange.openAccount(options.accountId, 0);
    this.#exchange.onEvent((event) => {
      if (event.type === 'order-filled') options.onLeaderFill(event.fill);
    });
  }

  /** A quote for a leader instrument. */
  quote(contract: Contract, bidTicks: Ticks, askTicks: Ticks): void {
    this.#exchange.updateQuote(contract, { bidTicks, askTicks });
  }

  /** A trade price for a leader instrument. */
  trade(contract: Contract, ticks: Ticks): void {
    this.#exchange.updateTrade(contract, ticks);
  }

  /** The leader's net position in a contract, as mirrored. */
  netQty(contract: Contract): number {
    const key = contractKey(contract);
    const held = this.#exchange.getPositions(this.#options.accountId);
    return held.find((p) => contractKey(p.contract) === key)?.netQty ?? 0;
  }

  /**
   * Corrects the mirrored leader position from a signal that states it
   * (`leaderPosition`, the position once the order filled): the position before the
   * order must be that minus the order's own quantity, and a difference (the copier
   * restarted, missed an alert, the leader traded by hand) is booked as a fill at the
   * signal's price, which reaches `onLeaderFill` like any other. Call it before the
   * engine takes the signal. Without a price to book at, the difference is logged and
   * left.
   */
  async alignBefore(signal: TradeSignal): Promise<void> {
    if (signal.action !== 'new' || signal.leaderPosition === undefined || signal.orderType !== 'market')
      return;
    const { instruments, accountId } = this.#options;
    let contract: Contract;
    try {
      contract = parseContract(signal.instrument, { at: signal.detectedAt, registry: instruments });
    } catch {
      return; // The engine refuses the signal and says why.
    }
    const before = signal.leaderPosition - (signal.side === 'buy' ? signal.qty : -signal.qty);
    const diff = before - this.netQty(contract);
    if (diff === 0) return;
    const spec = instruments.get(contract.root);
    if (signal.fillPrice !== undefined) {
      this.#exchange.updateTrade(contract, priceToTicksRounded(signal.fillPrice, spec.tickSize));
    }
    if (this.#exchange.marketState(contract).lastTicks === undefined) {
      this.#log.warn(
        { signalId: signal.signalId, instrument: signal.instrument, stated: before, mirrored: before - diff },
        'leader position differs from the signal and there is no price to correct it at',
      );
      return;
    }
    this.#log.info(
      { signalId: signal.signalId, instrument: signal.instrument, from: before - diff, to: before },
      'leader position corrected from the signal',
    );
    try {
      await this.#exchange.placeOrder({
        accountId,
        clientOrderId: `align:${signal.signalId}`,
        contract,
        side: diff > 0 ? 'buy' : 'sell',
        qty: Math.abs(diff),
        orderType: 'market',
      });
    } catch (error) {
      this.#log.warn({ err: error, signalId: signal.signalId }, 'leader position could not be corrected');
    }
  }

  /**
   * Applies one leader signal to the mirror account. Call it after the engine took
   * the signal: the engine reads the leader position from before the leader's fill.
   * The leader's broker already did this, so a mirror that cannot follow (an order
   * already filled, say) logs and goes on.
   */
  async apply(signal: TradeSignal): Promise<void> {
    if (this.#seen.has(signal.signalId)) return;
    this.#seen.add(signal.signalId);
    // Bounded like the engine's duplicate guard: old ids cannot come back after this many.
    if (this.#seen.size > 100_000) this.#seen.delete(this.#seen.values().next().value as string);
    const { instruments } = this.#options;
    const accountId = this.#options.accountId;
    const leader = this.#exchange;
    try {
      switch (signal.action) {
        case 'new': {
          const contract = parseContract(signal.instrument, { at: signal.detectedAt, registry: instruments });
          const spec = instruments.get(contract.root);
          const t = (p: string) => priceToTicksRounded(p, spec.tickSize);
          // The reported fill is the market the leader met; a market order fills there.
          if (signal.fillPrice !== undefined) leader.updateTrade(contract, t(signal.fillPrice));
          const last = leader.marketState(contract).lastTicks;
          const prepared = prepareNewOrder(
            signal,
            contract,
            spec,
            0,
            last === undefined ? undefined : ticksToPrice(last, spec.tickSize),
          );
          const sl = prepared.stopLossPrice;
          const tp = prepared.takeProfitPrice;
          const ack = await leader.placeOrder({
            accountId,
            clientOrderId: signal.leaderOrderId,
            contract,
            side: signal.side,
            qty: signal.qty,
            orderType: signal.orderType,
            ...(signal.limitPrice !== undefined ? { limitTicks: t(signal.limitPrice) } : {}),
            ...(signal.stopPrice !== undefined ? { stopTicks: t(signal.stopPrice) } : {}),
            ...(sl !== undefined || tp !== undefined
              ? {
                  bracket: {
                    ...(sl !== undefined ? { stopLossTicks: t(sl) } : {}),
                    ...(tp !== undefined ? { takeProfitTicks: t(tp) } : {}),
                  },
                }
              : {}),
          });
          this.#ids.set(signal.leaderOrderId, {
            entry: ack.orderId,
            ...(ack.childOrderIds?.stopLoss ? { stopLoss: ack.childOrderIds.stopLoss } : {}),
            ...(ack.childOrderIds?.takeProfit ? { takeProfit: ack.childOrderIds.takeProfit } : {}),
          });
          this.#forgetIds();
          break;
        }
        case 'modify': {
          const orderId = this.#orderOf(signal.leaderOrderId, signal.leg);
          const order = orderId === undefined ? undefined : leader.getOrder(orderId);
          if (!orderId || !order) return;
          const tick = instruments.get(order.contract.root).tickSize;
          const t = (p: string) => priceToTicksRounded(p, tick);
          const leg = signal.leg ?? 'entry';
          const price = signal.limitPrice ?? signal.stopPrice;
          await leader.modifyOrder({
            accountId,
            orderId,
            ...(signal.qty !== undefined && leg === 'entry' ? { qty: signal.qty } : {}),
            ...(leg === 'entry' && signal.limitPrice !== undefined
              ? { limitTicks: t(signal.limitPrice) }
              : {}),
            ...(leg === 'entry' && signal.stopPrice !== undefined ? { stopTicks: t(signal.stopPrice) } : {}),
            ...(leg === 'stop-loss' && price !== undefined ? { stopTicks: t(price) } : {}),
            ...(leg === 'take-profit' && price !== undefined ? { limitTicks: t(price) } : {}),
          });
          break;
        }
        case 'cancel': {
          const orderId = this.#orderOf(signal.leaderOrderId, signal.leg);
          if (orderId) await leader.cancelOrder({ accountId, orderId });
          break;
        }
        case 'flatten': {
          const contract = signal.instrument
            ? parseContract(signal.instrument, { at: signal.detectedAt, registry: instruments })
            : undefined;
          await leader.flatten({ accountId, ...(contract ? { contract } : {}) });
          break;
        }
      }
    } catch (error) {
      this.#log.debug({ err: error, signalId: signal.signalId }, 'leader mirror could not follow a signal');
    }
  }

  /** Drops the ids of leader orders whose every order the exchange has forgotten (ended long ago). */
  #forgetIds(): void {
    if (this.#ids.size <= this.#forgetIdsAbove) return;
    for (const [leaderOrderId, ids] of this.#ids) {
      const known = [ids.entry, ids.stopLoss, ids.takeProfit].some(
        (id) => id !== undefined && this.#exchange.getOrder(id) !== undefined,
      );
      if (!known) this.#ids.delete(leaderOrderId);
    }
    // Paid once per as many orders as are kept: amortized O(1) per order.
    this.#forgetIdsAbove = 2 * this.#ids.size + 1000;
  }

  #orderOf(leaderOrderId: string, leg: OrderLeg | undefined): string | undefined {
    const ids = this.#ids.get(leaderOrderId);
    const which = leg ?? 'entry';
    return which === 'entry' ? ids?.entry : which === 'stop-loss' ? ids?.stopLoss : ids?.takeProfit;
  }
}

/**
 * Wraps a source whose signals do not come with the leader's own fills (Kafka, a
 * webhook): every signal it submits is also applied to `mirror`, right after the
 * engine took it (the engine reads the leader position on arrival), so the leader
 * position follows. A signal that does not parse is refused by the engine with
 * its reason and never reaches the mirror; a repeated signal id moves nothing.
 */
export function withLeaderMirror(
  source: Source,
  mirror: LeaderMirror,
  options: { leaderAccount: string; clock: Clock },
): Source {
  return {
    name: source.name,
    start(submit) {
      // Corrections run in arrival order, and every signal waits for those before it.
      let aligned: Promise<void> = Promise.resolve();
      return source.start(async (raw): Promise<SignalResult> => {
        let signal: TradeSignal | undefined;
        try {
          signal = parseSignal(raw, { leaderAccount: options.leaderAccount, now: options.clock.now() });
        } catch {
          signal = undefined;
        }
        if (signal?.action === 'new' && signal.leaderPosition !== undefined) {
          const stated = signal;
          aligned = aligned.then(() => mirror.alignBefore(stated));
        }
        await aligned;
        const result = submit(raw);
        if (signal) await mirror.apply(signal);
        return result;
      });
    },
    stop: () => source.stop(),
  };
}
