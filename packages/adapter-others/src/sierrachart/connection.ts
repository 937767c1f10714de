import {
  type AdapterContext,
  type BrokerAccount,
  type BrokerConnection,
  BrokerError,
  type BrokerEvent,
  type BrokerFill,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRejectedError,
  BrokerUnknownOrderError,
  type CancelOrderRequest,
  type ConnectionHealth,
  type Contract,
  contractKey,
  type FlattenRequest,
  type ModifyOrderRequest,
  type OrderAck,
  oppositeSide,
  type PlaceOrderRequest,
  type RequestBudget,
  sameContract,
  type Timer,
} from '@tradenova/core';
import { ConnectionLifecycle, declareCapabilities } from '@tradenova/core/adapter';
import { DtcSession } from './client/dtc-session.js';
import type { SierraChartConfig } from './config.js';
import {
  BROKER,
  disconnectedError,
  logonError,
  orderRejected,
  timeoutError,
  tradingDisabledError,
} from './errors.js';
import {
  buySellOf,
  dtcOrderTypeOf,
  fillOfOrderUpdate,
  isTerminal,
  type ParseContext,
  parseHistoricalFill,
  parseOrderUpdate,
  parsePositionUpdate,
  pricesOf,
} from './parse.js';
import { type SierraSymbols, sierraSymbols } from './symbols.js';
import {
  DTC_PROTOCOL_VERSION,
  type DtcHistoricalFill,
  type DtcMessage,
  type DtcOrderUpdate,
  type DtcPositionUpdate,
  DtcType,
  LogonStatus,
  OrderUpdateReason,
  TimeInForce,
} from './wire.js';

/** What Sierra Chart's DTC server does natively. */
export const SIERRACHART_CAPABILITIES = declareCapabilities({
  // A parent single order plus an OCO pair naming it (needs both a stop-loss and a take-profit).
  brackets: 'native',
  nativeOco: 'native',
  modify: 'native',
  clientOrderIds: 'native',
  positionQuery: 'native',
  leaderFillStream: 'none',
  netReversal: 'native',
});

/** Suffixes of bracket legs' client order ids: the entry's intent id plus one of these. */
const LEG = { takeProfit: '-tp', stopLoss: '-sl' } as const;

/** An answer being collected for one RequestID. */
interface OpenRequest {
  messages: DtcMessage[];
  resolve: (messages: DtcMessage[]) => void;
  reject: (error: Error) => void;
  timer: Timer;
}

/** Something waiting for an ORDER_UPDATE. */
type UpdateWaiter = (update: DtcOrderUpdate, order: BrokerOrder | undefined) => void;

/**
 * One logon at a Sierra Chart DTC server (JSON encoding) serving its trade accounts.
 * Orders carry the intent id as ClientOrderID; ORDER_UPDATE and POSITION_UPDATE drive the
 * events; after a drop the connection logs on again and resyncs from open orders,
 * historical fills and current positions, reporting only what changed.
 */
export class SierraChartConnection implements BrokerConnection {
  readonly broker = BROKER;
  readonly capabilities = SIERRACHART_CAPABILITIES;
  readonly budget: RequestBudget;
  /** The symbol mapping in use. */
  readonly symbols: SierraSymbols;
  readonly #config: SierraChartConfig;
  readonly #context: AdapterContext;
  readonly #life: ConnectionLifecycle;
  readonly #requests = new Map<number, OpenRequest>();
  readonly #waiters = new Set<UpdateWaiter>();
  /** Every order seen this session, by ServerOrderID. */
  readonly #orders = new Map<string, BrokerOrder>();
  readonly #byClientId = new Map<string, string>();
  readonly #fillIds = new Set<string>();
  readonly #positions = new Map<string, BrokerPosition>();
  #accounts: string[] = [];
  #session: DtcSession | undefined;
  #requestId = 0;
  #clientSeq = 0;
  #latencyMs: number | undefined;

