import type { EngineEvent } from '../bus/events.js';
import { ErrorCode, SignalError, TradeNovaError } from '../errors.js';
import { type Contract, contractKey, parseContract } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import { parseSignal } from '../model/parse-signal.js';
import type { TradeSignal } from '../model/signal.js';
import { priceToTicks, ticksToPrice } from '../money/price.js';
import { DuplicateSignalGuard } from '../risk/index.js';
import { RiskReason } from '../risk/reasons.js';
import type { Logger } from '../util/logger.js';
import type { SignalOutcome, SignalResult, SubmitMeta } from './api.js';
import type { CopyDesk } from './copy-desk.js';
import type { FollowerRuntime } from './follower.js';
import { prepareNewOrder } from './intents.js';
import type { LeaderBook, LeaderOrder } from './leader-book.js';
import type { OrderDesk } from './order-desk.js';

/** What signal routing needs from the engine. */
export interface SignalRouterDeps {
  leader: LeaderBook;
  copies: CopyDesk;
  orders: OrderDesk;
  instruments: InstrumentRegistry;
  followers(): Iterable<FollowerRuntime>;
  leaderAccount: string;
  /** Whether the engine is stopping: a signal then is refused, not copied. */
  stopped(): boolean;
  emit(event: EngineEvent): void;
  now(): number;
  log: Logger;
}

/**
 * Signal routing: raw input is parsed once here (`submit`), a typed `TradeSignal` enters
 * at `submitParsed`; either way it is checked against repeats, the leader's order book is
 * updated, and the copy desk's work for it is queued on each follower, every outcome
 * reported in `signal-completed`.
 */
export class SignalRouter {
  readonly #d: SignalRouterDeps;
  readonly #leader: LeaderBook;
  readonly #dupes = new DuplicateSignalGuard();

  constructor(deps: SignalRouterDeps) {
    this.#d = deps;
    this.#leader = deps.leader;
  }

