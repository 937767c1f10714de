import type {
  BrokerEvent,
  BrokerFill,
  BrokerOrder,
  BrokerPosition,
  CancelOrderRequest,
  FlattenRequest,
  ModifyOrderRequest,
  OrderAck,
  PlaceOrderRequest,
} from '../adapter/contract.js';
import type { Clock } from '../clock/clock.js';
import { BrokerRateLimitedError, BrokerRejectedError, BrokerUnknownOrderError } from '../errors.js';
import { type Contract, contractKey, sameContract } from '../instruments/contract.js';
import { defaultInstruments, type InstrumentRegistry } from '../instruments/registry.js';
import { oppositeSide, type Side, sideSign } from '../model/common.js';
import type { Money } from '../money/money.js';
import type { Ticks } from '../money/price.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { ExchangeFaults } from './faults.js';
import { MarketBook, type MarketState, type Quote } from './market.js';
import { copyOrder, isTerminal, type OrderRecord, type OrderRole } from './order-record.js';
import { PaperAccount, type PaperAccountSnapshot } from './paper-account.js';
import { limitFillPrice, marketFillPrice, stopTriggered } from './pricing.js';
import { createRng, type Rng, randomInt } from './prng.js';

/** The broker name the exchange puts in its errors. */
const BROKER = 'paper';

/** How a simulated exchange behaves. Every random choice comes from `seed`, every delay from `clock`. */
export interface SimulatedExchangeOptions {
  clock: Clock;
  /** Tick values for P&L; the built-in products by default. */
  instruments?: InstrumentRegistry;
  /** Time from a request to its effect, in ms (0: the request takes effect within the call). */
  latencyMs?: number;
  /** Up to this many ms added to each request's latency, drawn from the seeded PRNG. */
  jitterMs?: number;
  /** Ticks a market (or triggered stop) fill is worse than the touch. */
  slippageTicks?: number;
  /** Probability in [0, 1) that a placement is rejected. */
  rejectRate?: number;
  /** Fill in random chunks instead of all at once. */
  partialFills?: boolean;
  seed?: number;
  /** Prefix of order ids (`${idPrefix}${n}`) and fill ids (`${idPrefix}fill-${n}`). */
  idPrefix?: string;
  /** Where listener errors go; silent by default. */
  logger?: Logger;
  /**
   * How many finished orders (filled, cancelled, rejected) the exchange remembers for queries
   * (`getOrder`, `getOrders`) and client-id idempotency; older ones are forgotten, oldest first.
   * Default: all of them. A replay of millions of lines sets a bound so memory stays flat.
   */
  finishedOrdersKept?: number;
}

/** A listener of exchange events. */
export type ExchangeListener = (event: BrokerEvent) => void;

/** How one placement is taken, for the protocol front end that makes it. */
export interface PlaceOrderOptions {
  /**
   * `false`: a client order id the account used before makes a new order all the same and
   * is kept on it, as at a broker that does not enforce client id uniqueness (a retried
   * placement then shows as two orders with one client id). `findOrderByClientId` finds the
   * first. Default `true`: the same client order id returns the existing order's ack.
   */
  idempotent?: boolean;
}

/**
 * A simulated futures exchange with no wire protocol: accounts, orders, matching
 * against the market data it is fed, fills, FIFO positions and realized P&L.
 * The paper broker and every broker simulator put their protocol in front of it.
 *
 * Requests take effect in the order they were made, after the configured
 * latency on the injected clock, so a run with the same inputs and seed always
 * gives the same events.
 */
