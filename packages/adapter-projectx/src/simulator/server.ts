import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BrokerError,
  BrokerRejectedError,
  type Clock,
  type Contract,
  ErrorCode,
  type IntentBracket,
  type Money,
  type PlaceOrderRequest,
  priceToTicks,
  type SimulatedExchange,
  type Ticks,
} from '@tradenova/core';
import { orderTypeOf, sideOf } from '../parse.js';
import {
  fromProjectXContractId,
  toProjectXContractId,
  toProjectXName,
  toProjectXSymbolId,
} from '../symbols.js';
import { type PxContract, PxOrderStatus } from '../wire.js';
import { ProjectXBackEnd } from './backend.js';
import type { ProjectXSimulatorFaults } from './faults.js';
import { type HubUser, SimulatedUserHub } from './hub.js';

/** An account the simulator opens. */
export interface SimAccountSpec {
  id: number;
  name: string;
  /** Practice/sim account (default true). A live one cannot cancel through the API. */
  simulated?: boolean;
  /** A platform copy-trading follower: it cannot cancel through the API. */
  follower?: boolean;
  /** `position` (the platform default) rejects brackets on `Order/place`; `auto-oco` accepts them. */
  bracketMode?: 'position' | 'auto-oco';
  canTrade?: boolean;
  /** Starting balance in mils. */
  balance?: Money;
}

/** Settings of the simulator's protocol front end. */
export interface SimServerOptions {
  exchange: SimulatedExchange;
  faults: ProjectXSimulatorFaults;
  clock: Clock;
  accounts: readonly SimAccountSpec[];
  /** userName → apiKey; any login is accepted when absent. */
  users?: Readonly<Record<string, string>>;
  tokenLifetimeMs: number;
  /** The REST limit per user (§9). */
  rateLimit: { requests: number; perMs: number };
  hubPingIntervalMs: number;
  hubClientTimeoutMs: number;
  startingBalance: Money;
}

/** Counts of what the simulator served. */
export interface SimStats {
  logins: number;
  renewals: number;
  requests: number;
  /** Requests answered 429 because the user went over the rate limit (injected ones not counted). */
  rateLimited: number;
  /** Requests per endpoint (`Order/place`, ...). */
  byEndpoint: Record<string, number>;
}

interface Session {
  user: string;
  expiresAt: number;
  revoked: boolean;
}

/** An answer before it is put on HTTP. */
interface Answer {
  status: number;
  body?: unknown;
}

const ok = (fields: object = {}): Answer => ({
  status: 200,
  body: { ...fields, success: true, errorCode: 0, errorMessage: null },
});
const fail = (errorCode: number, errorMessage: string | null, fields: object = {}): Answer => ({
  status: 200,
  body: { ...fields, success: false, errorCode, errorMessage },
});

/**
 * The ProjectX Gateway under `/api/...` and the user hub at `/hubs/user`, in
 * front of a shared `SimulatedExchange`.
 */
export class ProjectXSimServer {
  readonly #options: SimServerOptions;
  readonly stats: SimStats = { logins: 0, renewals: 0, requests: 0, rateLimited: 0, byEndpoint: {} };
  readonly hub: SimulatedUserHub;
  readonly #http: Server;
  readonly #sessions = new Map<string, Session>();
  readonly #recent = new Map<string, number[]>();
  /** The accounts this front end serves. */
  readonly #accounts = new Map<number, SimAccountSpec>();
  /** Order ids, tags, trades and position ids: kept with the exchange, so they outlive this front end. */
  readonly #store: ProjectXBackEnd;
  #unsubscribe: (() => void) | undefined;

