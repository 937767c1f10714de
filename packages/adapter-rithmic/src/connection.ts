/**
 * `BrokerConnection` over R|Protocol: an order-plant and a PnL-plant WebSocket per
 * Rithmic user. `connect()` follows a fixed order: log in to each plant, read login
 * info, accounts and trade routes, subscribe, resync (working orders, missed
 * executions, positions), then report connected.
 */
import {
  type AdapterContext,
  type BrokerAccount,
  type BrokerConnection,
  BrokerDisconnectedError,
  type BrokerEvent,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRejectedError,
  BrokerUnknownOrderError,
  type CancelOrderRequest,
  type ConnectionHealth,
  type FlattenRequest,
  type ModifyOrderRequest,
  type OrderAck,
  type PlaceOrderRequest,
  sameContract,
} from '@tradenova/core';
import { ConnectionLifecycle, declareCapabilities } from '@tradenova/core/adapter';
import { type PlantName, RithmicPlant } from './client/plant.js';
import type { RithmicConfig } from './config.js';
import { BROKER, FORCED_LOGOUT_REASON, RithmicForcedLogoutError } from './errors.js';
import { messageTime, orderTypeToWire, priceFields, sideToWire, ticksToWire, wireDate } from './parse.js';
import { RithmicState } from './state.js';
import { toRithmicSymbol } from './symbols.js';
import { type Decoded, Duration, OrderPlacement, type RithmicMessage, str, TEMPLATE_ID } from './wire.js';

/**
 * What Rithmic does natively. Brackets are engine-managed: the native bracket (330)
 * places legs in ticks from the fill price and names their basket ids only after the
 * fill, so the contract's absolute-price children with ids in the ack cannot be honoured.
 */
export const RITHMIC_CAPABILITIES = declareCapabilities({
  brackets: 'emulated',
  nativeOco: 'emulated',
  modify: 'native',
  clientOrderIds: 'native',
  positionQuery: 'native',
  leaderFillStream: 'native',
  netReversal: 'native',
});

/** One Rithmic user at one gateway. */
export class RithmicConnection implements BrokerConnection {
  readonly broker = BROKER;
  readonly capabilities = RITHMIC_CAPABILITIES;
  readonly #config: RithmicConfig;
  readonly #context: AdapterContext;
  readonly #state: RithmicState;
  readonly #life: ConnectionLifecycle;
  #order: RithmicPlant | undefined;
  #pnl: RithmicPlant | undefined;
  #fcmId = '';
  #ibId = '';
  #userType: number | undefined;
  #accounts: BrokerAccount[] = [];
  #routes = new Map<string, string>();
  /** While a show-orders request runs: the basket ids its snapshot named. */
  readonly #snapshots = new Set<Set<string>>();
  /** Accounts whose order history this process has read (`findOrderByClientId`). */
  readonly #historyRead = new Set<string>();
  /** When this connection first logged in (s): where an execution replay starts when no fill was seen. */
  #sinceSsboe: number | undefined;

