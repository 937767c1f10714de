import {
  type AdapterContext,
  type BrokerAccount,
  type BrokerConnection,
  BrokerError,
  type BrokerEvent,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRejectedError,
  type CancelOrderRequest,
  type ConnectionHealth,
  type Contract,
  ErrorCode,
  type FlattenRequest,
  type ModifyOrderRequest,
  type OrderAck,
  oppositeSide,
  type PlaceOrderRequest,
  type RequestBudget,
  type Ticks,
} from '@tradenova/core';
import { ConnectionLifecycle, declareCapabilities } from '@tradenova/core/adapter';
import { TradovateRestClient } from './client/rest.js';
import { TradovateUserSocket } from './client/websocket.js';
import { resolveEndpoints, type TradovateConfig } from './config.js';
import { BROKER } from './errors.js';
import {
  actionOf,
  isTerminalStatus,
  parseOrder,
  parsePosition,
  ticksToWirePrice,
  tvOrderTypeOf,
} from './parse.js';
import { TradovateState } from './state.js';
import { fromTradovateSymbol, toTradovateSymbol } from './symbols.js';
import {
  priceToken,
  type TvAccount,
  type TvCommandResult,
  type TvContract,
  type TvFill,
  type TvOrder,
  type TvOrderVersion,
  type TvPlaceResult,
  type TvPosition,
  type TvPropsEvent,
  type TvSyncSnapshot,
} from './wire.js';

/** What Tradovate does natively. */
export const TRADOVATE_CAPABILITIES = declareCapabilities({
  // order/placeoso: entry plus one or two children that are OCO with each other.
  brackets: 'native',
  nativeOco: 'native',
  modify: 'native',
  // The intent id travels in `text` (and `clOrdId`) and comes back on the order version.
  clientOrderIds: 'native',
  positionQuery: 'native',
  // user/syncrequest streams the leader's own orders and fills.
  leaderFillStream: 'native',
  netReversal: 'native',
});

/** The suffixes of bracket children's tags: the entry's intent id plus one of these. */
const CHILD_TAG = { takeProfit: ':tp', stopLoss: ':sl' } as const;

/**
 * One Tradovate login serving one or more of the user's accounts. Orders go over
 * REST; the user socket's sync stream drives events. Accounts are named by their
 * Tradovate name (`accountSpec`, e.g. `DEMO1234567`).
 *
 * Idempotency: the intent id is sent as `clOrdId` and `text`. A placement retried
 * in this process returns the first acknowledgement; a placement whose outcome was
 * unknown (timeout, dropped connection) is looked up by its tag before it is sent again.
 */
export class TradovateConnection implements BrokerConnection {
  readonly broker = BROKER;
  readonly capabilities = TRADOVATE_CAPABILITIES;
  readonly budget: RequestBudget;
  /** The REST client (exposed for tests and diagnostics). */
  readonly rest: TradovateRestClient;
  readonly #config: TradovateConfig;
  readonly #context: AdapterContext;
  readonly #socket: TradovateUserSocket;
  readonly #state: TradovateState;
  readonly #life: ConnectionLifecycle;
  readonly #contractIds = new Map<string, number>();
  /** Entity changes are applied one after another, waiting for contract lookups, so events keep their order. */
  #ingest: Promise<void> = Promise.resolve();