export class SimulatedExchange {
  /** The clock requests and fills are timed by. */
  readonly clock: Clock;
  /** The instrument specs used for tick values. */
  readonly instruments: InstrumentRegistry;
  /** Faults a simulator or test can turn on. */
  readonly faults = new ExchangeFaults();
  readonly #market = new MarketBook();
  readonly #latencyMs: number;
  readonly #jitterMs: number;
  readonly #slippageTicks: number;
  readonly #rejectRate: number;
  readonly #partialFills: boolean;
  readonly #idPrefix: string;
  readonly #logger: Logger;
  readonly #rng: Rng;
  readonly #accounts = new Map<string, PaperAccount>();
  /** Every order ever placed, in placement order (Map keeps insertion order), so matching is deterministic. */
  readonly #orders = new Map<string, OrderRecord>();
  /**
   * Orders that may still change, in placement order, pruned lazily as they
   * finish: matching and queries walk these, not the whole history, so a long
   * session stays as fast as a short one.
   */
  readonly #live = new Set<OrderRecord>();
  readonly #byClientId = new Map<string, string>();
  /** The last `finishedOrdersKept` finished orders, a ring: the slot written next holds the oldest. */
  readonly #finished: (OrderRecord | undefined)[] = [];
  #finishedNext = 0;
  readonly #finishedKept: number;
  readonly #listeners = new Set<ExchangeListener>();
  /** What broker back ends keep beside the exchange, by name (see `backEnd`). */
  readonly #backEnds = new Map<string, unknown>();
  #orderCounter = 0;
  #fillCounter = 0;
  /** When the last request takes effect: later requests never overtake it. */
  #lastEffectAt = Number.NEGATIVE_INFINITY;