  constructor(config: RithmicConfig, context: AdapterContext) {
    this.#config = config;
    this.#context = context;
    this.#life = new ConnectionLifecycle(BROKER, context, {
      latencyMs: () => this.#order?.latencyMs,
      forgetErrorOnConnect: true,
      reconnect: config.reconnect,
    });
    this.#state = new RithmicState(context.instruments, () => context.clock.now());
  }

  async connect(): Promise<void> {
    this.#life.reconnect.start();
    await this.#life.opening(
      () => this.#openSession(),
      () => {
        this.#teardown();
        this.#life.reconnect.stop();
      },
    );
    this.#life.enter('connected');
  }

  async disconnect(): Promise<void> {
    this.#life.reconnect.stop();
    const plants = [this.#order, this.#pnl];
    this.#order = undefined;
    this.#pnl = undefined;
    await Promise.all(plants.map((p) => p?.logout()));
    this.#life.enter('disconnected');
  }

  async listAccounts(): Promise<BrokerAccount[]> {
    await this.#ready();
    return this.#accounts.map((a) => ({ ...a }));
  }

  async placeOrder(request: PlaceOrderRequest): Promise<OrderAck> {
    if (request.bracket) {
      throw new BrokerRejectedError(
        BROKER,
        'brackets are engine-managed on Rithmic (capabilities.brackets is false)',
      );
    }
    const plant = await this.#ready();
    const accountId = request.accountId;
    // Same intent id again (a retry, a restart): answer with the order Rithmic already has.
    const existing = this.#state.orderByTag(accountId, request.clientOrderId);
    if (existing) return ackOf(existing, request.clientOrderId, this.#context.clock.now());
    const { symbol, exchange } = toRithmicSymbol(request.contract, this.#context.instruments);
    const uses = priceFields(request.orderType);
    const fields: Record<string, unknown> = {
      ...this.#ids(accountId),
      user_tag: request.clientOrderId,
      window_name: this.#config.windowName,
      symbol,
      exchange,
      quantity: request.qty,
      transaction_type: sideToWire(request.side),
      duration: request.timeInForce === 'gtc' ? Duration.GTC : Duration.DAY,
      price_type: orderTypeToWire(request.orderType),
      trade_route: this.#route(exchange),
      manual_or_auto: OrderPlacement[this.#config.orderPlacement],
    };
    if (uses.limit && request.limitTicks !== undefined)
      fields.price = ticksToWire(request.limitTicks, request.contract, this.#context.instruments);
    if (uses.stop && request.stopTicks !== undefined)
      fields.trigger_price = ticksToWire(request.stopTicks, request.contract, this.#context.instruments);
    const [answer] = await plant.request('RequestNewOrder', fields);
    const basketId = str(answer!, 'basket_id');
    if (basketId === undefined) throw new BrokerRejectedError(BROKER, 'ResponseNewOrder without basket_id');
    const time = messageTime(answer!, this.#context.clock.now());
    // 313 is the order plant's word that the order exists: track it now, with the terms sent,
    // so a modify or cancel right after this ack finds it (its 351s may still be on the way).
    this.#state.placed({
      orderId: basketId,
      clientOrderId: request.clientOrderId,
      accountId,
      contract: { ...request.contract },
      side: request.side,
      qty: request.qty,
      filledQty: 0,
      orderType: request.orderType,
      ...(uses.limit && request.limitTicks !== undefined ? { limitTicks: request.limitTicks } : {}),
      ...(uses.stop && request.stopTicks !== undefined ? { stopTicks: request.stopTicks } : {}),
      status: 'pending',
      updatedAt: time,
    });
    const known = this.#state.order(basketId);
    return {
      orderId: basketId,
      clientOrderId: request.clientOrderId,
      status: known?.status ?? 'pending',
      time,
    };
  }

  async modifyOrder(request: ModifyOrderRequest): Promise<void> {
    const plant = await this.#ready();
    const order = this.#state.order(request.orderId);
    if (!order || order.accountId !== request.accountId)
      throw new BrokerUnknownOrderError(BROKER, request.orderId);
    const { symbol, exchange } = toRithmicSymbol(order.contract, this.#context.instruments);
    const uses = priceFields(order.orderType);
    // async_rithmic restates symbol, exchange, quantity, type and price; so do we.
    const fields: Record<string, unknown> = {
      ...this.#ids(order.accountId),
      window_name: this.#config.windowName,
      basket_id: order.orderId,
      symbol,
      exchange,
      quantity: request.qty ?? order.qty,
      price_type: orderTypeToWire(order.orderType),
      manual_or_auto: OrderPlacement[this.#config.orderPlacement],
    };
    const limit = request.limitTicks ?? order.limitTicks;
    const stop = request.stopTicks ?? order.stopTicks;
    if (uses.limit && limit !== undefined)
      fields.price = ticksToWire(limit, order.contract, this.#context.instruments);
    if (uses.stop && stop !== undefined)
      fields.trigger_price = ticksToWire(stop, order.contract, this.#context.instruments);
    await plant.request('RequestModifyOrder', fields);
    this.#state.modified(order.orderId, {
      qty: fields.quantity as number,
      ...(uses.limit && limit !== undefined ? { limitTicks: limit } : {}),
      ...(uses.stop && stop !== undefined ? { stopTicks: stop } : {}),
    });
  }

  async cancelOrder(request: CancelOrderRequest): Promise<void> {
    const plant = await this.#ready();
    await plant.request('RequestCancelOrder', {
      ...this.#ids(request.accountId),
      window_name: this.#config.windowName,
      basket_id: request.orderId,
      manual_or_auto: OrderPlacement[this.#config.orderPlacement],
    });
  }

  async flatten(request: FlattenRequest): Promise<void> {
    const plant = await this.#ready();
    const placement = OrderPlacement[this.#config.orderPlacement];
    // Whether Exit Position (3504) also cancels working orders is not documented: cancel them first.
    if (request.contract) {
      const working = (await this.getOpenOrders(request.accountId)).filter((o) =>
        sameContract(o.contract, request.contract!),
      );
      await Promise.all(
        working.map((o) =>
          this.cancelOrder({ accountId: request.accountId, orderId: o.orderId }).catch(() => undefined),
        ),
      );
    } else {
      await plant.request('RequestCancelAllOrders', {
        ...this.#ids(request.accountId),
        ...(this.#userType === undefined ? {} : { user_type: this.#userType }),
        manual_or_auto: placement,
      });
    }
    const where = request.contract ? toRithmicSymbol(request.contract, this.#context.instruments) : {};
    await plant.request('RequestExitPosition', {
      ...this.#ids(request.accountId),
      window_name: this.#config.windowName,
      ...where,
      manual_or_auto: placement,
    });
  }

  async getPositions(accountId: string): Promise<BrokerPosition[]> {
    await this.#ready();
    const pnl = this.#pnl;
    if (!pnl) throw new BrokerRejectedError(BROKER, 'positions need the PnL plant (pnlPlant: true)');
    // The snapshot arrives as 450 pushes before 403; they update the state as they come.
    await pnl.request('RequestPnLPositionSnapshot', this.#ids(accountId));
    return this.#state.positions(accountId);
  }

  async getOpenOrders(accountId: string): Promise<BrokerOrder[]> {
    const plant = await this.#ready();
    const named = new Set<string>();
    this.#snapshots.add(named);
    try {
      await plant.request('RequestShowOrders', this.#ids(accountId));
    } finally {
      this.#snapshots.delete(named);
    }
    return this.#state.workingOrders(accountId).filter((o) => named.has(o.orderId));
  }

  async findOrderByClientId(accountId: string, clientOrderId: string): Promise<BrokerOrder | undefined> {
    const known = this.#state.orderByTag(accountId, clientOrderId);
    if (known) return known;
    // Not seen in this session: the broker's working orders may still hold it.
    await this.getOpenOrders(accountId);
    const working = this.#state.orderByTag(accountId, clientOrderId);
    if (working) return working;
    // Or it ended before this session began (a market copy filled, a cancel): only the
    // order history shows those, and Rithmic would take the same user_tag again as a new order.
    await this.#loadHistory(accountId);
    return this.#state.orderByTag(accountId, clientOrderId);
  }

  /**
   * Reads the account's order history once per process (324): every order of yesterday, today
   * and tomorrow (UTC dates, which cover the trade date of any order of the last 24 hours; a
   * CME trade date begins the evening before). Orders this process places are tracked as
   * placed, so one read is enough; a read that fails is tried again by the next lookup.
   */
  async #loadHistory(accountId: string): Promise<void> {
    if (this.#historyRead.has(accountId)) return;
    const plant = await this.#ready();
    const now = this.#context.clock.now();
    for (const day of [-1, 0, 1])
      await plant.request('RequestShowOrderHistorySummary', {
        ...this.#ids(accountId),
        date: wireDate(now + day * 86_400_000),
      });
    this.#historyRead.add(accountId);
  }

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    return this.#life.subscribe(listener);
  }

  health(): ConnectionHealth {
    return this.#life.health();
  }

  // ── session ───────────────────────────────────────────────────────────────

  async #openSession(): Promise<void> {
    const order = this.#plant('order');
    this.#order = order;
    const login = await order.open();
    this.#fcmId = login.fcmId ?? '';
    this.#ibId = login.ibId ?? '';
    const [info] = await order.request('RequestLoginInfo');
    this.#fcmId = str(info!, 'fcm_id') ?? this.#fcmId;
    this.#ibId = str(info!, 'ib_id') ?? this.#ibId;
    this.#userType = info!.user_type as number | undefined;
    const accountAnswers = await order.request('RequestAccountList', {
      fcm_id: this.#fcmId,
      ib_id: this.#ibId,
      ...(this.#userType === undefined ? {} : { user_type: this.#userType }),
    });
    const wanted = this.#config.accounts;
    this.#accounts = accountAnswers
      .filter((m) => str(m, 'account_id') !== undefined)
      .filter((m) => !wanted || wanted.includes(str(m, 'account_id')!))
      .map((m) => ({
        accountId: str(m, 'account_id')!,
        name: str(m, 'account_name') ?? str(m, 'account_id')!,
        canTrade: true,
      }));
    const missing = wanted?.filter((id) => !this.#accounts.some((a) => a.accountId === id)) ?? [];
    if (missing.length > 0)
      throw new BrokerRejectedError(BROKER, `accounts not visible to this user: ${missing.join(', ')}`);
    const routes = await order.request('RequestTradeRoutes', { subscribe_for_updates: true });
    this.#routes = new Map();
    for (const r of routes) {
      const exchange = str(r, 'exchange');
      const route = str(r, 'trade_route');
      if (exchange === undefined || route === undefined) continue;
      if (r.is_default === true || !this.#routes.has(exchange)) this.#routes.set(exchange, route);
    }
    for (const a of this.#accounts)
      await order.request('RequestSubscribeForOrderUpdates', this.#ids(a.accountId));
    if (this.#config.pnlPlant) {
      const pnl = this.#plant('pnl');
      this.#pnl = pnl;
      await pnl.open();
      for (const a of this.#accounts) {
        await pnl.request('RequestPnLPositionUpdates', { ...this.#ids(a.accountId), request: 1 });
      }
    }
    await this.#resync();
  }

  /** Working orders, executions missed while down (deduped by fill id) and positions. */
  async #resync(): Promise<void> {
    const nowSec = Math.floor(this.#context.clock.now() / 1000);
    this.#sinceSsboe ??= nowSec;
    const from = Math.min(this.#state.lastFillSsboe ?? this.#sinceSsboe, this.#sinceSsboe) - 1;
    for (const a of this.#accounts) {
      await this.#order!.request('RequestShowOrders', this.#ids(a.accountId));
      await this.#order!.request('RequestReplayExecutions', {
        ...this.#ids(a.accountId),
        start_index: from,
        finish_index: nowSec + 1,
      });
      if (this.#pnl) await this.#pnl.request('RequestPnLPositionSnapshot', this.#ids(a.accountId));
    }
  }

  #plant(plant: PlantName): RithmicPlant {
    const c = this.#config;
    const created: RithmicPlant = new RithmicPlant({
      plant,
      url: c.gatewayUrl,
      framing: c.framing,
      systemName: c.systemName,
      user: c.user,
      password: c.password,
      appName: c.appName,
      appVersion: c.appVersion,
      templateVersion: c.templateVersion,
      requestTimeoutMs: c.requestTimeoutMs,
      logger: this.#context.logger,
      onPush: (decoded) => this.#onPush(decoded),
      onClose: (info) => this.#onPlantClosed(created, info),
    });
    return created;
  }

  #onPush({ templateId, message }: Decoded): void {
    let events: BrokerEvent[] = [];
    if (
      templateId === TEMPLATE_ID.RithmicOrderNotification ||
      templateId === TEMPLATE_ID.ExchangeOrderNotification
    ) {
      if (message.is_snapshot === true) this.#noteSnapshot(message);
      events =
        templateId === TEMPLATE_ID.RithmicOrderNotification
          ? this.#state.onOrderNotification(message)
          : this.#state.onExchangeNotification(message);
    } else if (templateId === TEMPLATE_ID.InstrumentPnLPositionUpdate) {
      events = this.#state.onPositionUpdate(message);
    } else if (templateId === TEMPLATE_ID.AccountPnLPositionUpdate) {
      events = this.#state.onAccountUpdate(message, this.#context.clock.now());
    }
    this.#life.emitAll(events);
  }

  #noteSnapshot(message: RithmicMessage): void {
    const basketId = str(message, 'basket_id');
    if (basketId !== undefined) for (const named of this.#snapshots) named.add(basketId);
  }

  #onPlantClosed(plant: RithmicPlant, info: { forced: boolean; expected: boolean }): void {
    if (info.expected || this.#life.reconnect.stopped) return;
    if (plant !== this.#order && plant !== this.#pnl) return;
    this.#teardown();
    if (info.forced) {
      const error = new RithmicForcedLogoutError(plant.plant);
      this.#context.logger.error({ plant: plant.plant }, error.message);
      if (this.#config.onForcedLogout === 'stop') {
        this.#life.reconnect.stop();
        this.#life.errors.remember(error);
        this.#life.enter('disconnected', FORCED_LOGOUT_REASON);
        return;
      }
      // Two sessions fighting over one login would kick each other forever: wait long.
      this.#life.reconnect.atLeast(4);
    }
    this.#life.enter(
      'reconnecting',
      info.forced ? FORCED_LOGOUT_REASON : `${plant.plant} plant connection lost`,
    );
    this.#life.reconnect.schedule(
      async () => {
        await this.#openSession();
        if (this.#life.reconnect.stopped) this.#teardown();
        else this.#life.enter('connected');
      },
      (error) => {
        this.#teardown();
        this.#life.errors.remember(error);
      },
    );
  }

  #teardown(): void {
    const plants = [this.#order, this.#pnl];
    this.#order = undefined;
    this.#pnl = undefined;
    for (const p of plants) p?.terminate();
  }

  /** The order plant once connected; waits out a reconnect up to the request timeout. */
  async #ready(): Promise<RithmicPlant> {
    const state = await this.#life.settled(this.#config.requestTimeoutMs);
    if (state !== 'connected' || !this.#order)
      throw new BrokerDisconnectedError(BROKER, `not connected (${state})`);
    return this.#order;
  }

  #ids(accountId: string): { fcm_id: string; ib_id: string; account_id: string } {
    return { fcm_id: this.#fcmId, ib_id: this.#ibId, account_id: accountId };
  }

  #route(exchange: string): string {
    const route = this.#config.tradeRoute ?? this.#routes.get(exchange);
    // Orders without a valid trade route are rejected by Rithmic (§6); say why before sending.
    if (route === undefined) throw new BrokerRejectedError(BROKER, `no trade route for exchange ${exchange}`);
    return route;
  }
}

function ackOf(order: BrokerOrder, clientOrderId: string, now: number): OrderAck {
  return { orderId: order.orderId, clientOrderId, status: order.status, time: now };
}