  /** Parses untrusted input once (an SDK call, a source that hands raw objects), then routes it. */
  async submit(input: unknown, meta: SubmitMeta = {}): Promise<SignalResult> {
    let signal: TradeSignal;
    try {
      signal = parseSignal(input, { leaderAccount: this.#d.leaderAccount, now: this.#d.now() }, meta.line);
    } catch (error) {
      return this.#rejectSignal(error, meta.line, (input as { signalId?: string } | null)?.signalId);
    }
    return this.submitParsed(signal, meta);
  }

  /** Routes a signal already parsed at its edge (a replay file, a webhook): refused while stopping or repeated. */
  async submitParsed(signal: TradeSignal, meta: SubmitMeta = {}): Promise<SignalResult> {
    if (this.#d.stopped()) {
      return this.#rejectSignal(
        new TradeNovaError(ErrorCode.EngineStopped, 'engine is stopping; signal not copied'),
        meta.line,
        signal.signalId,
      );
    }
    const dupeKey = meta.followers ? [signal.signalId, ...meta.followers].join('\u0000') : signal.signalId;
    if (this.#dupes.seen(dupeKey)) {
      return this.#rejectSignal(
        new SignalError('signalId', `duplicate signal ${signal.signalId} ignored`, meta.line),
        meta.line,
        signal.signalId,
        RiskReason.DuplicateSignal,
      );
    }
    try {
      return await this.#route(signal, meta.line, meta.followers);
    } catch (error) {
      return this.#rejectSignal(error, meta.line, signal.signalId);
    }
  }
  #rejectSignal(error: unknown, line: number | undefined, signalId?: string, code?: string): SignalResult {
    const field = error instanceof SignalError ? error.field : '(signal)';
    const message =
      error instanceof SignalError ? error.reason : error instanceof Error ? error.message : String(error);
    const errCode = code ?? (error instanceof TradeNovaError ? error.code : ErrorCode.SignalInvalid);
    this.#d.emit({
      type: 'signal-rejected',
      time: this.#d.now(),
      ...(signalId !== undefined ? { signalId } : {}),
      ...(line !== undefined ? { line } : {}),
      field,
      code: errCode,
      message,
    });
    return {
      ok: false,
      ...(signalId !== undefined ? { signalId } : {}),
      error: { code: errCode, field, message },
    };
  }

  async #route(
    signal: TradeSignal,
    line: number | undefined,
    only?: readonly string[],
  ): Promise<SignalResult> {
    // Work out everything that does not depend on the follower once, synchronously,
    // so the leader position used is the one at arrival, whatever runs later.
    let perFollower: (f: FollowerRuntime) => Promise<SignalOutcome[]>;
    let prepare: ((f: FollowerRuntime) => void) | undefined;
    /** The leader order the signal names: not forgotten while its followers work on it. */
    let named: LeaderOrder | undefined;
    switch (signal.action) {
      case 'new': {
        const contract = this.#contract(signal.instrument, signal.detectedAt, 'instrument', line);
        const spec = this.#d.instruments.get(contract.root);
        const key = contractKey(contract);
        const last = this.#leader.lastPrice.get(key);
        const prepared = prepareNewOrder(
          signal,
          contract,
          spec,
          this.#leader.positions.get(key) ?? 0,
          last === undefined ? undefined : ticksToPrice(last, spec.tickSize),
        );
        named = {
          id: signal.leaderOrderId,
          contract,
          side: signal.side,
          qty: signal.qty,
          filled: 0,
          orderType: signal.orderType,
          signal,
          done: false,
        };
        this.#leader.orders.set(signal.leaderOrderId, named);
        this.#forgetEnded();
        const id = signal.leaderOrderId;
        prepare = (f) => f.unseenOrders.add(id);
        perFollower = (f) => {
          f.unseenOrders.delete(id);
          return this.#d.copies.copyNew(f, prepared);
        };
        break;
      }
      case 'modify': {
        const leaderOrder = this.#leader.orders.get(signal.leaderOrderId);
        if (!leaderOrder)
          throw new SignalError('leaderOrderId', `unknown leader order ${signal.leaderOrderId}`, line);
        const spec = this.#d.instruments.get(leaderOrder.contract.root);
        for (const field of ['limitPrice', 'stopPrice'] as const) {
          const v = signal[field];
          if (v !== undefined) prepareCheck(v, spec.tickSize, field, line);
        }
        const foldKey = `${signal.leaderOrderId}\u0000${signal.leg ?? 'entry'}`;
        const fields = {
          ...(signal.qty !== undefined ? { qty: signal.qty } : {}),
          ...(signal.limitPrice !== undefined ? { limitPrice: signal.limitPrice } : {}),
          ...(signal.stopPrice !== undefined ? { stopPrice: signal.stopPrice } : {}),
        };
        if ((signal.leg ?? 'entry') === 'entry') {
          // The leader order as it is now: every follower re-plans its copy from it.
          if (signal.qty !== undefined) leaderOrder.qty = signal.qty;
          leaderOrder.signal = {
            ...leaderOrder.signal,
            ...(signal.limitPrice !== undefined ? { limitPrice: signal.limitPrice } : {}),
            ...(signal.stopPrice !== undefined ? { stopPrice: signal.stopPrice } : {}),
          };
        }
        named = leaderOrder;
        const leaderNow = this.#leader.positions.get(contractKey(leaderOrder.contract)) ?? 0;
        prepare = (f) => f.pendingModify.set(foldKey, { ...f.pendingModify.get(foldKey), ...fields });
        perFollower = (f) => this.#d.copies.copyModify(f, signal, leaderOrder, foldKey, leaderNow);
        break;
      }
      case 'cancel': {
        const leaderOrder = this.#leader.orders.get(signal.leaderOrderId);
        if (!leaderOrder) {
          throw new SignalError('leaderOrderId', `unknown leader order ${signal.leaderOrderId}`, line);
        }
        if ((signal.leg ?? 'entry') === 'entry') leaderOrder.done = true;
        named = leaderOrder;
        perFollower = (f) => this.#d.copies.copyCancel(f, signal);
        break;
      }
      case 'flatten': {
        const contract =
          signal.instrument === undefined
            ? undefined
            : this.#contract(signal.instrument, signal.detectedAt, 'instrument', line);
        // The leader's working orders in the contract (or all) go with its position.
        for (const order of this.#leader.orders.values()) {
          if (!contract || contractKey(order.contract) === contractKey(contract)) order.done = true;
        }
        perFollower = (f) => this.#d.copies.copyFlatten(f, signal.signalId, contract);
        break;
      }
    }
    this.#d.emit({ type: 'signal-received', time: this.#d.now(), signal });
    if (named) named.busy = (named.busy ?? 0) + 1;
    let results: SignalOutcome[][];
    try {
      results = await Promise.all(
        [...this.#d.followers()]
          .filter((f) => f.config.enabled && (only === undefined || only.includes(f.name)))
          .map((f) => {
            prepare?.(f);
            return f.queue.push(() => perFollower(f).catch((e) => this.#taskFailed(f, signal, e)));
          }),
      );
    } finally {
      if (named) named.busy = (named.busy ?? 1) - 1;
    }
    const outcomes = results.flat();
    this.#d.emit({
      type: 'signal-completed',
      time: this.#d.now(),
      signalId: signal.signalId,
      outcomes: outcomes.map(({ reason: _r, ...o }) => o),
    });
    return { ok: true, signalId: signal.signalId, outcomes };
  }

  /**
   * Forgets the oldest ended leader orders past the bound (`LeaderBook.forgetEnded`) that no
   * follower still holds a copy of, with each follower's reference to its order.
   */
  #forgetEnded(): void {
    const copied = (id: string) => {
      for (const f of this.#d.followers()) if (f.copies.has(id)) return true;
      return false;
    };
    const gone = this.#leader.forgetEnded((o) => !copied(o.id));
    if (gone.length === 0) return;
    for (const f of this.#d.followers()) for (const id of gone) f.orders.delete(id);
  }

  #contract(text: string, at: number, field: string, line: number | undefined): Contract {
    try {
      return parseContract(text, { at, registry: this.#d.instruments });
    } catch (error) {
      throw new SignalError(field, error instanceof Error ? error.message : String(error), line);
    }
  }

  #taskFailed(f: FollowerRuntime, signal: TradeSignal, error: unknown): SignalOutcome[] {
    // A bug or an unexpected throw must still leave a record, never silence.
    const message = error instanceof Error ? error.message : String(error);
    this.#d.log.error({ err: error, follower: f.name, signalId: signal.signalId }, 'copy task failed');
    const intent = this.#d.orders.syntheticIntent(f, signal, 'entry');
    this.#d.emit({
      type: 'order-failed',
      time: this.#d.now(),
      intent,
      code: error instanceof TradeNovaError ? error.code : 'TN_ERR_INTERNAL',
      message,
    });
    return [
      { follower: f.name, intentId: intent.intentId, leg: intent.leg, outcome: 'failed', reason: message },
    ];
  }
}

function prepareCheck(price: string, tickSize: string, field: string, line: number | undefined): void {
  try {
    priceToTicks(price, tickSize, field);
  } catch (error) {
    throw new SignalError(field, error instanceof Error ? error.message : String(error), line);
  }
}