  constructor(options: SimServerOptions) {
    this.#options = options;
    this.#store = ProjectXBackEnd.of(options.exchange, options.clock);
    for (const spec of options.accounts) {
      if (!options.exchange.hasAccount(spec.name)) {
        options.exchange.openAccount(spec.name, spec.balance ?? options.startingBalance);
      }
      this.#accounts.set(spec.id, spec);
      this.#store.addAccount(spec);
    }
    this.hub = new SimulatedUserHub({
      pingIntervalMs: options.hubPingIntervalMs,
      clientTimeoutMs: options.hubClientTimeoutMs,
      shape: () => options.faults.eventShape,
    });
    this.#unsubscribe = this.#store.onPublish((topic, accountId, target, entity) =>
      this.hub.publish(topic, accountId, target, entity),
    );
    options.faults.onDropHub = () => this.hub.dropAll();
    options.faults.onDropConnections = () => {
      this.hub.dropAll();
      this.#http.closeAllConnections();
    };
    options.faults.onHubOutage = () => this.hub.closeAll('Server is going down for maintenance.');
    options.faults.onExpireTokens = () => {
      for (const s of this.#sessions.values()) s.revoked = true;
    };
    this.#http = createServer((req, res) => {
      this.#onHttp(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error instanceof Error ? error.message : 'internal error');
      });
    });
    this.#http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== '/hubs/user' || this.#options.faults.hubDown) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const user = this.#userOf(req, url);
      this.hub.upgrade(
        req,
        socket,
        head,
        url.searchParams.get('id'),
        user === undefined ? undefined : { name: user },
      );
    });
  }

  /** Starts listening; resolves with the port. */
  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => resolve());
    });
    return (this.#http.address() as AddressInfo).port;
  }

  /** Closes the hub and the server. */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.hub.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  // ── HTTP ──────────────────────────────────────────────────────────────────

  async #onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (url.pathname === '/hubs/user/negotiate' && req.method === 'POST') {
      if (this.#options.faults.hubDown) return void res.writeHead(503).end();
      const user = this.#userOf(req, url);
      if (user === undefined) return void res.writeHead(401).end();
      const version = Number(url.searchParams.get('negotiateVersion') ?? '0');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(this.hub.negotiate({ name: user } satisfies HubUser, version)));
      return;
    }
    if (url.pathname === '/api/Status/ping' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
      return;
    }
    if (!url.pathname.startsWith('/api/') || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const endpoint = url.pathname.slice('/api/'.length);
    let body: Record<string, unknown> = {};
    if (raw.length > 0) {
      try {
        body = (JSON.parse(raw) ?? {}) as Record<string, unknown>;
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('malformed JSON');
        return;
      }
    }
    const answer = await this.#handle(endpoint, body, bearer(req));
    if (this.#options.faults.takeLostResponse(endpoint)) {
      // Carried out, but the answer never arrives: the client cannot know the outcome.
      req.socket.destroy();
      return;
    }
    if (answer.body === undefined) res.writeHead(answer.status).end();
    else
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  }

  /** The user of a valid token in `access_token` or the bearer header. */
  #userOf(req: IncomingMessage, url: URL): string | undefined {
    const token = url.searchParams.get('access_token') ?? bearer(req);
    return token === undefined ? undefined : this.#validSession(token)?.user;
  }

  async #handle(endpoint: string, body: Record<string, unknown>, token: string | undefined): Promise<Answer> {
    this.stats.requests++;
    this.stats.byEndpoint[endpoint] = (this.stats.byEndpoint[endpoint] ?? 0) + 1;
    const faults = this.#options.faults;
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.takeRateLimit()) return { status: 429 };
    if (endpoint === 'Auth/loginKey') {
      if (typeof body.userName !== 'string' || typeof body.apiKey !== 'string') return { status: 400 };
      if (this.#overLimit(body.userName)) return { status: 429 };
      return this.#login(body.userName, body.apiKey);
    }
    const session = token === undefined ? undefined : this.#validSession(token);
    if (!session) return { status: 401 };
    if (this.#overLimit(session.user)) return { status: 429 };
    try {
      return await this.#route(endpoint, body, session);
    } catch (error) {
      if (error instanceof BrokerError && error.code === ErrorCode.BrokerRateLimited) return { status: 429 };
      throw error;
    }
  }

  /** A sliding window per user over every endpoint (§9: fixed vs sliding is UNCONFIRMED). */
  #overLimit(user: string): boolean {
    const { requests, perMs } = this.#options.rateLimit;
    const now = this.#options.clock.now();
    const recent = (this.#recent.get(user) ?? []).filter((t) => now - t < perMs);
    const over = recent.length >= requests;
    if (!over) recent.push(now);
    this.#recent.set(user, recent);
    if (over) this.stats.rateLimited++;
    return over;
  }

  #login(userName: string, apiKey: string): Answer {
    const users = this.#options.users;
    if (userName === '' || apiKey === '' || (users !== undefined && users[userName] !== apiKey)) {
      return fail(3, null, { token: null });
    }
    this.stats.logins++;
    return ok({ token: this.#issue(userName) });
  }

  /** A JWT-shaped token whose `exp` (seconds, fractional for sub-second lifetimes) the adapter can read. */
  #issue(user: string): string {
    const expiresAt = this.#options.clock.now() + this.#options.tokenLifetimeMs;
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: user, exp: expiresAt / 1000, jti: randomBytes(8).toString('hex') })}.${randomBytes(24).toString('base64url')}`;
    this.#sessions.set(token, { user, expiresAt, revoked: false });
    return token;
  }

  #validSession(token: string): Session | undefined {
    const session = this.#sessions.get(token);
    if (!session || session.revoked || session.expiresAt <= this.#options.clock.now()) return undefined;
    return session;
  }

  // ── routes ────────────────────────────────────────────────────────────────

  async #route(endpoint: string, b: Record<string, unknown>, session: Session): Promise<Answer> {
    switch (endpoint) {
      case 'Auth/validate':
        // A new token; the old one lives on until it expires (§3.2).
        this.stats.renewals++;
        return ok({ newToken: this.#issue(session.user) });
      case 'Auth/logout':
        return ok();
      case 'Account/search':
        return ok({
          accounts: [...this.#accounts.values()].filter(() => true).map((a) => this.#store.pxAccount(a)),
        });
      case 'Contract/search':
        return ok({ contracts: this.#searchContracts(String(b.searchText ?? '')) });
      case 'Contract/searchById': {
        const contract = this.#contractOf(b.contractId);
        return contract ? ok({ contract: this.#pxContract(contract) }) : fail(1, null, { contract: null });
      }
      case 'Contract/available':
        return ok({ contracts: this.#searchContracts('') });
      case 'Order/place':
        return this.#place(b);
      case 'Order/modify':
        return this.#modify(b);
      case 'Order/cancel':
        return this.#cancel(b);
      case 'Order/searchOpen': {
        const account = this.#accounts.get(Number(b.accountId));
        if (!account) return fail(1, null, { orders: [] });
        const open = this.#options.exchange
          .getOpenOrders(account.name)
          .map((o) => this.#store.pxOrder(o))
          // searchOpen does not return Suspended bracket children (§5.4).
          .filter((o) => o.status !== PxOrderStatus.Suspended);
        return ok({ orders: open });
      }
      case 'Order/search': {
        const account = this.#accounts.get(Number(b.accountId));
        if (!account) return fail(1, null, { orders: [] });
        const within = window(b);
        if (!within) return fail(2, 'startTimestamp is required', { orders: [] });
        const orders = this.#options.exchange
          .getOrders(account.name)
          .map((o) => this.#store.pxOrder(o))
          .filter((o) => within(o.creationTimestamp));
        return ok({ orders });
      }
      case 'Order/searchById': {
        const sim = this.#store.orders.get(Number(b.orderId));
        const order = sim ? this.#options.exchange.getOrder(sim.exchangeId) : undefined;
        return order && sim?.accountId === Number(b.accountId)
          ? ok({ order: this.#store.pxOrder(order) })
          : fail(2, null, { order: null });
      }
      case 'Position/searchOpen': {
        const account = this.#accounts.get(Number(b.accountId));
        if (!account) return fail(1, null, { positions: [] });
        return ok({
          positions: this.#options.exchange
            .getPositions(account.name)
            .filter((p) => p.netQty !== 0)
            .map((p) => this.#store.pxPosition(p)),
        });
      }
      case 'Position/closeContract':
        return this.#close(b, undefined);
      case 'Position/partialCloseContract':
        return this.#close(b, Number(b.size));
      case 'Trade/search': {
        const within = window(b);
        if (!within) return fail(2, 'startTimestamp is required', { trades: [] });
        const accountId = Number(b.accountId);
        return ok({
          trades: this.#store.trades.filter((t) => t.accountId === accountId && within(t.creationTimestamp)),
        });
      }
      default:
        return { status: 404 };
    }
  }

  async #place(b: Record<string, unknown>): Promise<Answer> {
    const account = this.#accounts.get(Number(b.accountId));
    if (!account) return fail(1, null, { orderId: null });
    const contract = this.#contractOf(b.contractId);
    if (!contract) return fail(8, null, { orderId: null });
    const customTag = typeof b.customTag === 'string' && b.customTag !== '' ? b.customTag : null;
    if (customTag !== null && this.#store.tags.has(`${account.id}|${customTag}`)) {
      return fail(2, 'Custom tag is already in use for this account.', { orderId: null });
    }
    const type = Number(b.type);
    const orderType = orderTypeOf(type);
    if (orderType === undefined)
      return fail(2, `Order type ${type} is not supported by the simulator.`, { orderId: null });
    const size = Number(b.size);
    if (!Number.isSafeInteger(size) || size <= 0) return fail(2, 'Invalid order size.', { orderId: null });
    const tickSize = this.#options.exchange.instruments.get(contract.root).tickSize;
    let limitTicks: Ticks | undefined;
    let stopTicks: Ticks | undefined;
    try {
      if (b.limitPrice !== null && b.limitPrice !== undefined)
        limitTicks = priceToTicks(String(b.limitPrice), tickSize);
      if (b.stopPrice !== null && b.stopPrice !== undefined)
        stopTicks = priceToTicks(String(b.stopPrice), tickSize);
    } catch {
      return fail(2, 'Invalid price. Price is not aligned to tick size.', { orderId: null });
    }
    const side = sideOf(Number(b.side));
    const hasBracket = isObject(b.stopLossBracket) || isObject(b.takeProfitBracket);
    if (hasBracket && (account.bracketMode ?? 'position') === 'position') {
      // The platform still allocates an id to this rejected order (§5.1).
      return fail(2, 'Brackets cannot be used with Position Brackets. You must enable Auto OCO Brackets.', {
        orderId: this.#store.nextOrderId(),
      });
    }
    const internal = customTag ?? this.#store.internalId('px-sim');
    const request: PlaceOrderRequest = {
      accountId: account.name,
      clientOrderId: internal,
      contract,
      side,
      qty: size,
      orderType,
      ...(limitTicks === undefined ? {} : { limitTicks }),
      ...(stopTicks === undefined ? {} : { stopTicks }),
    };
    if (hasBracket) {
      const bracket = this.#bracket(b, request);
      if (bracket) request.bracket = bracket;
    }
    let failure: unknown;
    await this.#options.exchange.placeOrder(request).catch((error: unknown) => {
      failure = error;
    });
    if (failure instanceof BrokerError && failure.code === ErrorCode.BrokerRateLimited)
      return { status: 429 };
    const placed = this.#options.exchange.findOrderByClientId(account.name, internal);
    if (!placed) return fail(7, null, { orderId: null });
    const sim = this.#store.simOrder(placed)!;
    if (customTag !== null) this.#store.tags.set(`${account.id}|${customTag}`, sim.id);
    if (failure !== undefined || placed.status === 'rejected') {
      const reason = failure instanceof BrokerRejectedError ? failure.reason : (placed.reason ?? 'rejected');
      // A rejected order keeps its id (§5.1): the envelope, not the id, says it failed.
      return fail(2, reason, { orderId: sim.id });
    }
    return ok({ orderId: sim.id });
  }

  /** Tick offsets from the entry's reference price (its limit or stop, else the touch) as absolute prices. */
  #bracket(b: Record<string, unknown>, request: PlaceOrderRequest): IntentBracket | undefined {
    const market = this.#options.exchange.marketState(request.contract);
    const reference =
      request.limitTicks ??
      request.stopTicks ??
      (request.side === 'buy' ? market.askTicks : market.bidTicks) ??
      market.lastTicks;
    if (reference === undefined) return undefined;
    const sign = request.side === 'buy' ? 1 : -1;
    const out: IntentBracket = {};
    const sl = b.stopLossBracket as { ticks?: unknown } | undefined;
    const tp = b.takeProfitBracket as { ticks?: unknown } | undefined;
    if (isObject(sl) && typeof sl.ticks === 'number')
      out.stopLossTicks = reference - sign * Math.abs(sl.ticks);
    if (isObject(tp) && typeof tp.ticks === 'number')
      out.takeProfitTicks = reference + sign * Math.abs(tp.ticks);
    return out;
  }

  async #modify(b: Record<string, unknown>): Promise<Answer> {
    const account = this.#accounts.get(Number(b.accountId));
    if (!account) return fail(1, null);
    const sim = this.#store.orders.get(Number(b.orderId));
    if (!sim || sim.accountId !== account.id) return fail(2, null);
    const order = this.#options.exchange.getOrder(sim.exchangeId)!;
    const tickSize = this.#options.exchange.instruments.get(order.contract.root).tickSize;
    const request: {
      accountId: string;
      orderId: string;
      qty?: number;
      limitTicks?: Ticks;
      stopTicks?: Ticks;
    } = {
      accountId: account.name,
      orderId: sim.exchangeId,
    };
    try {
      if (b.size !== undefined && b.size !== null) request.qty = Number(b.size);
      if (b.limitPrice !== undefined && b.limitPrice !== null)
        request.limitTicks = priceToTicks(String(b.limitPrice), tickSize);
      if (b.stopPrice !== undefined && b.stopPrice !== null)
        request.stopTicks = priceToTicks(String(b.stopPrice), tickSize);
    } catch {
      return fail(3, 'Invalid price. Price is not aligned to tick size.');
    }
    return this.#settle(this.#options.exchange.modifyOrder(request));
  }

  async #cancel(b: Record<string, unknown>): Promise<Answer> {
    const account = this.#accounts.get(Number(b.accountId));
    if (!account) return fail(1, null);
    // The documented restrictions (§5.3): only simulated, non-follower accounts may cancel.
    if (account.follower) return fail(6, 'Follower accounts cannot cancel orders');
    if (account.simulated === false) return fail(6, 'Live accounts not supported');
    const sim = this.#store.orders.get(Number(b.orderId));
    if (!sim || sim.accountId !== account.id) return fail(2, null);
    return this.#settle(
      this.#options.exchange.cancelOrder({ accountId: account.name, orderId: sim.exchangeId }),
    );
  }

  async #close(b: Record<string, unknown>, size: number | undefined): Promise<Answer> {
    const account = this.#accounts.get(Number(b.accountId));
    if (!account) return fail(1, null);
    const contract = this.#contractOf(b.contractId);
    if (!contract) return fail(3, null);
    const position = this.#options.exchange
      .getPositions(account.name)
      .find((p) => toProjectXContractId(p.contract) === toProjectXContractId(contract) && p.netQty !== 0);
    if (!position) return fail(2, null);
    const qty = size ?? Math.abs(position.netQty);
    if (!Number.isSafeInteger(qty) || qty <= 0 || qty > Math.abs(position.netQty))
      return fail(5, 'Invalid close size.');
    const internal = this.#store.internalId('px-close');
    let failure: unknown;
    await this.#options.exchange
      .placeOrder({
        accountId: account.name,
        clientOrderId: internal,
        contract: position.contract,
        side: position.netQty > 0 ? 'sell' : 'buy',
        qty,
        orderType: 'market',
      })
      .catch((error: unknown) => {
        failure = error;
      });
    if (failure instanceof BrokerError && failure.code === ErrorCode.BrokerRateLimited)
      return { status: 429 };
    const placed = this.#options.exchange.findOrderByClientId(account.name, internal);
    // partialCloseContract's enum is shifted: OrderRejected is 6 there, 5 on closeContract (§6.2).
    if (!placed || placed.status === 'rejected')
      return fail(size === undefined ? 5 : 6, placed?.reason ?? null);
    return ok();
  }

  /** The exchange's answer to a modify or cancel as an envelope. */
  async #settle(result: Promise<void>): Promise<Answer> {
    try {
      await result;
      return ok();
    } catch (error) {
      if (error instanceof BrokerError && error.code === ErrorCode.BrokerUnknownOrder) return fail(2, null);
      if (error instanceof BrokerError && error.code === ErrorCode.BrokerRateLimited) return { status: 429 };
      if (error instanceof BrokerRejectedError) return fail(3, error.reason);
      throw error;
    }
  }

  #contractOf(value: unknown): Contract | undefined {
    if (typeof value !== 'string') return undefined;
    try {
      const contract = fromProjectXContractId(value);
      return this.#options.exchange.instruments.has(contract.root) ? contract : undefined;
    } catch {
      return undefined;
    }
  }

  #pxContract(contract: Contract): PxContract {
    const spec = this.#options.exchange.instruments.get(contract.root);
    return {
      id: toProjectXContractId(contract),
      name: toProjectXName(contract),
      description: `${spec.name}: ${contract.month}${contract.year}`,
      tickSize: Number(spec.tickSize),
      tickValue: spec.tickValue / 1000,
      activeContract: true,
      symbolId: toProjectXSymbolId(contract),
    };
  }

  /** Listed months of every known product this year and the next two; at most 20 matches, exact names first. */
  #searchContracts(text: string): PxContract[] {
    const needle = text.trim().toUpperCase();
    const year = new Date(this.#options.clock.now()).getUTCFullYear();
    const out: PxContract[] = [];
    for (const root of this.#options.exchange.instruments.roots()) {
      const spec = this.#options.exchange.instruments.get(root);
      // Two years back as well: replays of recorded sessions trade contracts that have since expired.
      for (let y = year - 2; y <= year + 2; y++) {
        for (const month of spec.months) {
          const contract = this.#pxContract({ root, month, year: y });
          if (needle === '' || contract.name.startsWith(needle) || contract.name === needle)
            out.push(contract);
        }
      }
    }
    out.sort((a, b) => Number(b.name === needle) - Number(a.name === needle));
    return out.slice(0, 20);
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A filter on `startTimestamp` / `endTimestamp` of a search body; undefined when the start is missing. */
function window(b: Record<string, unknown>): ((timestamp: string) => boolean) | undefined {
  const start = typeof b.startTimestamp === 'string' ? Date.parse(b.startTimestamp) : Number.NaN;
  if (!Number.isFinite(start)) return undefined;
  const end = typeof b.endTimestamp === 'string' ? Date.parse(b.endTimestamp) : Number.POSITIVE_INFINITY;
  return (timestamp) => {
    const t = Date.parse(timestamp);
    return t >= start && t <= end;
  };
}