  constructor(config: SierraChartConfig, context: AdapterContext) {
    this.#config = config;
    this.#context = context;
    this.#life = new ConnectionLifecycle(BROKER, context, {
      findOrder: (accountId, clientOrderId) => this.findOrderByClientId(accountId, clientOrderId),
      served: () => this.#accounts,
      latencyMs: () => this.#latencyMs,
      reconnect: config.reconnect,
    });
    this.budget = { requests: config.requestsPerSecond, perMs: 1_000 };
    this.symbols = sierraSymbols(config.symbolFormat, context.instruments);
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  /** Connects, agrees on JSON, logs on (trading must be allowed), lists accounts, loads orders and positions. */
  async connect(): Promise<void> {
    this.#life.reconnect.start();
    await this.#life.opening(
      () => this.#start(false),
      () => {
        this.#life.reconnect.stop();
        this.#session?.close('connect failed');
      },
    );
    this.#life.enter('connected');
  }

  /** Logs off and closes the socket; no reconnect follows. */
  async disconnect(): Promise<void> {
    this.#life.reconnect.stop();
    const session = this.#session;
    if (session?.isOpen) {
      session.send({ Type: DtcType.Logoff, Reason: 'client disconnect', DoNotReconnect: 0 });
      session.close('disconnect');
    }
    this.#life.enter('disconnected');
  }

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    return this.#life.subscribe(listener);
  }

  health(): ConnectionHealth {
    return this.#life.health();
  }

  // ── queries ───────────────────────────────────────────────────────────────

  async listAccounts(): Promise<BrokerAccount[]> {
    await this.#ready();
    return this.#accounts.map((name) => ({ accountId: name, name, canTrade: true }));
  }

  /** CURRENT_POSITIONS_REQUEST for the account; non-flat positions. */
  async getPositions(accountId: string): Promise<BrokerPosition[]> {
    return this.#life.around(async () => {
      this.#served(accountId);
      await this.#ready();
      const positions = await this.#loadPositions(accountId);
      return positions.filter((p) => p.netQty !== 0);
    });
  }

  /** OPEN_ORDERS_REQUEST for the account. */
  async getOpenOrders(accountId: string): Promise<BrokerOrder[]> {
    return this.#life.around(async () => {
      this.#served(accountId);
      await this.#ready();
      return (await this.#loadOpenOrders(accountId)).filter((o) => !isTerminal(o.status));
    });
  }

  /** The order with this ClientOrderID: this session's view first (terminal ones too), then the server's open orders. */
  async findOrderByClientId(accountId: string, clientOrderId: string): Promise<BrokerOrder | undefined> {
    return this.#life.around(async () => {
      this.#served(accountId);
      const known = this.#byClientId.get(clientOrderId);
      const order = known === undefined ? undefined : this.#orders.get(known);
      if (order && order.accountId === accountId) return { ...order, contract: { ...order.contract } };
      await this.#ready();
      return (await this.#loadOpenOrders(accountId)).find((o) => o.clientOrderId === clientOrderId);
    });
  }

  // ── orders ────────────────────────────────────────────────────────────────

  placeOrder(request: PlaceOrderRequest): Promise<OrderAck> {
    return this.#life.around(async () => {
      this.#served(request.accountId);
      await this.#ready();
      // One order per intent: joins one in flight, repeats an ack, looks up after an unknown outcome.
      return this.#life.place(
        request,
        () => this.#place(request),
        (found) => {
          if (found.status === 'rejected') throw orderRejected(found.reason);
          return { ...this.#life.ackOf(request, found), ...this.#childIdsOf(request.clientOrderId) };
        },
      );
    });
  }

  async #place(request: PlaceOrderRequest): Promise<OrderAck> {
    const bracket = request.bracket;
    if (bracket && (bracket.stopLossTicks === undefined || bracket.takeProfitTicks === undefined)) {
      throw new BrokerRejectedError(
        BROKER,
        'a DTC bracket is an OCO pair: it needs both stop-loss and take-profit',
      );
    }
    const tickSize = this.#tickSize(request.contract);
    const symbol = this.symbols.format(request.contract);
    const single: DtcMessage = {
      Type: DtcType.SubmitNewSingleOrder,
      Symbol: symbol,
      Exchange: this.#config.exchange,
      TradeAccount: request.accountId,
      ClientOrderID: request.clientOrderId,
      OrderType: dtcOrderTypeOf(request.orderType),
      BuySell: buySellOf(request.side),
      ...pricesOf(request.orderType, request.limitTicks, request.stopTicks, tickSize),
      Quantity: request.qty,
      TimeInForce: request.timeInForce === 'gtc' ? TimeInForce.GoodTillCanceled : TimeInForce.Day,
      // Exchange rule: an order not typed by a human is flagged automated.
      IsAutomatedOrder: 1,
      IsParentOrder: bracket ? 1 : 0,
    };
    const wanted = new Set([request.clientOrderId]);
    if (bracket) for (const suffix of Object.values(LEG)) wanted.add(request.clientOrderId + suffix);
    const seen = new Map<string, BrokerOrder>();
    const sentAt = performance.now();
    const outcome = this.#awaitUpdates((update, order) => {
      const id = update.ClientOrderID;
      if (id === undefined || !wanted.has(id) || update.TradeAccount !== request.accountId) return undefined;
      if (id === request.clientOrderId && order?.status === 'rejected') return orderRejected(update.InfoText);
      if (order && order.status !== 'pending') seen.set(id, order);
      else if (order && id !== request.clientOrderId) seen.set(id, order); // a held child is "pending child"
      return [...wanted].every((w) => seen.has(w)) ? true : undefined;
    });
    this.#sendFor(outcome, single);
    if (bracket) {
      const exit = buySellOf(oppositeSide(request.side));
      this.#sendFor(outcome, {
        Type: DtcType.SubmitNewOcoOrder,
        Symbol: symbol,
        Exchange: this.#config.exchange,
        ClientOrderID_1: request.clientOrderId + LEG.takeProfit,
        OrderType_1: dtcOrderTypeOf('limit'),
        BuySell_1: exit,
        Price1_1: Number(pricesOf('limit', bracket.takeProfitTicks, undefined, tickSize).Price1),
        Quantity_1: request.qty,
        ClientOrderID_2: request.clientOrderId + LEG.stopLoss,
        OrderType_2: dtcOrderTypeOf('stop'),
        BuySell_2: exit,
        Price1_2: Number(pricesOf('stop', undefined, bracket.stopLossTicks, tickSize).Price1),
        Quantity_2: request.qty,
        TimeInForce: single.TimeInForce,
        TradeAccount: request.accountId,
        IsAutomatedOrder: 1,
        ParentTriggerClientOrderID: request.clientOrderId,
        PartialFillHandling: 1,
      });
    }
    await outcome;
    this.#latencyMs = Math.round((performance.now() - sentAt) * 100) / 100;
    const entry = seen.get(request.clientOrderId)!;
    return {
      orderId: entry.orderId,
      clientOrderId: request.clientOrderId,
      status: entry.status,
      time: this.#context.clock.now(),
      ...this.#childIdsOf(request.clientOrderId),
    };
  }

  /** CANCEL_REPLACE_ORDER with the order's full prices; resolves on CANCEL_REPLACE_COMPLETE. */
  async modifyOrder(request: ModifyOrderRequest): Promise<void> {
    await this.#life.around(async () => {
      const order = await this.#workingOrder(request.accountId, request.orderId);
      const tickSize = this.#tickSize(order.contract);
      const prices = pricesOf(
        order.orderType,
        request.limitTicks ?? order.limitTicks,
        request.stopTicks ?? order.stopTicks,
        tickSize,
      );
      const done = this.#awaitUpdates((update) => {
        if (update.ServerOrderID !== order.orderId && update.PreviousServerOrderID !== order.orderId)
          return undefined;
        if (update.OrderUpdateReason === OrderUpdateReason.OrderCancelReplaceComplete) return true;
        if (update.OrderUpdateReason === OrderUpdateReason.OrderCancelReplaceRejected)
          return orderRejected(update.InfoText);
        return undefined;
      });
      this.#sendFor(done, {
        Type: DtcType.CancelReplaceOrder,
        ServerOrderID: order.orderId,
        ClientOrderID: order.clientOrderId ?? '',
        ...prices,
        Price1IsSet: prices.Price1 === undefined ? 0 : 1,
        Price2IsSet: prices.Price2 === undefined ? 0 : 1,
        Quantity: request.qty ?? order.qty,
      });
      await done;
    });
  }

  /** CANCEL_ORDER; resolves on ORDER_CANCELED. */
  async cancelOrder(request: CancelOrderRequest): Promise<void> {
    await this.#life.around(async () => {
      const order = await this.#workingOrder(request.accountId, request.orderId);
      await this.#cancel(order);
    });
  }

  /**
   * Cancels the account's working orders (of the contract, or all), then closes each
   * position with SUBMIT_FLATTEN_POSITION_ORDER, which only closes the position.
   */
  async flatten(request: FlattenRequest): Promise<void> {
    await this.#life.around(async () => {
      this.#served(request.accountId);
      await this.#ready();
      const wanted = (c: Contract) => request.contract === undefined || sameContract(c, request.contract);
      const open = (await this.#loadOpenOrders(request.accountId)).filter(
        (o) => !isTerminal(o.status) && wanted(o.contract),
      );
      // Children first: cancelling a bracket parent may take them with it.
      open.sort((a, b) => Number(b.parentOrderId !== undefined) - Number(a.parentOrderId !== undefined));
      for (const order of open) {
        await this.#cancel(order).catch((error: unknown) => {
          // Already gone (filled or cancelled with its parent): nothing left to cancel.
          if (!(error instanceof BrokerRejectedError)) throw error;
        });
      }
      const positions = (await this.#loadPositions(request.accountId)).filter(
        (p) => p.netQty !== 0 && wanted(p.contract),
      );
      for (const position of positions) {
        const clientOrderId = `tnflat-${this.#context.clock.now().toString(36)}-${++this.#clientSeq}`;
        const done = this.#awaitUpdates((update, order) => {
          if (update.ClientOrderID !== clientOrderId) return undefined;
          if (order?.status === 'rejected') return orderRejected(update.InfoText);
          return order?.status === 'filled' ? true : undefined;
        });
        this.#sendFor(done, {
          Type: DtcType.SubmitFlattenPositionOrder,
          Symbol: this.symbols.format(position.contract),
          Exchange: this.#config.exchange,
          TradeAccount: request.accountId,
          ClientOrderID: clientOrderId,
          IsAutomatedOrder: 1,
        });
        await done;
      }
    });
  }

  // ── session ───────────────────────────────────────────────────────────────

  /** Opens a session and logs on; `resync` reports what changed since the last session. */
  async #start(resync: boolean): Promise<void> {
    const session = new DtcSession({
      host: this.#config.host,
      port: this.#config.port,
      encoding: this.#config.encoding,
      clock: this.#context.clock,
      logger: this.#context.logger,
      openTimeoutMs: this.#config.requestTimeoutMs,
      onMessage: (message) => this.#onMessage(message),
      onClose: (reason) => this.#onClose(session, reason),
    });
    this.#session = session;
    await session.open();
    const logon = (await this.#exchange(
      {
        Type: DtcType.LogonRequest,
        ProtocolVersion: DTC_PROTOCOL_VERSION,
        Username: this.#config.username,
        Password: this.#config.password,
        // Integer_1 bit 0x2 would make this a market-data relay connection: never set for trading.
        Integer_1: 0,
        HeartbeatIntervalInSeconds: this.#config.heartbeatIntervalSeconds,
        ...(this.#config.tradeMode === undefined
          ? {}
          : { TradeMode: { demo: 1, simulated: 2, live: 3 }[this.#config.tradeMode] }),
        ClientName: this.#config.clientName,
      },
      DtcType.LogonResponse,
    )) as DtcMessage & { Result?: number; ResultText?: string; TradingIsSupported?: number };
    if (logon.Result !== LogonStatus.Success) {
      const error = logonError(String(logon.ResultText ?? ''));
      session.close('logon refused');
      throw error;
    }
    if (logon.TradingIsSupported !== 1) {
      session.close('trading not supported');
      throw tradingDisabledError();
    }
    session.startHeartbeat(this.#config.heartbeatIntervalSeconds);
    const accounts = (await this.#collect({ Type: DtcType.TradeAccountsRequest }))
      .map((m) => String(m.TradeAccount ?? ''))
      .filter((a) => a !== '');
    for (const name of this.#config.accounts ?? []) {
      if (!accounts.includes(name)) {
        session.close('unknown account');
        throw new BrokerRejectedError(
          BROKER,
          `trade account "${name}" is not offered by the DTC server (check accounts:)`,
        );
      }
    }
    this.#accounts = this.#config.accounts ?? accounts;
    await this.#resync(resync);
  }

  /**
   * Loads open orders, fills and positions. On a first connect that is the starting point;
   * after a reconnect every difference is reported: fills missed while down (deduped by
   * execution id), orders that changed or left the open list, positions that moved.
   */
  async #resync(report: boolean): Promise<void> {
    const events: BrokerEvent[] = [];
    const open = await this.#loadOpenOrders('');
    const openIds = new Set(open.map((o) => o.orderId));
    const fills = await this.#loadFills();
    for (const fill of fills) {
      if (this.#fillIds.has(fill.fillId)) continue;
      this.#fillIds.add(fill.fillId);
      const order = this.#orders.get(fill.orderId);
      if (order?.clientOrderId !== undefined) fill.clientOrderId = order.clientOrderId;
      if (order) fill.contract = { ...order.contract };
      if (report && this.#served_(fill.accountId)) events.push({ type: 'order-filled', fill });
      if (order && !openIds.has(order.orderId) && !isTerminal(order.status)) {
        order.filledQty = Math.min(order.qty, order.filledQty + fill.qty);
      }
    }
    for (const order of open) {
      const before = this.#orders.get(order.orderId);
      this.#remember_(order);
      if (report && (!before || !sameOrder(before, order)))
        events.push({ type: 'order-updated', order: { ...order } });
    }
    for (const order of this.#orders.values()) {
      if (openIds.has(order.orderId) || isTerminal(order.status)) continue;
      // Not open any more: filled when its fills cover it; otherwise it ended without us (cancelled).
      order.status = order.filledQty >= order.qty ? 'filled' : 'cancelled';
      if (order.status === 'cancelled') order.reason = 'no longer open after reconnect';
      order.updatedAt = this.#context.clock.now();
      if (report) events.push({ type: 'order-updated', order: { ...order } });
    }
    const positions = await this.#loadPositions('');
    const current = new Map(positions.map((p) => [positionKey(p), p]));
    for (const [key, before] of this.#positions) {
      if (!current.has(key) && before.netQty !== 0)
        current.set(key, { ...before, netQty: 0, avgPriceTicks: 0 });
    }
    for (const [key, position] of current) {
      const before = this.#positions.get(key);
      this.#positions.set(key, position);
      const moved =
        !before || before.netQty !== position.netQty || before.avgPriceTicks !== position.avgPriceTicks;
      if (report && moved) events.push({ type: 'position-updated', position });
    }
    this.#life.emitAll(events);
  }

  #onClose(session: DtcSession, reason: string): void {
    for (const [id, request] of this.#requests) {
      request.timer.cancel();
      request.reject(disconnectedError(`connection lost: ${reason}`));
      this.#requests.delete(id);
    }
    for (const waiter of [...this.#waiters]) waiter({ Type: -1 }, undefined);
    if (session !== this.#session || this.#life.reconnect.stopped) return;
    this.#life.errors.remember(new Error(reason));
    this.#life.enter('reconnecting', reason);
    this.#life.reconnect.schedule(
      async () => {
        await this.#start(true);
        if (!this.#life.reconnect.stopped) this.#life.enter('connected');
      },
      (error) => {
        this.#life.errors.remember(error);
        this.#session?.close('reconnect failed');
        // A refused logon or a server without trading will not mend by retrying.
        if (error instanceof BrokerError && error.disposition === 'fatal') {
          this.#life.reconnect.stop();
          this.#life.enter('disconnected', error.message);
        }
      },
    );
  }

  /** Resolves once connected; a BrokerDisconnectedError when not connected within the request timeout. */
  async #ready(): Promise<void> {
    if (this.#life.connected) return;
    if (this.#life.reconnect.stopped) throw disconnectedError('not connected (call connect() first)');
    if ((await this.#life.settled(this.#config.requestTimeoutMs)) !== 'connected')
      throw disconnectedError('not connected');
  }

  // ── messages ──────────────────────────────────────────────────────────────

  #onMessage(message: DtcMessage): void {
    const requestId = typeof message.RequestID === 'number' ? message.RequestID : 0;
    const pending = requestId === 0 ? undefined : this.#requests.get(requestId);
    if (pending) {
      this.#collectInto(requestId, pending, message);
      return;
    }
    switch (message.Type) {
      case DtcType.OrderUpdate:
        this.#onOrderUpdate(message as DtcOrderUpdate);
        return;
      case DtcType.PositionUpdate:
        this.#onPositionUpdate(message as DtcPositionUpdate);
        return;
      case DtcType.LogonResponse: {
        const waiting = this.#requests.get(-DtcType.LogonResponse);
        if (waiting) this.#collectInto(-DtcType.LogonResponse, waiting, message, true);
        return;
      }
      case DtcType.Logoff:
        this.#session?.close(`server logoff: ${String(message.Reason ?? '')}`);
        return;
      default:
        // Heartbeats only prove liveness (the session notes the bytes); others are not used here.
        return;
    }
  }

  #onOrderUpdate(update: DtcOrderUpdate): void {
    let order: BrokerOrder | undefined;
    try {
      order = parseOrderUpdate(update, this.#parseContext());
    } catch (error) {
      this.#context.logger.warn({ err: String(error) }, 'sierrachart: order update not understood');
    }
    if (order) {
      const fill = fillOfOrderUpdate(update, order, this.#tickSize(order.contract));
      if (update.PreviousServerOrderID && update.PreviousServerOrderID !== order.orderId) {
        this.#orders.delete(update.PreviousServerOrderID);
      }
      this.#remember_(order);
      if (fill && !this.#fillIds.has(fill.fillId)) {
        this.#fillIds.add(fill.fillId);
        this.#life.emitAll([{ type: 'order-filled', fill }]);
      }
      this.#life.emitAll([{ type: 'order-updated', order: { ...order, contract: { ...order.contract } } }]);
    }
    for (const waiter of [...this.#waiters]) waiter(update, order);
  }

  #onPositionUpdate(update: DtcPositionUpdate): void {
    let position: BrokerPosition | undefined;
    try {
      position = parsePositionUpdate(update, this.#parseContext());
    } catch (error) {
      this.#context.logger.warn({ err: String(error) }, 'sierrachart: position update not understood');
    }
    if (!position) return;
    this.#positions.set(positionKey(position), position);
    this.#life.emitAll([
      {
        type: 'position-updated',
        position: { ...position, contract: { ...position.contract } },
      },
    ]);
  }

  /**
   * Waits for ORDER_UPDATEs until `check` returns true (done) or an error (fail); a timeout
   * or a lost connection leaves the outcome unknown.
   */
  #awaitUpdates(
    check: (update: DtcOrderUpdate, order: BrokerOrder | undefined) => true | Error | undefined,
  ): Promise<void> & { cancel: (error: Error) => void } {
    let cancel: (error: Error) => void = () => {};
    const promise = new Promise<void>((resolve, reject) => {
      const finish = (error?: Error) => {
        timer.cancel();
        this.#waiters.delete(waiter);
        if (error) reject(error);
        else resolve();
      };
      const waiter: UpdateWaiter = (update, order) => {
        if (update.Type === -1) {
          finish(disconnectedError('connection lost before the answer (outcome unknown)'));
          return;
        }
        const result = check(update, order);
        if (result === true) finish();
        else if (result instanceof Error) finish(result);
      };
      const timer = this.#context.clock.setTimer(this.#config.requestTimeoutMs, () =>
        finish(timeoutError(this.#config.requestTimeoutMs)),
      );
      this.#waiters.add(waiter);
      cancel = finish;
    });
    return Object.assign(promise, { cancel });
  }

  /** Sends `message` for a waiter; when the socket is gone the waiter ends with that error at once. */
  #sendFor(waiter: { cancel: (error: Error) => void }, message: DtcMessage): void {
    if (!this.#session?.send(message)) waiter.cancel(disconnectedError('not connected'));
  }

  async #cancel(order: BrokerOrder): Promise<void> {
    const done = this.#awaitUpdates((update, updated) => {
      if (update.ServerOrderID !== order.orderId) return undefined;
      if (update.OrderUpdateReason === OrderUpdateReason.OrderCancelRejected)
        return orderRejected(update.InfoText);
      return updated && isTerminal(updated.status) ? true : undefined;
    });
    this.#sendFor(done, {
      Type: DtcType.CancelOrder,
      ServerOrderID: order.orderId,
      ClientOrderID: order.clientOrderId ?? '',
    });
    await done;
  }

  /** Sends a request with a RequestID and collects its numbered answers. */
  #collect(message: DtcMessage): Promise<DtcMessage[]> {
    const id = ++this.#requestId;
    return this.#exchangeMany({ ...message, RequestID: id }, id);
  }

  /** Sends a message answered by one message of `answerType` (LOGON). */
  async #exchange(message: DtcMessage, answerType: number): Promise<DtcMessage> {
    const [answer] = await this.#exchangeMany(message, -answerType);
    return answer!;
  }

  #exchangeMany(message: DtcMessage, id: number): Promise<DtcMessage[]> {
    return new Promise((resolve, reject) => {
      const timer = this.#context.clock.setTimer(this.#config.requestTimeoutMs, () => {
        this.#requests.delete(id);
        reject(timeoutError(this.#config.requestTimeoutMs));
      });
      this.#requests.set(id, { messages: [], resolve, reject, timer });
      if (!this.#session?.send(message)) {
        timer.cancel();
        this.#requests.delete(id);
        reject(disconnectedError('not connected'));
      }
    });
  }

  #collectInto(id: number, request: OpenRequest, message: DtcMessage, single = false): void {
    if (
      message.Type === DtcType.OpenOrdersReject ||
      message.Type === DtcType.CurrentPositionsReject ||
      message.Type === DtcType.HistoricalOrderFillsReject
    ) {
      request.timer.cancel();
      this.#requests.delete(id);
      request.reject(new BrokerRejectedError(BROKER, String(message.RejectText ?? 'request rejected')));
      return;
    }
    request.messages.push(message);
    const total = Number(message.TotalNumMessages ?? message.TotalNumberMessages ?? 1);
    const number = Number(message.MessageNumber ?? 1);
    if (single || number >= total) {
      request.timer.cancel();
      this.#requests.delete(id);
      request.resolve(request.messages);
    }
  }

  async #loadOpenOrders(accountId: string): Promise<BrokerOrder[]> {
    const answers = await this.#collect({
      Type: DtcType.OpenOrdersRequest,
      RequestAllOrders: 1,
      ServerOrderID: '',
      TradeAccount: accountId,
    });
    const ctx = this.#parseContext();
    return answers.flatMap((m) => {
      const order = parseOrderUpdate(m as DtcOrderUpdate, ctx);
      return order && (accountId === '' || order.accountId === accountId) ? [order] : [];
    });
  }

  async #loadPositions(accountId: string): Promise<BrokerPosition[]> {
    const answers = await this.#collect({ Type: DtcType.CurrentPositionsRequest, TradeAccount: accountId });
    const ctx = this.#parseContext();
    return answers.flatMap((m) => {
      const position = parsePositionUpdate(m as DtcPositionUpdate, ctx);
      return position && (accountId === '' || position.accountId === accountId) ? [position] : [];
    });
  }

  async #loadFills(): Promise<BrokerFill[]> {
    const answers = await this.#collect({
      Type: DtcType.HistoricalOrderFillsRequest,
      ServerOrderID: '',
      NumberOfDays: this.#config.fillHistoryDays,
      TradeAccount: '',
    });
    const ctx = this.#parseContext();
    return answers.flatMap((m) => {
      const fill = parseHistoricalFill(m as DtcHistoricalFill, ctx);
      return fill ? [fill] : [];
    });
  }

  // ── internals ─────────────────────────────────────────────────────────────

  async #workingOrder(accountId: string, orderId: string): Promise<BrokerOrder> {
    this.#served(accountId);
    await this.#ready();
    let order = this.#orders.get(orderId);
    if (!order) order = (await this.#loadOpenOrders(accountId)).find((o) => o.orderId === orderId);
    if (!order || order.accountId !== accountId) throw new BrokerUnknownOrderError(BROKER, orderId);
    if (isTerminal(order.status))
      throw new BrokerRejectedError(BROKER, `order ${orderId} is already ${order.status}`);
    return order;
  }

  #childIdsOf(clientOrderId: string): Pick<OrderAck, 'childOrderIds'> {
    const tp = this.#byClientId.get(clientOrderId + LEG.takeProfit);
    const sl = this.#byClientId.get(clientOrderId + LEG.stopLoss);
    if (tp === undefined && sl === undefined) return {};
    return {
      childOrderIds: {
        ...(tp === undefined ? {} : { takeProfit: tp }),
        ...(sl === undefined ? {} : { stopLoss: sl }),
      },
    };
  }

  #remember_(order: BrokerOrder): void {
    this.#orders.set(order.orderId, order);
    if (order.clientOrderId !== undefined) this.#byClientId.set(order.clientOrderId, order.orderId);
  }

  #parseContext(): ParseContext {
    const at = this.#context.clock.now();
    return {
      contractOf: (symbol) => this.symbols.parse(symbol, at),
      tickSize: (contract) => this.#tickSize(contract),
      now: at,
    };
  }

  #served(accountId: string): void {
    if (!this.#served_(accountId) && this.#accounts.length > 0) {
      throw new BrokerRejectedError(BROKER, `account ${accountId} is not served by this connection`);
    }
  }

  #served_(accountId: string): boolean {
    return this.#accounts.includes(accountId);
  }

  #tickSize(contract: Contract): string {
    return this.#context.instruments.get(contract.root).tickSize;
  }
}

function positionKey(p: BrokerPosition): string {
  return `${p.accountId}\u0000${contractKey(p.contract)}`;
}

function sameOrder(a: BrokerOrder, b: BrokerOrder): boolean {
  return (
    a.status === b.status &&
    a.filledQty === b.filledQty &&
    a.qty === b.qty &&
    a.limitTicks === b.limitTicks &&
    a.stopTicks === b.stopTicks
  );
}
