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
  InstrumentError,
  type ModifyOrderRequest,
  type OrderAck,
  type PlaceOrderRequest,
  parseMoney,
  type RequestBudget,
  sameContract,
  type Timer,
} from '@tradenova/core';
import { ConnectionLifecycle, declareCapabilities, messageOf } from '@tradenova/core/adapter';
import { ProjectXUserHub } from './client/hub.js';
import { SlidingWindowLimiter } from './client/rate-limiter.js';
import { ProjectXRestClient } from './client/rest.js';
import { type ProjectXConfig, resolveEndpoints } from './config.js';
import { BROKER, errorFromEnvelope } from './errors.js';
import {
  isTerminalStatus,
  parseOrder,
  parsePosition,
  pxOrderTypeOf,
  pxSideOf,
  ticksToWirePrice,
} from './parse.js';
import { ProjectXState } from './state.js';
import { fromProjectXContractId, toProjectXName } from './symbols.js';
import type { PxAccount, PxContract, PxOrder, PxPlaceOrder, PxPosition, PxTrade } from './wire.js';

/** What ProjectX does natively, as the engine should see it. */
export const PROJECTX_CAPABILITIES = declareCapabilities({
  // Native brackets are tick offsets from the fill, work only in the account's "Auto OCO Brackets"
  // mode, and the place answer names no child ids: the engine places and manages the OCO children.
  brackets: 'emulated',
  nativeOco: 'emulated',
  modify: 'native',
  // The intent id travels as `customTag` (unique per account) and comes back on the order.
  clientOrderIds: 'native',
  positionQuery: 'native',
  // The user hub streams the leader account's own orders and trades.
  leaderFillStream: 'native',
  // A market order for more than the position simply reverses it.
  netReversal: 'native',
});

/** Trades and orders this close before the hub was lost are polled again, for clock skew. */
const POLL_OVERLAP_MS = 5_000;

/** REST requests one poll of one account costs: orders, trades, positions. */
const REQUESTS_PER_POLL = 3;

/** An account of the login, with the flags a user picks followers by. */
export interface ProjectXAccountInfo extends BrokerAccount {
  /** ProjectX's numeric account id. */
  id: number;
  /** A practice / simulated account (false: live or funded). */
  simulated: boolean;
}

/**
 * One ProjectX login (user name + API key) serving one or more accounts. Orders go
 * over REST; the SignalR user hub drives events, and while it is down the REST
 * search endpoints are polled within the rate limit. Accounts are named by their
 * ProjectX name (e.g. `PRAC-V2-12345-67890`); the numeric id also works.
 */
export class ProjectXConnection implements BrokerConnection {
  readonly broker = BROKER;
  readonly capabilities = PROJECTX_CAPABILITIES;
  /** The engine's share of the key's REST limit; the rest is kept for renewals and polls. */
  readonly budget: RequestBudget;
  /** The REST client (exposed for tests and diagnostics). */
  readonly rest: ProjectXRestClient;
  /** The limiter every REST request of this connection passes. */
  readonly limiter: SlidingWindowLimiter;
  readonly #config: ProjectXConfig;
  readonly #context: AdapterContext;
  readonly #hub: ProjectXUserHub;
  readonly #state: ProjectXState;
  readonly #life: ConnectionLifecycle;
  /** Contract name (`MNQZ5`) → ProjectX contract id; a promise so a burst of placements searches once. */
  readonly #contractIds = new Map<string, Promise<string>>();
  #connectedAt = 0;
  /** When the hub was lost; undefined while it is up. */
  #hubLostAt: number | undefined;
  #pollTimer: Timer | undefined;
  #polling = false;
  /** One poll at a time; the resync after the hub returns waits for it. */
  #poll: Promise<void> = Promise.resolve();
  #closed = true;
  /** Polls run so far, for tests and health. */
  polls = 0;