  constructor(config: TradovateConfig, context: AdapterContext) {
    this.#config = config;
    this.#context = context;
    this.#life = new ConnectionLifecycle(BROKER, context, {
      findOrder: (accountId, clientOrderId) => this.findOrderByClientId(accountId, clientOrderId),
      served: () => config.accounts,
      latencyMs: () => this.rest.lastLatencyMs,
    });
    this.budget = { requests: config.requestsPerSecond, perMs: 1_000 };
    const { baseUrl, wsUrl } = resolveEndpoints(config);
    this.rest = new TradovateRestClient({
      baseUrl,
      credentials: {
        username: config.username,
        password: config.password,
        appId: config.appId,
        appVersion: config.appVersion,
        ...(config.deviceId === undefined ? {} : { deviceId: config.deviceId }),
        ...(config.cid === undefined ? {} : { cid: config.cid }),
        ...(config.secret === undefined ? {} : { secret: config.secret }),
      },
      clock: context.clock,
      logger: context.logger,
      renewBeforeMs: config.renewBeforeMs,
      maxPenaltyWaitMs: config.maxPenaltyWaitMs,
      requestTimeoutMs: config.requestTimeoutMs,
    });
    this.#state = new TradovateState(context.instruments);
    this.#socket = new TradovateUserSocket(
      {
        url: wsUrl,
        clock: context.clock,
        logger: context.logger,
        heartbeatMs: config.heartbeatMs,
        staleAfterMs: config.staleAfterMs,
        reconnect: config.reconnect,
        session: async () => {
          const token = await this.rest.ensureSession();
          return { accessToken: token.accessToken, userId: token.userId };
        },
        tokenRefused: (accessToken) => this.rest.forget(accessToken),
        accountIds: () => this.#servedAccountIds(),
      },
      {
        snapshot: (snapshot, resync) => this.#enqueue(() => this.#onSnapshot(snapshot, resync)),
        props: (event) => this.#enqueue(() => this.#onProps(event)),
        state: (state, reason) => this.#enqueue(async () => this.#life.enter(state, reason)),
      },
    );
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  /** Authenticates, loads the accounts, opens and syncs the user socket, then reports connected. */
  async connect(): Promise<void> {
    await this.#life.opening(
      async () => {
        this.rest.open();
        await this.rest.ensureSession();
        const accounts = await this.rest.request<TvAccount[]>({ method: 'GET', endpoint: 'account/list' });
        for (const a of accounts) this.#state.accounts.set(a.id, a);
        for (const name of this.#config.accounts ?? []) {
          if (!accounts.some((a) => a.name === name)) {
            throw new BrokerRejectedError(
              BROKER,
              `account "${name}" is not an account of this user (check accounts:)`,
            );
          }
        }
        await this.#socket.start();
        await this.#ingest;
      },
      async () => {
        this.rest.close();
        await this.#socket.stop();
      },
    );
  }

  /** Closes the socket and stops token renewal. */
  async disconnect(): Promise<void> {
    this.rest.close();
    await this.#socket.stop();
    await this.#ingest;
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
    const accounts = await this.#life.around(() =>
      this.rest.request<TvAccount[]>({ method: 'GET', endpoint: 'account/list' }),
    );
    for (const a of accounts) this.#state.accounts.set(a.id, a);
    const served = this.#config.accounts;
    return accounts
      .filter((a) => served === undefined || served.includes(a.name))
      .map((a) => ({ accountId: a.name, name: a.name, canTrade: a.active && a.readonly !== true }));
  }

  async getPositions(accountId: string): Promise<BrokerPosition[]> {
    const account = this.#account(accountId);
    const positions = await this.#life.around(() =>
      this.rest.request<TvPosition[]>({
        method: 'GET',
        endpoint: 'position/deps',
        query: { masterid: account.id },
      }),
    );
    const out: BrokerPosition[] = [];
    for (const p of positions) {
      if (p.netPos === 0) continue;
      const contract = await this.#contractById(p.contractId);
      out.push(parsePosition(p, { accountName: account.name, contract, tickSize: this.#tickSize(contract) }));
    }
    return out;
  }

  async getOpenOrders(accountId: string): Promise<BrokerOrder[]> {
    return this.#life.around(() =>
      this.#loadOrders(this.#account(accountId), (o) => !isTerminalStatus(o.ordStatus)),
    );
  }

  /**
   * The order this account placed with this intent id, read from the broker (the
   * tag is in the order version's `text`). How a retry or a restart avoids a second order.
   */
  async findOrderByClientId(accountId: string, clientOrderId: string): Promise<BrokerOrder | undefined> {
    const orders = await this.#life.around(() => this.#loadOrders(this.#account(accountId), () => true));
    return orders.find((o) => o.clientOrderId === clientOrderId);
  }

  // ── orders ────────────────────────────────────────────────────────────────

  placeOrder(request: PlaceOrderRequest): Promise<OrderAck> {
    // One order per intent: joins one in flight, repeats an ack, looks up after an unknown outcome.
    return this.#life.place(request, () => this.#place(request));
  }

  async #place(request: PlaceOrderRequest): Promise<OrderAck> {
    const account = this.#account(request.accountId);
    const tickSize = this.#tickSize(request.contract);
    const body: Record<string, unknown> = {
      accountSpec: account.name,
      accountId: account.id,
      clOrdId: request.clientOrderId,
      action: actionOf(request.side),
      symbol: toTradovateSymbol(request.contract),
      orderQty: request.qty,
      orderType: tvOrderTypeOf(request.orderType),
      // Exchange rule (§5): every order not typed by a human is flagged automated.
      isAutomated: true,
      text: request.clientOrderId,
    };
    if (request.limitTicks !== undefined)
      body.price = priceToken(ticksToWirePrice(request.limitTicks, tickSize));
    if (request.stopTicks !== undefined)
      body.stopPrice = priceToken(ticksToWirePrice(request.stopTicks, tickSize));
    if (request.timeInForce !== undefined) body.timeInForce = request.timeInForce === 'gtc' ? 'GTC' : 'Day';
    const children = this.#bracketChildren(request, tickSize);
    if (children.length > 0) {
      body.bracket1 = children[0]!.body;
      if (children[1]) body.bracket2 = children[1].body;
    }
    const result = await this.rest.request<TvPlaceResult>({
      method: 'POST',
      endpoint: children.length > 0 ? 'order/placeoso' : 'order/placeorder',
      body,
    });
    if (result.orderId === undefined)
      throw new BrokerRejectedError(BROKER, 'placement answered without an orderId');
    const orderId = String(result.orderId);
    const ack: OrderAck = {
      orderId,
      clientOrderId: request.clientOrderId,
      status: this.#state.order(result.orderId)?.status ?? 'pending',
      time: this.#context.clock.now(),
    };
    if (children.length > 0) {
      const ids = [result.oso1Id, result.oso2Id];
      const childOrderIds: NonNullable<OrderAck['childOrderIds']> = {};
      children.forEach((child, i) => {
        const id = ids[i];
        if (id !== undefined) childOrderIds[child.role] = String(id);
      });
      ack.childOrderIds = childOrderIds;
    }
    return ack;
  }

  /** The `bracket1` / `bracket2` bodies: take-profit first (a limit), then stop-loss (a stop). */
  #bracketChildren(
    request: PlaceOrderRequest,
    tickSize: string,
  ): { role: 'takeProfit' | 'stopLoss'; body: Record<string, unknown> }[] {
    const bracket = request.bracket;
    if (!bracket) return [];
    const action = actionOf(oppositeSide(request.side));
    const out: { role: 'takeProfit' | 'stopLoss'; body: Record<string, unknown> }[] = [];
    if (bracket.takeProfitTicks !== undefined) {
      out.push({
        role: 'takeProfit',
        body: {
          action,
          orderType: 'Limit',
          price: priceToken(ticksToWirePrice(bracket.takeProfitTicks, tickSize)),
          text: request.clientOrderId + CHILD_TAG.takeProfit,
        },
      });
    }
    if (bracket.stopLossTicks !== undefined) {
      out.push({
        role: 'stopLoss',
        body: {
          action,
          orderType: 'Stop',
          stopPrice: priceToken(ticksToWirePrice(bracket.stopLossTicks, tickSize)),
          text: request.clientOrderId + CHILD_TAG.stopLoss,
        },
      });
    }
    return out;
  }

  /** Tradovate wants the full order back (`orderQty`, `orderType`) with the change applied. */
  async modifyOrder(request: ModifyOrderRequest): Promise<void> {
    await this.#life.around(async () => {
      const account = this.#account(request.accountId);
      const current = await this.#currentOrder(account, request.orderId);
      const tickSize = this.#tickSize(current.contract);
      const limit: Ticks | undefined = request.limitTicks ?? current.limitTicks;
      const stop: Ticks | undefined = request.stopTicks ?? current.stopTicks;
      const body: Record<string, unknown> = {
        orderId: Number(request.orderId),
        orderQty: request.qty ?? current.qty,
        orderType: tvOrderTypeOf(current.orderType),
        isAutomated: true,
      };
      if (limit !== undefined) body.price = priceToken(ticksToWirePrice(limit, tickSize));
      if (stop !== undefined) body.stopPrice = priceToken(ticksToWirePrice(stop, tickSize));
      // Keep the tag on the new version, so the order can still be found by its intent id.
      if (current.clientOrderId !== undefined) body.text = current.clientOrderId;
      await this.rest.request<TvCommandResult>({
        method: 'POST',
        endpoint: 'order/modifyorder',
        body,
        orderId: request.orderId,
      });
    });
  }

  async cancelOrder(request: CancelOrderRequest): Promise<void> {
    await this.#life.around(async () => {
      this.#account(request.accountId);
      await this.rest.request<TvCommandResult>({
        method: 'POST',
        endpoint: 'order/cancelorder',
        body: { orderId: Number(request.orderId), isAutomated: true },
        orderId: request.orderId,
      });
    });
  }

  /**
   * `order/liquidateposition` per contract: it cancels the contract's working orders
   * and closes the position at market. Without a contract, every contract with a
   * position or a working order is liquidated.
   */
  async flatten(request: FlattenRequest): Promise<void> {
    await this.#life.around(async () => {
      const account = this.#account(request.accountId);
      let contractIds: number[];
      if (request.contract) {
        contractIds = [await this.#contractIdOf(request.contract)];
      } else {
        const [positions, orders] = await Promise.all([
          this.rest.request<TvPosition[]>({
            method: 'GET',
            endpoint: 'position/deps',
            query: { masterid: account.id },
          }),
          this.rest.request<TvOrder[]>({
            method: 'GET',
            endpoint: 'order/deps',
            query: { masterid: account.id },
          }),
        ]);
        contractIds = [
          ...new Set([
            ...positions.filter((p) => p.netPos !== 0).map((p) => p.contractId),
            ...orders.filter((o) => !isTerminalStatus(o.ordStatus)).map((o) => o.contractId),
          ]),
        ];
      }
      for (const contractId of contractIds) {
        await this.rest.request<TvPlaceResult>({
          method: 'POST',
          endpoint: 'order/liquidateposition',
          body: { accountId: account.id, contractId, admin: false },
        });
      }
    });
  }

  // ── internals ─────────────────────────────────────────────────────────────

  /** Reads orders of an account with their versions and fills, without touching the event mirror. */
  async #loadOrders(account: TvAccount, wanted: (o: TvOrder) => boolean): Promise<BrokerOrder[]> {
    const orders = (
      await this.rest.request<TvOrder[]>({
        method: 'GET',
        endpoint: 'order/deps',
        query: { masterid: account.id },
      })
    ).filter(wanted);
    if (orders.length === 0) return [];
    const masterids = orders.map((o) => o.id).join(',');
    const [versions, fills] = await Promise.all([
      this.rest.request<TvOrderVersion[]>({
        method: 'GET',
        endpoint: 'orderVersion/ldeps',
        query: { masterids },
      }),
      this.rest.request<TvFill[]>({ method: 'GET', endpoint: 'fill/ldeps', query: { masterids } }),
    ]);
    const latest = new Map<number, TvOrderVersion>();
    for (const v of versions) {
      const current = latest.get(v.orderId);
      if (!current || current.id < v.id) latest.set(v.orderId, v);
    }
    const filled = new Map<number, number>();
    for (const f of fills) if (f.active) filled.set(f.orderId, (filled.get(f.orderId) ?? 0) + f.qty);
    const out: BrokerOrder[] = [];
    for (const order of orders) {
      const version = latest.get(order.id);
      if (!version) continue;
      const contract = await this.#contractById(order.contractId);
      const parsed = parseOrder(order, version, filled.get(order.id) ?? 0, {
        accountName: account.name,
        contract,
        tickSize: this.#tickSize(contract),
      });
      if (parsed) out.push(parsed);
    }
    return out;
  }

  async #currentOrder(account: TvAccount, orderId: string): Promise<BrokerOrder> {
    const mirrored = this.#state.order(Number(orderId));
    if (mirrored && mirrored.accountId === account.name) return mirrored;
    const [loaded] = await this.#loadOrders(account, (o) => String(o.id) === orderId);
    if (!loaded) throw new BrokerError(ErrorCode.BrokerUnknownOrder, BROKER, `unknown order ${orderId}`);
    return loaded;
  }

  #account(accountId: string): TvAccount {
    for (const a of this.#state.accounts.values()) {
      if (a.name === accountId || String(a.id) === accountId) return a;
    }
    throw new BrokerRejectedError(
      BROKER,
      `unknown account ${accountId} (not listed for this user; connected?)`,
    );
  }

  #servedAccountIds(): number[] | undefined {
    const served = this.#config.accounts;
    if (served === undefined) return undefined;
    return [...this.#state.accounts.values()].filter((a) => served.includes(a.name)).map((a) => a.id);
  }

  #tickSize(contract: Contract): string {
    return this.#context.instruments.get(contract.root).tickSize;
  }

  async #contractIdOf(contract: Contract): Promise<number> {
    const name = toTradovateSymbol(contract);
    const cached = this.#contractIds.get(name);
    if (cached !== undefined) return cached;
    const found = await this.rest.request<TvContract>({
      method: 'GET',
      endpoint: 'contract/find',
      query: { name },
    });
    this.#learnContract(found);
    return found.id;
  }

  async #contractById(id: number): Promise<Contract> {
    const known = this.#state.contracts.get(id);
    if (known) return known;
    const found = await this.rest.request<TvContract>({
      method: 'GET',
      endpoint: 'contract/item',
      query: { id },
    });
    return this.#learnContract(found);
  }

  #learnContract(found: TvContract): Contract {
    const contract = fromTradovateSymbol(found.name, {
      at: this.#context.clock.now(),
      registry: this.#context.instruments,
    });
    this.#state.contracts.set(found.id, contract);
    this.#contractIds.set(found.name, found.id);
    return contract;
  }

  async #onSnapshot(snapshot: TvSyncSnapshot, resync: boolean): Promise<void> {
    for (const c of snapshot.contracts ?? []) this.#learnContract(c);
    const ids = new Set<number>();
    for (const list of [snapshot.orders, snapshot.fills, snapshot.positions]) {
      for (const e of list ?? []) ids.add(e.contractId);
    }
    for (const id of ids)
      await this.#contractById(id).catch((error: unknown) => this.#life.errors.remember(error));
    const events = this.#state.applySnapshot(snapshot);
    // The first snapshot is the starting point; after a reconnect, what changed is news.
    if (resync) this.#life.emitAll(events);
  }

  async #onProps(event: TvPropsEvent): Promise<void> {
    const entity = event.entity as { contractId?: number };
    const missing = this.#state.missingContract(entity);
    if (missing !== undefined)
      await this.#contractById(missing).catch((error: unknown) => this.#life.errors.remember(error));
    this.#life.emitAll(this.#state.apply(event.entityType, event.entity));
  }

  #enqueue(step: () => Promise<void>): void {
    this.#ingest = this.#ingest
      .then(step)
      .catch((error: unknown) => this.#life.warn(error, 'tradovate event not applied'));
  }
}