  constructor(options: SimulatedExchangeOptions) {
    this.clock = options.clock;
    this.instruments = options.instruments ?? defaultInstruments;
    this.#latencyMs = nonNegative(options.latencyMs ?? 0, 'latencyMs');
    this.#jitterMs = nonNegative(options.jitterMs ?? 0, 'jitterMs');
    this.#slippageTicks = nonNegative(options.slippageTicks ?? 0, 'slippageTicks');
    this.#rejectRate = options.rejectRate ?? 0;
    if (!(this.#rejectRate >= 0 && this.#rejectRate < 1))
      throw new RangeError('rejectRate must be in [0, 1)');
    this.#partialFills = options.partialFills ?? false;
    this.#idPrefix = options.idPrefix ?? 'paper-';
    this.#logger = options.logger ?? silentLogger;
    this.#rng = createRng(options.seed ?? 1);
    this.#finishedKept = options.finishedOrdersKept ?? Number.POSITIVE_INFINITY;
  }

  // ── accounts ────────────────────────────────────────────────────────────

  /** Opens an account with a starting balance in mils; an id can be opened once. */
  openAccount(accountId: string, balance: Money): PaperAccountSnapshot {
    if (this.#accounts.has(accountId)) throw new Error(`paper account ${accountId} is already open`);
    const account = new PaperAccount(accountId, balance);
    this.#accounts.set(accountId, account);
    return account.snapshot();
  }

  /** Whether an account is open. */
  hasAccount(accountId: string): boolean {
    return this.#accounts.has(accountId);
  }

  /** Balance, realized P&L and open positions of one account; throws for an unknown id. */
  account(accountId: string): PaperAccountSnapshot {
    const account = this.#accounts.get(accountId);
    if (!account) throw new Error(`no paper account ${accountId}`);
    return account.snapshot();
  }

  /** Every open account, in the order they were opened. */
  listAccounts(): PaperAccountSnapshot[] {
    return [...this.#accounts.values()].map((a) => a.snapshot());
  }

  // ── queries (no latency: simulators add their own) ──────────────────────

  /** Orders of an account that can still change (pending, working, partially filled). */
  getOpenOrders(accountId: string): BrokerOrder[] {
    return this.#liveRecords()
      .filter((r) => r.order.accountId === accountId)
      .map((r) => copyOrder(r.order));
  }

  /** Every order of an account, terminal ones included, in placement order. */
  getOrders(accountId: string): BrokerOrder[] {
    return [...this.#orders.values()]
      .filter((r) => r.order.accountId === accountId)
      .map((r) => copyOrder(r.order));
  }

  /** One order by exchange id, if it exists. */
  getOrder(orderId: string): BrokerOrder | undefined {
    const record = this.#orders.get(orderId);
    return record ? copyOrder(record.order) : undefined;
  }

  /** Open positions of an account (none for an unknown account). */
  getPositions(accountId: string): BrokerPosition[] {
    return this.#accounts.get(accountId)?.positions() ?? [];
  }

  /** The order an account placed with this client order id, if any: how adapters check before a retry. */
  findOrderByClientId(accountId: string, clientOrderId: string): BrokerOrder | undefined {
    const orderId = this.#byClientId.get(clientKey(accountId, clientOrderId));
    return orderId === undefined ? undefined : this.getOrder(orderId);
  }

  /** The market the exchange has been fed for one contract. */
  marketState(contract: Contract): MarketState {
    return { ...this.#market.get(contract) };
  }

  // ── broker back ends ────────────────────────────────────────────────────

  /**
   * The state a broker keeps in its back end beside the exchange — its own order numbers,
   * client tags, fill and position ids — made by `create` on the first call for `name` and
   * returned to every later call, for the exchange's life. A simulator's protocol front end
   * keeps what it tells clients here, so a new front end on the same exchange (a restart)
   * reports the same orders under the same ids, as a real broker's API servers do after
   * theirs. `create` may subscribe to `onEvent` for good: a back end hears the exchange
   * while no front end is up.
   */
  backEnd<T>(name: string, create: () => T): T {
    if (!this.#backEnds.has(name)) this.#backEnds.set(name, create());
    return this.#backEnds.get(name) as T;
  }

  // ── events ──────────────────────────────────────────────────────────────

  /** Subscribes to every event of every account; returns the unsubscribe function. */
  onEvent(listener: ExchangeListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  // ── market data ─────────────────────────────────────────────────────────

  /** A new top of book; resting orders of that contract are matched against it. */
  updateQuote(contract: Contract, quote: Quote): void {
    this.#market.updateQuote(contract, quote);
    this.#matchContract(contract, undefined);
  }

  /** A trade print; resting orders of that contract are matched against it. */
  updateTrade(contract: Contract, priceTicks: Ticks): void {
    this.#market.updateTrade(contract, priceTicks);
    this.#matchContract(contract, priceTicks);
  }

  // ── requests ────────────────────────────────────────────────────────────

  /**
   * Places an order. Resolves with the ack when the request takes effect; rejects
   * with `BrokerRejectedError` or `BrokerRateLimitedError`. The same client order
   * id on the same account returns the existing order's ack instead of a second order.
   */
  placeOrder(request: PlaceOrderRequest, options: PlaceOrderOptions = {}): Promise<OrderAck> {
    // The caller may reuse its object; a shallow copy of each nested part is enough (structuredClone costs 10x).
    const copy: PlaceOrderRequest = {
      ...request,
      contract: { ...request.contract },
      ...(request.bracket ? { bracket: { ...request.bracket } } : {}),
    };
    const idempotent = options.idempotent ?? true;
    return this.#request(() => this.#place(copy, idempotent));
  }

  /** Changes the quantity (total, not remaining) or prices of a working order. */
  modifyOrder(request: ModifyOrderRequest): Promise<void> {
    const copy: ModifyOrderRequest = { ...request };
    return this.#request(() => this.#modify(copy));
  }

  /** Cancels a working order; cancelling an entry that has not filled cancels its bracket too. */
  cancelOrder(request: CancelOrderRequest): Promise<void> {
    const copy: CancelOrderRequest = { ...request };
    return this.#request(() => this.#cancelRequested(copy));
  }

  /** Cancels the account's working orders (for one contract or all), then closes its positions at market. */
  flatten(request: FlattenRequest): Promise<void> {
    const copy: FlattenRequest = {
      ...request,
      ...(request.contract ? { contract: { ...request.contract } } : {}),
    };
    return this.#request(() => this.#flatten(copy));
  }

  /** Runs `work` after this request's latency, never before an earlier request; at once when there is none. */
  #request<T>(work: () => T): Promise<T> {
    const now = this.clock.now();
    const jitter = this.#jitterMs > 0 ? randomInt(this.#rng, this.#jitterMs) : 0;
    const delay = this.#latencyMs + jitter + Math.max(0, this.faults.extraLatencyMs);
    const at = Math.max(now + delay, this.#lastEffectAt);
    this.#lastEffectAt = at;
    if (at <= now) {
      // Zero latency: take effect inside the call, so a replay needs no timer per order.
      try {
        return Promise.resolve(work());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.clock.setTimer(at - now, () => {
        try {
          resolve(work());
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  #checkRateLimit(): void {
    const retryAfterMs = this.faults.takeRateLimit();
    if (retryAfterMs !== undefined) throw new BrokerRateLimitedError(BROKER, retryAfterMs);
  }

  #place(request: PlaceOrderRequest, idempotent: boolean): OrderAck {
    this.#checkRateLimit();
    const key = clientKey(request.accountId, request.clientOrderId);
    const existingId = this.#byClientId.get(key);
    if (existingId !== undefined && idempotent) {
      const existing = this.#orders.get(existingId)!;
      if (existing.order.status === 'rejected') {
        throw new BrokerRejectedError(BROKER, existing.order.reason ?? 'rejected');
      }
      return this.#ack(existing);
    }
    if (!this.#accounts.has(request.accountId)) {
      throw new BrokerRejectedError(BROKER, `unknown account ${request.accountId}`);
    }
    const record = this.#newRecord(
      {
        accountId: request.accountId,
        clientOrderId: request.clientOrderId,
        contract: request.contract,
        side: request.side,
        qty: request.qty,
        orderType: request.orderType,
        limitTicks: request.limitTicks,
        stopTicks: request.stopTicks,
      },
      'entry',
    );
    if (existingId === undefined) this.#byClientId.set(key, record.order.orderId);
    this.#emitOrder(record);

    const reason = this.#placementRejectReason(request);
    if (reason !== undefined) {
      this.#finish(record, 'rejected', reason);
      throw new BrokerRejectedError(BROKER, reason);
    }
    record.order.status = 'working';
    this.#emitOrder(record);
    if (request.bracket) this.#attachBracket(record, request.bracket);
    this.#tryMatch(record, undefined);
    return this.#ack(record);
  }

  /** Why a placement is refused, or undefined when it is accepted. Order of checks: validity, faults, chance. */
  #placementRejectReason(request: PlaceOrderRequest): string | undefined {
    const invalid = validatePlacement(request, this.instruments);
    if (invalid !== undefined) return invalid;
    const injected = this.faults.takeReject();
    if (injected !== undefined) return injected;
    if (this.#rejectRate > 0 && this.#rng() < this.#rejectRate) return 'random reject (rejectRate)';
    if (
      request.orderType === 'market' &&
      marketFillPrice(request.side, this.#market.get(request.contract), 0) === undefined
    ) {
      return `no market price for ${contractKey(request.contract)}`;
    }
    return undefined;
  }

  /** Creates the bracket children, held (pending) until the entry fills. */
  #attachBracket(entry: OrderRecord, bracket: NonNullable<PlaceOrderRequest['bracket']>): void {
    const exitSide = oppositeSide(entry.order.side);
    const base = {
      accountId: entry.order.accountId,
      contract: entry.order.contract,
      side: exitSide,
      qty: entry.order.qty,
      parentOrderId: entry.order.orderId,
    };
    const children: NonNullable<OrderRecord['children']> = {};
    let stopLoss: OrderRecord | undefined;
    let takeProfit: OrderRecord | undefined;
    if (bracket.stopLossTicks !== undefined) {
      stopLoss = this.#newRecord(
        { ...base, orderType: 'stop', stopTicks: bracket.stopLossTicks },
        'stop-loss',
      );
      children.stopLoss = stopLoss.order.orderId;
    }
    if (bracket.takeProfitTicks !== undefined) {
      takeProfit = this.#newRecord(
        { ...base, orderType: 'limit', limitTicks: bracket.takeProfitTicks },
        'take-profit',
      );
      children.takeProfit = takeProfit.order.orderId;
    }
    if (stopLoss && takeProfit) {
      stopLoss.siblingId = takeProfit.order.orderId;
      takeProfit.siblingId = stopLoss.order.orderId;
    }
    entry.children = children;
    for (const child of [stopLoss, takeProfit]) if (child) this.#emitOrder(child);
  }

  #modify(request: ModifyOrderRequest): void {
    this.#checkRateLimit();
    const record = this.#workingRecord(request.accountId, request.orderId);
    const order = record.order;
    if (request.qty !== undefined) {
      if (!Number.isSafeInteger(request.qty) || request.qty <= order.filledQty) {
        throw new BrokerRejectedError(
          BROKER,
          `qty ${request.qty} must be a whole number above the filled ${order.filledQty}`,
        );
      }
    }
    if (request.limitTicks !== undefined && !usesLimit(order.orderType)) {
      throw new BrokerRejectedError(BROKER, `a ${order.orderType} order has no limit price`);
    }
    if (request.stopTicks !== undefined && !usesStop(order.orderType)) {
      throw new BrokerRejectedError(BROKER, `a ${order.orderType} order has no stop price`);
    }
    for (const ticks of [request.limitTicks, request.stopTicks]) {
      if (ticks !== undefined && !Number.isSafeInteger(ticks)) {
        throw new BrokerRejectedError(BROKER, `price ${ticks} is not whole ticks`);
      }
    }
    if (request.qty !== undefined) order.qty = request.qty;
    if (request.limitTicks !== undefined) order.limitTicks = request.limitTicks;
    if (request.stopTicks !== undefined) order.stopTicks = request.stopTicks;
    this.#emitOrder(record);
    // A new price may be marketable at once.
    this.#tryMatch(record, undefined);
  }

  #cancelRequested(request: CancelOrderRequest): void {
    this.#checkRateLimit();
    this.#cancel(this.#workingRecord(request.accountId, request.orderId), 'cancelled by request');
  }

  #flatten(request: FlattenRequest): void {
    this.#checkRateLimit();
    const account = this.#accounts.get(request.accountId);
    if (!account) throw new BrokerRejectedError(BROKER, `unknown account ${request.accountId}`);
    const wanted = (contract: Contract) =>
      request.contract === undefined || sameContract(contract, request.contract);
    for (const record of this.#liveRecords()) {
      const order = record.order;
      if (order.accountId === request.accountId && !isTerminal(order.status) && wanted(order.contract)) {
        this.#cancel(record, 'cancelled by flatten');
      }
    }
    let failure: string | undefined;
    for (const position of account.positions()) {
      if (!wanted(position.contract)) continue;
      const record = this.#newRecord(
        {
          accountId: request.accountId,
          contract: position.contract,
          side: position.netQty > 0 ? 'sell' : 'buy',
          qty: Math.abs(position.netQty),
          orderType: 'market',
        },
        'flatten',
      );
      this.#emitOrder(record);
      if (marketFillPrice(record.order.side, this.#market.get(position.contract), 0) === undefined) {
        const reason = `no market price for ${contractKey(position.contract)}`;
        this.#finish(record, 'rejected', reason);
        failure ??= reason;
        continue;
      }
      record.order.status = 'working';
      this.#emitOrder(record);
      this.#tryMatch(record, undefined);
    }
    if (failure !== undefined) throw new BrokerRejectedError(BROKER, failure);
  }

  /** The record of a working order of this account; a typed error when unknown or already done. */
  #workingRecord(accountId: string, orderId: string): OrderRecord {
    const record = this.#orders.get(orderId);
    if (!record || record.order.accountId !== accountId) throw new BrokerUnknownOrderError(BROKER, orderId);
    if (isTerminal(record.order.status)) {
      throw new BrokerRejectedError(BROKER, `order ${orderId} is already ${record.order.status}`);
    }
    return record;
  }

  // ── matching ────────────────────────────────────────────────────────────

  #matchContract(contract: Contract, freshTradeTicks: Ticks | undefined): void {
    // A snapshot in placement order: fills may cancel or activate other orders as we go.
    const candidates = this.#liveRecords().filter((r) => sameContract(r.order.contract, contract));
    for (const record of candidates) {
      if (!isTerminal(record.order.status)) this.#tryMatch(record, freshTradeTicks);
    }
  }

  #tryMatch(record: OrderRecord, freshTradeTicks: Ticks | undefined): void {
    const order = record.order;
    // A held bracket child waits for its entry.
    if (order.status === 'pending' || isTerminal(order.status)) return;
    const market = this.#market.get(order.contract);
    if (usesStop(order.orderType) && !record.triggered) {
      if (!stopTriggered(order.side, order.stopTicks!, market, freshTradeTicks)) return;
      record.triggered = true;
    }
    if (usesLimit(order.orderType)) {
      const price = limitFillPrice(order.side, order.limitTicks!, market, freshTradeTicks);
      if (price === undefined) return;
      // One chunk per market event: a resting order fills over successive updates.
      this.#fill(record, this.#chunk(order.qty - order.filledQty), price);
      return;
    }
    const price = marketFillPrice(order.side, market, this.#slippageTicks);
    if (price === undefined) return;
    // A market order sweeps: all its chunks fill now, at one price.
    while (!isTerminal(order.status)) this.#fill(record, this.#chunk(order.qty - order.filledQty), price);
  }

  /** How much of `remaining` fills in one go: all of it, or a seeded random part when partial fills are on. */
  #chunk(remaining: number): number {
    if (!this.#partialFills || remaining <= 1) return remaining;
    return 1 + randomInt(this.#rng, remaining - 1);
  }

  #fill(record: OrderRecord, qty: number, priceTicks: Ticks): void {
    const order = record.order;
    const now = this.clock.now();
    const fill: BrokerFill = {
      fillId: `${this.#idPrefix}fill-${++this.#fillCounter}`,
      orderId: order.orderId,
      accountId: order.accountId,
      contract: { ...order.contract },
      side: order.side,
      qty,
      priceTicks,
      time: now,
      ...(order.clientOrderId === undefined ? {} : { clientOrderId: order.clientOrderId }),
    };
    order.filledQty += qty;
    order.status = order.filledQty >= order.qty ? 'filled' : 'partially-filled';
    order.updatedAt = now;
    this.#emit({ type: 'order-filled', fill });
    this.#emit({ type: 'order-updated', order: copyOrder(order) });
    const tickValue = this.instruments.get(order.contract.root).tickValue;
    const account = this.#accounts.get(order.accountId)!;
    const position = account.applyFill(order.contract, sideSign(order.side) * qty, priceTicks, tickValue);
    this.#emit({ type: 'position-updated', position });
    if (record.children) this.#growBracket(record, qty);
    if (record.siblingId !== undefined) this.#shrinkSibling(record.siblingId, qty);
  }

  /** An entry filled `qty` more: its children work for the filled quantity. */
  #growBracket(entry: OrderRecord, qty: number): void {
    const children = [entry.children?.stopLoss, entry.children?.takeProfit]
      .map((id) => (id === undefined ? undefined : this.#orders.get(id)))
      .filter((r): r is OrderRecord => r !== undefined && !isTerminal(r.order.status));
    for (const child of children) {
      if (child.order.status === 'pending') {
        child.order.status = 'working';
        child.order.qty = qty;
      } else {
        child.order.qty += qty;
      }
      this.#emitOrder(child);
    }
    // Both children are sized before either can fill, so the OCO arithmetic stays right.
    for (const child of children) this.#tryMatch(child, undefined);
  }

  /** One half of an OCO pair filled `qty`: the other shrinks by as much, and is cancelled when nothing is left. */
  #shrinkSibling(siblingId: string, qty: number): void {
    const sibling = this.#orders.get(siblingId);
    if (!sibling || isTerminal(sibling.order.status)) return;
    if (sibling.order.qty - sibling.order.filledQty <= qty) {
      this.#cancel(sibling, 'OCO: other bracket order filled');
      return;
    }
    sibling.order.qty -= qty;
    this.#emitOrder(sibling);
  }

  #cancel(record: OrderRecord, reason: string): void {
    this.#finish(record, 'cancelled', reason);
    // An entry that never filled takes its bracket with it; a partly filled one leaves it protecting the fill.
    if (record.children && record.order.filledQty === 0) {
      for (const id of [record.children.stopLoss, record.children.takeProfit]) {
        const child = id === undefined ? undefined : this.#orders.get(id);
        if (child && !isTerminal(child.order.status))
          this.#finish(child, 'cancelled', 'parent order cancelled');
      }
    }
  }

  // ── records and events ──────────────────────────────────────────────────

  #newRecord(
    fields: {
      accountId: string;
      clientOrderId?: string;
      contract: Contract;
      side: Side;
      qty: number;
      orderType: BrokerOrder['orderType'];
      limitTicks?: Ticks | undefined;
      stopTicks?: Ticks | undefined;
      parentOrderId?: string;
    },
    role: OrderRole,
  ): OrderRecord {
    const order: BrokerOrder = {
      orderId: `${this.#idPrefix}${++this.#orderCounter}`,
      accountId: fields.accountId,
      contract: { ...fields.contract },
      side: fields.side,
      qty: fields.qty,
      filledQty: 0,
      orderType: fields.orderType,
      status: 'pending',
      updatedAt: this.clock.now(),
    };
    // Only the fields that apply, so copies compare cleanly.
    if (fields.clientOrderId !== undefined) order.clientOrderId = fields.clientOrderId;
    if (fields.limitTicks !== undefined) order.limitTicks = fields.limitTicks;
    if (fields.stopTicks !== undefined) order.stopTicks = fields.stopTicks;
    if (fields.parentOrderId !== undefined) order.parentOrderId = fields.parentOrderId;
    const record: OrderRecord = { order, role, triggered: false };
    this.#orders.set(order.orderId, record);
    this.#live.add(record);
    return record;
  }

  /** A snapshot of the orders that can still change, dropping finished ones from the live set. */
  #liveRecords(): OrderRecord[] {
    const out: OrderRecord[] = [];
    for (const record of this.#live) {
      if (isTerminal(record.order.status)) {
        this.#live.delete(record);
        if (Number.isFinite(this.#finishedKept)) this.#forgetOldFinished(record);
      } else out.push(record);
    }
    return out;
  }

  /**
   * Remembers one more finished order and forgets the oldest beyond `finishedOrdersKept`. Safe:
   * a finished order is only ever looked up again from its bracket family, and every lookup
   * treats a missing order as finished.
   */
  #forgetOldFinished(record: OrderRecord): void {
    const old = this.#finishedKept === 0 ? record : this.#finished[this.#finishedNext];
    if (this.#finishedKept > 0) {
      this.#finished[this.#finishedNext] = record;
      this.#finishedNext = (this.#finishedNext + 1) % this.#finishedKept;
    }
    if (old === undefined) return;
    this.#orders.delete(old.order.orderId);
    if (old.order.clientOrderId !== undefined) {
      const key = clientKey(old.order.accountId, old.order.clientOrderId);
      if (this.#byClientId.get(key) === old.order.orderId) this.#byClientId.delete(key);
    }
  }

  #finish(record: OrderRecord, status: 'cancelled' | 'rejected', reason: string): void {
    record.order.status = status;
    record.order.reason = reason;
    this.#emitOrder(record);
  }

  #ack(record: OrderRecord): OrderAck {
    const ack: OrderAck = {
      orderId: record.order.orderId,
      clientOrderId: record.order.clientOrderId ?? '',
      status: record.order.status,
      time: this.clock.now(),
    };
    if (record.children) ack.childOrderIds = { ...record.children };
    return ack;
  }

  #emitOrder(record: OrderRecord): void {
    record.order.updatedAt = this.clock.now();
    this.#emit({ type: 'order-updated', order: copyOrder(record.order) });
  }