  constructor(config: ProjectXConfig, context: AdapterContext) {
    this.#config = config;
    this.#context = context;
    this.#life = new ConnectionLifecycle(BROKER, context, {
      findOrder: (accountId, clientOrderId) => this.findOrderByClientId(accountId, clientOrderId),
      latencyMs: () => this.rest.lastLatencyMs,
    });
    this.budget = {
      requests: config.rateLimit.requests - config.reservedRequests,
      perMs: config.rateLimit.perMs,
    };
    const { baseUrl, hubUrl } = resolveEndpoints(config);
    this.limiter = new SlidingWindowLimiter(config.rateLimit, context.clock);
    this.rest = new ProjectXRestClient({
      baseUrl,
      userName: config.userName,
      apiKey: config.apiKey,
      clock: context.clock,
      logger: context.logger,
      limiter: this.limiter,
      tokenLifetimeMs: config.tokenLifetimeMs,
      renewBeforeMs: config.renewBeforeMs,
      requestTimeoutMs: config.requestTimeoutMs,
    });
    this.#state = new ProjectXState(context.instruments, config.contractRoots);
    this.#hub = new ProjectXUserHub(
      {
        url: hubUrl,
        token: async () => (await this.rest.ensureSession()).token,
        accountIds: () => this.#servedAccounts().map((a) => a.id),
        ...config.hub,
        clock: context.clock,
        logger: context.logger,
      },
      {
        account: (a) => {
          if (this.#state.accounts.has(a.id)) this.#state.accounts.set(a.id, a);
        },
        order: (o) => this.#life.emitAll(this.#state.applyOrder(o)),
        position: (p) => this.#life.emitAll(this.#state.applyPosition(p)),
        trade: (t) => this.#life.emitAll(this.#state.applyTrade(t)),
        up: (first) => {
          if (!first) void this.#hubBack();
        },
        down: (reason) => this.#hubLost(reason),
      },
    );
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  /**
   * Logs in, loads the accounts, takes the starting snapshot, then opens and
   * subscribes the user hub and reports connected. When only the hub fails, the
   * connection still comes up, polling REST, in state `reconnecting` with the reason.
   */
  async connect(): Promise<void> {
    this.#closed = false;
    await this.#life.opening(
      async () => {
        this.rest.open();
        await this.rest.ensureSession();
        await this.#loadAccounts();
        this.#connectedAt = this.#context.clock.now();
        for (const account of this.#servedAccounts()) {
          const [orders, positions] = await Promise.all([
            this.rest.request<{ orders: PxOrder[] }>('Order/searchOpen', { accountId: account.id }),
            this.rest.request<{ positions: PxPosition[] }>('Position/searchOpen', {
              accountId: account.id,
            }),
          ]);
          this.#state.baseline(orders.orders ?? [], positions.positions ?? []);
        }
      },
      () => {
        this.rest.close();
        this.#closed = true;
      },
    );
    try {
      await this.#hub.start();
      this.#life.enter('connected');
    } catch (error) {
      // REST works: trade on, poll for events, and keep trying the hub (ProjectXUserHub retries).
      this.#life.errors.remember(error);
      this.#hubLost(messageOf(error));
    }
  }

  /** Closes the hub, stops polling and token renewal. */
  async disconnect(): Promise<void> {
    this.#closed = true;
    this.#stopPolling();
    this.rest.close();
    this.limiter.close();
    await this.#hub.stop();
    await this.#poll;
    this.#life.enter('disconnected');
  }

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    return this.#life.subscribe(listener);
  }

  health(): ConnectionHealth {
    return this.#life.health();
  }

  /** Whether events come from REST polling now (the hub is down). */
  get pollingFallback(): boolean {
    return this.#polling;
  }

  // ── queries ───────────────────────────────────────────────────────────────

  async listAccounts(): Promise<BrokerAccount[]> {
    return (await this.listAccountDetails()).map(({ accountId, name, balance, canTrade }) =>
      balance === undefined ? { accountId, name, canTrade } : { accountId, name, balance, canTrade },
    );
  }

  /** The served accounts with ProjectX's id and `simulated` flag (what `tradenova accounts` shows). */
  async listAccountDetails(): Promise<ProjectXAccountInfo[]> {
    const accounts = await this.#life.around(() => this.#loadAccounts());
    const served = this.#config.accounts;
    return accounts.filter((a) => served === undefined || served.includes(a.name)).map((a) => accountInfo(a));
  }

  async getPositions(accountId: string): Promise<BrokerPosition[]> {
    return this.#life.around(async () => {
      const account = this.#account(accountId);
      const answer = await this.rest.request<{ positions: PxPosition[] }>('Position/searchOpen', {
        accountId: account.id,
      });
      const out: BrokerPosition[] = [];
      for (const p of answer.positions ?? []) {
        const context = this.#state.context(p.accountId, p.contractId);
        if (context && p.size !== 0) out.push(parsePosition(p, context));
      }
      return out;
    });
  }

  async getOpenOrders(accountId: string): Promise<BrokerOrder[]> {
    return this.#life.around(async () => {
      const account = this.#account(accountId);
      const answer = await this.rest.request<{ orders: PxOrder[] }>('Order/searchOpen', {
        accountId: account.id,
      });
      return this.#parseOrders(answer.orders ?? []).filter((o) => !isTerminalOrder(o));
    });
  }

  /**
   * The order this account placed with this intent id (`customTag`), terminal ones
   * included, from `Order/search` over the history look-back. How a retry after an
   * unknown outcome, or a restart, avoids placing a second order.
   */
  async findOrderByClientId(accountId: string, clientOrderId: string): Promise<BrokerOrder | undefined> {
    return this.#life.around(async () => {
      const account = this.#account(accountId);
      const startTimestamp = new Date(
        this.#context.clock.now() - this.#config.historyLookbackMs,
      ).toISOString();
      const answer = await this.rest.request<{ orders: PxOrder[] }>(
        'Order/search',
        { accountId: account.id, startTimestamp },
        { lane: 'order' },
      );
      const tagged = (answer.orders ?? []).filter((o) => o.customTag === clientOrderId);
      return this.#parseOrders(tagged)[0];
    });
  }

  // ── orders ────────────────────────────────────────────────────────────────

  placeOrder(request: PlaceOrderRequest): Promise<OrderAck> {
    // One order per intent: joins one in flight, repeats an ack, looks up after an unknown outcome.
    return this.#life.place(request, () => this.#place(request));
  }

  async #place(request: PlaceOrderRequest): Promise<OrderAck> {
    if (request.bracket) {
      // Refused before sending: dropping the bracket silently would leave the follower unprotected.
      throw new BrokerRejectedError(
        BROKER,
        'brackets are placed by the engine on ProjectX (capabilities.brackets is false); send the entry alone',
      );
    }
    const account = this.#account(request.accountId);
    const tickSize = this.#tickSize(request.contract);
    const body: PxPlaceOrder = {
      accountId: account.id,
      contractId: await this.#contractIdOf(request.contract),
      type: pxOrderTypeOf(request.orderType),
      side: pxSideOf(request.side),
      size: request.qty,
      limitPrice: request.limitTicks === undefined ? null : ticksToWirePrice(request.limitTicks, tickSize),
      stopPrice: request.stopTicks === undefined ? null : ticksToWirePrice(request.stopTicks, tickSize),
      customTag: request.clientOrderId,
    };
    let answer: { orderId?: number | null } & {
      success: boolean;
      errorCode: number;
      errorMessage: string | null;
    };
    answer = await this.rest.call<{ orderId?: number | null }>('Order/place', body, { lane: 'order' });
    if (!answer.success) {
      // A tag already used on this account: the order exists (a restart, another process). Return it.
      if (answer.errorCode === 2 && /tag/i.test(answer.errorMessage ?? '')) {
        const found = await this.findOrderByClientId(request.accountId, request.clientOrderId);
        if (found) return this.#life.ackOf(request, found);
      }
      // A rejected placement may still carry an orderId (§5.1): it is a reject all the same.
      const error = errorFromEnvelope(answer, { endpoint: 'Order/place' });
      if (answer.orderId !== undefined && answer.orderId !== null && error instanceof BrokerRejectedError) {
        throw new BrokerRejectedError(BROKER, `${error.reason} (order ${answer.orderId})`);
      }
      throw error;
    }
    if (answer.orderId === undefined || answer.orderId === null) {
      throw new BrokerRejectedError(BROKER, 'Order/place answered success without an orderId');
    }
    // A fill may come before any event of the order (a hub that is down, a poll): it finds its tag here.
    this.#state.learnTags([{ id: answer.orderId, customTag: request.clientOrderId }]);
    const ack: OrderAck = {
      orderId: String(answer.orderId),
      clientOrderId: request.clientOrderId,
      status: this.#state.order(answer.orderId)?.status ?? 'pending',
      time: this.#context.clock.now(),
    };
    return ack;
  }

  /** `Order/modify` with only the fields that change (whether omitted fields are kept is UNCONFIRMED). */
  async modifyOrder(request: ModifyOrderRequest): Promise<void> {
    await this.#life.around(async () => {
      const account = this.#account(request.accountId);
      const contract = await this.#orderContract(account, request.orderId);
      const tickSize = this.#tickSize(contract);
      const body: Record<string, unknown> = { accountId: account.id, orderId: Number(request.orderId) };
      if (request.qty !== undefined) body.size = request.qty;
      if (request.limitTicks !== undefined) body.limitPrice = ticksToWirePrice(request.limitTicks, tickSize);
      if (request.stopTicks !== undefined) body.stopPrice = ticksToWirePrice(request.stopTicks, tickSize);
      await this.rest.request('Order/modify', body, { lane: 'order', orderId: request.orderId });
    });
  }

  /**
   * `Order/cancel`. ProjectX refuses cancels on platform follower accounts and (per
   * the current docs) on live accounts: those arrive as `BrokerRejectedError` with
   * the broker's reason verbatim, never retried.
   */
  async cancelOrder(request: CancelOrderRequest): Promise<void> {
    await this.#life.around(async () => {
      const account = this.#account(request.accountId);
      await this.rest.request(
        'Order/cancel',
        { accountId: account.id, orderId: Number(request.orderId) },
        { lane: 'order', orderId: request.orderId },
      );
    });
  }

  /**
   * Cancels the working orders (of one contract, or all), then `Position/closeContract`
   * for each open position. Orders or positions that finished meanwhile are skipped.
   */
  async flatten(request: FlattenRequest): Promise<void> {
    await this.#life.around(async () => {
      const account = this.#account(request.accountId);
      const wanted = (contractId: string) => {
        if (!request.contract) return true;
        const contract = this.#state.contract(contractId);
        return contract !== undefined && sameContract(contract, request.contract);
      };
      const [orders, positions] = await Promise.all([
        this.rest.request<{ orders: PxOrder[] }>(
          'Order/searchOpen',
          { accountId: account.id },
          { lane: 'order' },
        ),
        this.rest.request<{ positions: PxPosition[] }>(
          'Position/searchOpen',
          { accountId: account.id },
          { lane: 'order' },
        ),
      ]);
      for (const order of orders.orders ?? []) {
        if (isTerminalStatus(order.status) || !wanted(order.contractId)) continue;
        const answer = await this.rest.call(
          'Order/cancel',
          { accountId: account.id, orderId: order.id },
          { lane: 'order' },
        );
        // OrderNotFound: it filled or was cancelled since the search.
        if (!answer.success && answer.errorCode !== 2) {
          throw errorFromEnvelope(answer, { endpoint: 'Order/cancel', orderId: String(order.id) });
        }
      }
      for (const position of positions.positions ?? []) {
        if (position.size === 0 || !wanted(position.contractId)) continue;
        const answer = await this.rest.call(
          'Position/closeContract',
          { accountId: account.id, contractId: position.contractId },
          { lane: 'order' },
        );
        // PositionNotFound: already flat.
        if (!answer.success && answer.errorCode !== 2) {
          throw errorFromEnvelope(answer, { endpoint: 'Position/closeContract' });
        }
      }
    });
  }

  // ── hub and poll fallback ─────────────────────────────────────────────────

  #hubLost(reason: string): void {
    if (this.#closed) return;
    this.#hubLostAt ??= this.#context.clock.now();
    const interval = this.#pollIntervalMs();
    this.#life.enter(
      'reconnecting',
      `user hub down (${reason}); polling REST every ${interval} ms until it returns`,
    );
    if (this.#polling) return;
    this.#polling = true;
    this.#schedulePoll(0);
  }

  async #hubBack(): Promise<void> {
    this.#stopPolling();
    // Whatever happened between the last poll and the new subscriptions: one more poll, deduped.
    this.#poll = this.#poll.then(() => this.#pollOnce());
    await this.#poll;
    this.#hubLostAt = undefined;
    if (this.#closed) return;
    this.#life.enter('connected', 'user hub back; REST polling stopped');
  }

  /** Polls so that the fallback uses at most `pollShare` of the key's rate limit. */
  #pollIntervalMs(): number {
    const { requests, perMs } = this.#config.rateLimit;
    const perPoll = REQUESTS_PER_POLL * Math.max(1, this.#servedAccounts().length);
    const spaced = Math.ceil((perPoll * perMs) / (requests * this.#config.pollShare));
    return Math.max(this.#config.pollIntervalMs, spaced);
  }

  #schedulePoll(delayMs: number): void {
    this.#pollTimer = this.#context.clock.setTimer(delayMs, () => {
      this.#pollTimer = undefined;
      if (!this.#polling || this.#closed) return;
      this.#poll = this.#poll.then(() => this.#pollOnce());
      void this.#poll.then(() => {
        if (this.#polling && !this.#closed) this.#schedulePoll(this.#pollIntervalMs());
      });
    });
  }

  #stopPolling(): void {
    this.#polling = false;
    this.#pollTimer?.cancel();
    this.#pollTimer = undefined;
  }

  /** One round of `Order/search`, `Trade/search` and `Position/searchOpen` per served account. */
  async #pollOnce(): Promise<void> {
    if (this.#closed) return;
    this.polls++;
    const lostAt = this.#hubLostAt ?? this.#context.clock.now();
    for (const account of this.#servedAccounts()) {
      try {
        // Orders created before the loss that were open may have finished: look back to the oldest of them.
        const oldestOpen = Math.min(
          ...this.#state.openOrders(account.id).map((o) => Date.parse(o.creationTimestamp) || lostAt),
        );
        const since = Math.max(
          this.#connectedAt - POLL_OVERLAP_MS,
          Math.min(lostAt - POLL_OVERLAP_MS, oldestOpen),
        );
        const tradesSince = Math.max(this.#connectedAt - POLL_OVERLAP_MS, lostAt - POLL_OVERLAP_MS);
        const [orders, trades, positions] = await Promise.all([
          this.rest.request<{ orders: PxOrder[] }>('Order/search', {
            accountId: account.id,
            startTimestamp: new Date(since).toISOString(),
          }),
          this.rest.request<{ trades: PxTrade[] }>('Trade/search', {
            accountId: account.id,
            startTimestamp: new Date(tradesSince).toISOString(),
          }),
          this.rest.request<{ positions: PxPosition[] }>('Position/searchOpen', { accountId: account.id }),
        ]);
        // Trades before orders: a fill is news even when its order event is missed. Its order's
        // tag is learnt first, so the fill names its intent either way.
        this.#state.learnTags(orders.orders ?? []);
        const events: BrokerEvent[] = [];
        for (const t of trades.trades ?? []) events.push(...this.#state.applyTrade(t));
        for (const o of orders.orders ?? []) events.push(...this.#state.applyOrder(o));
        events.push(...this.#state.applyPositionList(account.id, positions.positions ?? []));
        this.#life.emitAll(events);
      } catch (error) {
        this.#life.warn(error, 'projectx poll failed', { account: account.name });
      }
    }
  }

  // ── internals ─────────────────────────────────────────────────────────────

  async #loadAccounts(): Promise<PxAccount[]> {
    const answer = await this.rest.request<{ accounts: PxAccount[] }>('Account/search', {
      onlyActiveAccounts: true,
    });
    const accounts = answer.accounts ?? [];
    for (const a of accounts) this.#state.accounts.set(a.id, a);
    for (const name of this.#config.accounts ?? []) {
      if (!accounts.some((a) => a.name === name)) {
        throw new BrokerRejectedError(
          BROKER,
          `account "${name}" is not an active account of this login (check accounts:)`,
        );
      }
    }
    return accounts;
  }

  #servedAccounts(): PxAccount[] {
    const served = this.#config.accounts;
    return [...this.#state.accounts.values()].filter((a) => served === undefined || served.includes(a.name));
  }

  #account(accountId: string): PxAccount {
    for (const a of this.#state.accounts.values()) {
      if (a.name === accountId || String(a.id) === accountId) return a;
    }
    throw new BrokerRejectedError(
      BROKER,
      `unknown account ${accountId} (not listed for this login; connected?)`,
    );
  }

  #tickSize(contract: Contract): string {
    return this.#context.instruments.get(contract.root).tickSize;
  }

  /**
   * The ProjectX id of a contract, found by `Contract/search` on its name (`MNQZ5`)
   * rather than built from the id grammar, which ProjectX does not promise.
   */
  #contractIdOf(contract: Contract): Promise<string> {
    const name = toProjectXName(contract);
    const cached = this.#contractIds.get(name);
    if (cached !== undefined) return cached;
    const lookup = this.#searchContract(contract, name);
    this.#contractIds.set(name, lookup);
    // A failed search is not remembered: the next placement searches again.
    lookup.catch(() => this.#contractIds.delete(name));
    return lookup;
  }

  async #searchContract(contract: Contract, name: string): Promise<string> {
    for (const searchText of [name, contract.root]) {
      const answer = await this.rest.request<{ contracts: PxContract[] }>(
        'Contract/search',
        { searchText, live: this.#config.liveContracts },
        { lane: 'order' },
      );
      const match = (answer.contracts ?? []).find((c) => c.name === name && this.#sameYear(c.id, contract));
      if (match) {
        this.#state.contracts.set(match.id, { ...contract });
        return match.id;
      }
    }
    throw new InstrumentError(
      ErrorCode.InstrumentUnknown,
      `projectx: no contract named ${name} (Contract/search)`,
    );
  }

  /** A one-digit-year name matches two decades: the id's two-digit year settles it when it is readable. */
  #sameYear(contractId: string, contract: Contract): boolean {
    try {
      return fromProjectXContractId(contractId, this.#config.contractRoots).year === contract.year;
    } catch {
      return true;
    }
  }

  async #orderContract(account: PxAccount, orderId: string): Promise<Contract> {
    let order = this.#state.orders.get(Number(orderId));
    if (!order) {
      const answer = await this.rest.request<{ orders: PxOrder[] }>('Order/searchOpen', {
        accountId: account.id,
      });
      order = (answer.orders ?? []).find((o) => String(o.id) === orderId);
    }
    const contract = order ? this.#state.contract(order.contractId) : undefined;
    if (!contract) throw new BrokerError(ErrorCode.BrokerUnknownOrder, BROKER, `unknown order ${orderId}`);
    return contract;
  }

  #parseOrders(orders: readonly PxOrder[]): BrokerOrder[] {
    const out: BrokerOrder[] = [];
    for (const o of orders) {
      // `searchOpen` may omit the tag: the mirror may know it.
      const withTag = o.customTag ? o : { ...o, customTag: this.#state.orders.get(o.id)?.customTag ?? null };
      const context = this.#state.context(o.accountId, o.contractId);
      const parsed = context ? parseOrder(withTag, context) : undefined;
      if (parsed) out.push(parsed);
    }
    return out;
  }
}

/** An account as `listAccountDetails` reports it. */
function accountInfo(a: PxAccount): ProjectXAccountInfo {
  const info: ProjectXAccountInfo = {
    accountId: a.name,
    name: a.name,
    id: a.id,
    canTrade: a.canTrade,
    simulated: a.simulated,
  };
  try {
    info.balance = parseMoney(a.balance, 'balance');
  } catch {
    // A balance with more than three decimals is shown without one rather than rounded.
  }
  return info;
}

function isTerminalOrder(order: BrokerOrder): boolean {
  return order.status === 'filled' || order.status === 'cancelled' || order.status === 'rejected';
}