  #emit(event: BrokerEvent): void {
    const delay = this.faults.reportDelayMs;
    if (delay > 0) {
      this.clock.setTimer(delay, () => this.#deliver(event));
      return;
    }
    this.#deliver(event);
  }

  #deliver(event: BrokerEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        // A faulty listener must not leave the exchange half way through a fill.
        this.#logger.error({ err: error, event: event.type }, 'paper exchange listener threw');
      }
    }
  }
}

function clientKey(accountId: string, clientOrderId: string): string {
  return `${accountId}\u0000${clientOrderId}`;
}

function usesLimit(type: BrokerOrder['orderType']): boolean {
  return type === 'limit' || type === 'stop-limit';
}

function usesStop(type: BrokerOrder['orderType']): boolean {
  return type === 'stop' || type === 'stop-limit';
}

function nonNegative(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number ≥ 0`);
  return value;
}

/** Why a placement is malformed, or undefined when it is well formed. */
function validatePlacement(request: PlaceOrderRequest, instruments: InstrumentRegistry): string | undefined {
  if (!Number.isSafeInteger(request.qty) || request.qty <= 0)
    return `qty ${request.qty} is not a positive whole number`;
  if (!instruments.has(request.contract.root)) return `unknown instrument ${request.contract.root}`;
  if (usesLimit(request.orderType) && request.limitTicks === undefined)
    return `${request.orderType} order needs a limit price`;
  if (usesStop(request.orderType) && request.stopTicks === undefined)
    return `${request.orderType} order needs a stop price`;
  const prices = [
    request.limitTicks,
    request.stopTicks,
    request.bracket?.stopLossTicks,
    request.bracket?.takeProfitTicks,
  ];
  if (prices.some((p) => p !== undefined && !Number.isSafeInteger(p))) return 'prices must be whole ticks';
  return undefined;
}
