import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BrokerError,
  type BrokerOrder,
  BrokerRateLimitedError,
  type Clock,
  type Contract,
  ErrorCode,
  type Money,
  type OrderType,
  type PlaceOrderRequest,
  priceToTicks,
  type SimulatedExchange,
  type Ticks,
} from '@tradenova/core';
import { type WebSocket, WebSocketServer } from 'ws';
import { orderTypeOf, sideOf } from '../parse.js';
import { fromTradovateSymbol } from '../symbols.js';
import {
  decodeClientFrame,
  encodeCloseFrame,
  encodeDataFrame,
  FAILURE_REASONS,
  parseJsonExact,
  stringifyExact,
  type TvAccessToken,
  type TvAction,
  type TvOrderType,
  type TvPropsEvent,
  type TvSocketMessage,
  type TvSyncSnapshot,
} from '../wire.js';
import { SimEntities } from './entities.js';
import type { TradovateSimulatorFaults } from './faults.js';

/** A demo account the simulator opens. */
export interface SimAccountSpec {
  id: number;
  name: string;
  /** Only this username sees the account; every user does when absent. */
  user?: string;
  /** Starting balance in mils. */
  balance?: Money;
}

/** Settings of the simulator's protocol front end. */
export interface SimServerOptions {
  exchange: SimulatedExchange;
  faults: TradovateSimulatorFaults;
  clock: Clock;
  accounts: readonly SimAccountSpec[];
  /** username → password; any login is accepted when absent. */
  users?: Readonly<Record<string, string>>;
  tokenLifetimeMs: number;
  requireDeviceId: boolean;
  /** Requests per endpoint per second before a penalty ticket; 0 turns penalties off. */
  penaltyRequestsPerSecond: number;
  penaltySeconds: number;
  /** Close a socket that sent nothing (no `[]`) for this long. */
  heartbeatTimeoutMs: number;
  /** Send `h` after this long without any frame to a client. */
  serverHeartbeatMs: number;
  /** Let the exchange refuse a second order with the same `clOrdId` (the real API's behaviour is UNCONFIRMED). */
  dedupeClOrdId: boolean;
  startingBalance: Money;
}

interface SimUser {
  id: number;
  name: string;
}

interface Session {
  user: SimUser;
  expiresAt: number;
  revoked: boolean;
}

/** An answer before it is put on HTTP or the socket. */
interface Answer {
  status: number;
  body?: unknown;
  /** Text body for errors (HTTP) / the `d` error string (socket). */
  text?: string;
  /** The exchange refused the request for this long (its rate-limit fault): see `#rateLimited`. */
  retryAfterMs?: number;
}

/** Below this, an exchange rate limit is answered as Tradovate's time penalty; at or above it, as a 429 lockout. */
const PENALTY_LIMIT_MS = 60_000;

interface SocketState {
  socket: WebSocket;
  user?: SimUser;
  token?: string;
  accounts: Set<number>;
  lastClientFrameAt: number;
  lastServerFrameAt: number;
}

const ORDER_TYPES: readonly TvOrderType[] = ['Market', 'Limit', 'Stop', 'StopLimit'];

/** Counts of what the simulator served. */
export interface SimStats {
  logins: number;
  renewals: number;
  requests: number;
  penalties: number;
  /** Placements that arrived without `isAutomated: true`. */
  nonAutomatedOrders: number;
}

/**
 * The Tradovate REST API under `/v1/...` and the user socket at `/v1/websocket`,
 * in front of a shared `SimulatedExchange`.
 */
export class TradovateSimServer {
  readonly #options: SimServerOptions;
  readonly entities: SimEntities;
  readonly stats: SimStats = { logins: 0, renewals: 0, requests: 0, penalties: 0, nonAutomatedOrders: 0 };
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Map<string, Session>();
  readonly #sockets = new Set<SocketState>();
  readonly #recent = new Map<string, number[]>();
  readonly #tickets = new Map<string, { readyAt: number; endpoint: string }>();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void)[] = [];

  constructor(options: SimServerOptions) {
    this.#options = options;
    // The back end outlives this front end: a new one on the same exchange reports the same entities.
    this.entities = SimEntities.of(options.exchange);
    for (const spec of options.accounts) {
      if (!options.exchange.hasAccount(spec.name)) {
        options.exchange.openAccount(spec.name, spec.balance ?? options.startingBalance);
      }
      this.entities.addAccount({
        id: spec.id,
        name: spec.name,
        userId: 0,
        accountType: 'Customer',
        active: true,
        readonly: false,
      });
    }
    this.#unsubscribe.push(this.entities.onProps((accountId, event) => this.#broadcast(accountId, event)));
    options.faults.onDrop = () => {
      for (const s of this.#sockets) s.socket.terminate();
    };
    options.faults.onShutdown = (reasonCode) => {
      for (const s of this.#sockets) {
        this.#send(s, encodeDataFrame([{ e: 'shutdown', d: { reasonCode } }]));
        this.#send(s, encodeCloseFrame(1000, reasonCode));
        s.socket.close(1000, reasonCode);
      }
    };
    options.faults.onExpireTokens = () => this.#expireAll();
    this.#http = createServer((req, res) => {
      this.#onHttp(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error instanceof Error ? error.message : 'internal error');
      });
    });
    this.#wss = new WebSocketServer({ noServer: true });
    this.#http.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/v1/websocket') {
        socket.destroy();
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onSocket(ws));
    });
  }

  /** Starts listening on loopback; resolves with the port. */
  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => resolve());
    });
    this.#timer = setInterval(() => this.#tick(), Math.min(250, this.#options.heartbeatTimeoutMs / 4));
    this.#timer.unref();
    return (this.#http.address() as AddressInfo).port;
  }

  /** Closes every socket and the server. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    for (const off of this.#unsubscribe) off();
    for (const s of this.#sockets) s.socket.terminate();
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  // ── HTTP ──────────────────────────────────────────────────────────────────

  async #onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith('/v1/')) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = parseJsonExact(raw);
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('malformed JSON');
        return;
      }
    }
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const endpoint = url.pathname.slice('/v1/'.length);
    const answer = await this.#handle(endpoint, url.searchParams, body, token, false);
    if (answer === 'lost') {
      // Carried out, but the answer never arrives: the client cannot know the outcome.
      req.socket.destroy();
      return;
    }
    if (answer.body !== undefined) {
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(stringifyExact(answer.body));
    } else {
      res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.text ?? '');
    }
  }

  // ── requests (shared by REST and the socket) ──────────────────────────────

  async #handle(
    rawEndpoint: string,
    query: URLSearchParams,
    body: unknown,
    token: string | undefined,
    viaSocket: boolean,
  ): Promise<Answer | 'lost'> {
    // Operation names are case-insensitive on Tradovate; entity names too, for our purposes.
    const endpoint = rawEndpoint.toLowerCase();
    this.stats.requests++;
    const faults = this.#options.faults;
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.takeRateLimit()) return { status: 429, text: '' };
    const penalty = this.#penalty(endpoint, query, body);
    if (penalty) return penalty;
    if (this.#options.exchange.faults.tokenExpired) {
      this.#options.exchange.faults.tokenExpired = false;
      this.#expireAll();
    }
    let answer: Answer;
    if (endpoint === 'auth/accesstokenrequest') {
      answer = this.#accessTokenRequest(body);
    } else {
      const session = token === undefined ? undefined : this.#validSession(token);
      if (!session) return { status: 401, text: 'Access is denied' };
      answer = await this.#route(endpoint, query, body, session, viaSocket);
    }
    if (answer.retryAfterMs !== undefined) answer = this.#rateLimited(endpoint, answer.retryAfterMs);
    if (faults.takeLostResponse(endpoint)) return 'lost';
    return answer;
  }

  /** A ticket when the endpoint is over its rate (or a penalty was injected); undefined to serve the request. */
  #penalty(endpoint: string, query: URLSearchParams, body: unknown): Answer | undefined {
    const now = this.#options.clock.now();
    const ticket =
      (body && typeof body === 'object' ? (body as Record<string, unknown>)['p-ticket'] : undefined) ??
      query.get('p-ticket') ??
      undefined;
    if (typeof ticket === 'string') {
      const held = this.#tickets.get(ticket);
      if (held && held.endpoint === endpoint && now >= held.readyAt) {
        // A ticket served after its wait lets this one request through.
        this.#tickets.delete(ticket);
        return undefined;
      }
    }
    const injected = this.#options.faults.takePenalty();
    let seconds: number | undefined = injected?.seconds;
    const captcha = injected?.captcha ?? false;
    const limit = this.#options.penaltyRequestsPerSecond;
    if (seconds === undefined && limit > 0) {
      const recent = (this.#recent.get(endpoint) ?? []).filter((t) => now - t < 1_000);
      recent.push(now);
      this.#recent.set(endpoint, recent);
      if (recent.length > limit) seconds = this.#options.penaltySeconds;
    }
    if (seconds === undefined) return undefined;
    this.stats.penalties++;
    const id = randomBytes(12).toString('hex');
    this.#tickets.set(id, { readyAt: now + seconds * 1000, endpoint });
    return { status: 200, body: { 'p-ticket': id, 'p-time': seconds, 'p-captcha': captcha } };
  }

  /**
   * A refusal for a while in Tradovate's words. A short one is a time penalty on the endpoint
   * (HTTP 200 with `p-ticket` and `p-time`: the client waits and resends with the ticket); a
   * long one is the user-level 429, which Tradovate documents as a lockout of about an hour.
   * Answering a short refusal with 429 told clients to stop for an hour.
   */
  #rateLimited(endpoint: string, retryAfterMs: number): Answer {
    if (retryAfterMs >= PENALTY_LIMIT_MS) return { status: 429, text: '' };
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    this.stats.penalties++;
    const id = randomBytes(12).toString('hex');
    this.#tickets.set(id, { readyAt: this.#options.clock.now() + seconds * 1000, endpoint });
    return { status: 200, body: { 'p-ticket': id, 'p-time': seconds, 'p-captcha': false } };
  }

  #accessTokenRequest(body: unknown): Answer {
    const b = (body ?? {}) as Record<string, unknown>;
    const name = typeof b.name === 'string' ? b.name : '';
    const password = typeof b.password === 'string' ? b.password : '';
    const bad = { status: 200, body: { errorText: 'Incorrect username or password. Please try again.' } };
    if (!name || !password) return bad;
    const users = this.#options.users;
    if (users !== undefined && users[name] !== password) return bad;
    if (this.#options.requireDeviceId && (typeof b.deviceId !== 'string' || b.deviceId === '')) {
      return { status: 200, body: { errorText: 'Device is not verified: deviceId is required' } };
    }
    this.stats.logins++;
    return { status: 200, body: this.#issue({ id: this.entities.userIdOf(name), name }) };
  }

  #issue(user: SimUser): TvAccessToken {
    const token = randomBytes(24).toString('base64url');
    const expiresAt = this.#options.clock.now() + this.#options.tokenLifetimeMs;
    this.#sessions.set(token, { user, expiresAt, revoked: false });
    return {
      accessToken: token,
      mdAccessToken: randomBytes(24).toString('base64url'),
      expirationTime: new Date(expiresAt).toISOString(),
      userStatus: 'Active',
      userId: user.id,
      name: user.name,
      hasLive: false,
    };
  }

  #validSession(token: string): Session | undefined {
    const session = this.#sessions.get(token);
    if (!session || session.revoked || session.expiresAt <= this.#options.clock.now()) return undefined;
    return session;
  }

  #expireAll(): void {
    for (const s of this.#sessions.values()) s.revoked = true;
  }

  #visibleAccounts(user: SimUser): number[] {
    return this.#options.accounts
      .filter((a) => a.user === undefined || a.user === user.name)
      .map((a) => a.id);
  }

  async #route(
    endpoint: string,
    query: URLSearchParams,
    body: unknown,
    session: Session,
    viaSocket: boolean,
  ): Promise<Answer> {
    const visible = new Set(this.#visibleAccounts(session.user));
    const b = (body ?? {}) as Record<string, unknown>;
    switch (endpoint) {
      case 'auth/renewaccesstoken': {
        // Extends the session: a new token for the same user; the old one lives until it expires.
        this.stats.renewals++;
        return { status: 200, body: this.#issue(session.user) };
      }
      case 'auth/me':
        return { status: 200, body: { userId: session.user.id, name: session.user.name } };
      case 'contract/find': {
        const name = query.get('name') ?? '';
        const contract = this.#parseSymbol(name);
        if (!contract) return { status: 404, text: `Contract not found: ${name}` };
        return { status: 200, body: this.entities.contractFor(contract) };
      }
      case 'order/placeorder':
      case 'order/placeoso':
        return this.#place(b, visible, endpoint === 'order/placeoso');
      case 'order/modifyorder':
        return this.#modify(b, visible);
      case 'order/cancelorder':
        return this.#cancel(b, visible);
      case 'order/liquidateposition':
        return this.#liquidate(b, visible);
      default:
        if (viaSocket && endpoint === 'user/syncrequest')
          return { status: 400, text: 'syncrequest is answered by the socket' };
        return this.#read(endpoint, query, visible, session.user);
    }
  }

  /** `entity/list|item|items|deps|ldeps|find` for the entities the simulator keeps, limited to the user's accounts. */
  #read(endpoint: string, query: URLSearchParams, visible: Set<number>, user: SimUser): Answer {
    const [entity, operation] = endpoint.split('/') as [string, string | undefined];
    const e = this.entities;
    const tables: Record<
      string,
      { rows: () => object[]; master?: (row: object) => number; owner: (row: object) => boolean }
    > = {
      account: {
        rows: () => [...e.accounts.values()].map((a) => ({ ...a, userId: user.id })),
        master: (row) => (row as { userId: number }).userId,
        owner: (row) => visible.has((row as { id: number }).id),
      },
      contract: { rows: () => [...e.contracts.values()], owner: () => true },
      order: {
        rows: () => [...e.orders.values()],
        master: (row) => (row as { accountId: number }).accountId,
        owner: (row) => visible.has((row as { accountId: number }).accountId),
      },
      orderversion: {
        rows: () => [...e.versions.values()],
        master: (row) => (row as { orderId: number }).orderId,
        owner: (row) => visible.has(e.orders.get((row as { orderId: number }).orderId)?.accountId ?? -1),
      },
      fill: {
        rows: () => [...e.fills.values()],
        master: (row) => (row as { orderId: number }).orderId,
        owner: (row) => visible.has(e.orders.get((row as { orderId: number }).orderId)?.accountId ?? -1),
      },
      position: {
        rows: () => [...e.positions.values()],
        master: (row) => (row as { accountId: number }).accountId,
        owner: (row) => visible.has((row as { accountId: number }).accountId),
      },
    };
    const table = tables[entity];
    if (!table || operation === undefined) return { status: 404, text: `Unknown endpoint ${endpoint}` };
    const rows = table.rows().filter(table.owner);
    const idOf = (row: object) => (row as { id: number }).id;
    const ids = (name: string) => new Set((query.get(name) ?? '').split(',').filter(Boolean).map(Number));
    switch (operation) {
      case 'list':
        return { status: 200, body: rows };
      case 'item': {
        const row = rows.find((r) => idOf(r) === Number(query.get('id')));
        return row ? { status: 200, body: row } : { status: 404, text: `${entity} not found` };
      }
      case 'items': {
        const wanted = ids('ids');
        return { status: 200, body: rows.filter((r) => wanted.has(idOf(r))) };
      }
      case 'deps':
      case 'ldeps': {
        if (!table.master) return { status: 404, text: `${entity} has no master` };
        const wanted = operation === 'deps' ? new Set([Number(query.get('masterid'))]) : ids('masterids');
        return { status: 200, body: rows.filter((r) => wanted.has(table.master!(r))) };
      }
      case 'find': {
        const name = query.get('name');
        const row = rows.find((r) => (r as { name?: string }).name === name);
        return row ? { status: 200, body: row } : { status: 404, text: `${entity} not found` };
      }
      default:
        return { status: 404, text: `Unknown endpoint ${endpoint}` };
    }
  }

  #parseSymbol(name: string): Contract | undefined {
    try {
      return fromTradovateSymbol(name, {
        at: this.#options.clock.now(),
        registry: this.#options.exchange.instruments,
      });
    } catch {
      return undefined;
    }
  }

  async #place(b: Record<string, unknown>, visible: Set<number>, oso: boolean): Promise<Answer> {
    const violations: { constraint: string; value: string; description: string }[] = [];
    if (typeof b.accountId !== 'number') violations.push(violation('accountId', 'accountId is required'));
    if (typeof b.accountSpec !== 'string')
      violations.push(violation('accountSpec', 'accountSpec is required'));
    if (b.action !== 'Buy' && b.action !== 'Sell')
      violations.push(violation('action', 'action must be Buy or Sell'));
    if (typeof b.symbol !== 'string') violations.push(violation('symbol', 'symbol is required'));
    if (!Number.isSafeInteger(b.orderQty) || (b.orderQty as number) <= 0) {
      violations.push(violation('orderQty', 'orderQty must be a positive integer'));
    }
    if (violations.length > 0) return { status: 200, body: { violations } };
    const account = this.entities.accounts.get(b.accountId as number);
    if (!account || !visible.has(account.id) || account.name !== b.accountSpec) {
      return failure('Unauthorized', 'Account is not accessible');
    }
    if (b.isAutomated !== true) this.stats.nonAutomatedOrders++;
    const contract = this.#parseSymbol(b.symbol as string);
    if (!contract) return failure('InvalidContract', `Unknown symbol ${String(b.symbol)}`);
    const tickSize = this.#options.exchange.instruments.get(contract.root).tickSize;
    const main = this.#orderFields(b, tickSize);
    if ('failure' in main) return main.failure;
    // The exchange keeps the client's `clOrdId` on the order (a retry that makes a second order
    // shows as two orders with one clOrdId); it returns the first order only with dedupeClOrdId.
    const clOrdId = typeof b.clOrdId === 'string' && b.clOrdId !== '' ? b.clOrdId : undefined;
    const exchangeClientId = clOrdId ?? this.entities.nextPlacementId();
    const request: PlaceOrderRequest = {
      accountId: account.name,
      clientOrderId: exchangeClientId,
      contract,
      side: sideOf(b.action as TvAction),
      qty: b.orderQty as number,
      orderType: main.orderType,
      ...(main.limitTicks === undefined ? {} : { limitTicks: main.limitTicks }),
      ...(main.stopTicks === undefined ? {} : { stopTicks: main.stopTicks }),
      ...(b.timeInForce === 'GTC' ? { timeInForce: 'gtc' as const } : {}),
    };
    const children: { stopLoss?: string; takeProfit?: string } = {};
    const roles: ('stopLoss' | 'takeProfit')[] = [];
    if (oso) {
      const brackets = [b.bracket1, b.bracket2].filter((x) => x !== undefined) as Record<string, unknown>[];
      if (brackets.length === 0)
        return { status: 200, body: { violations: [violation('bracket1', 'bracket1 is required')] } };
      request.bracket = {};
      for (const bracket of brackets) {
        const fields = this.#orderFields(bracket, tickSize);
        if ('failure' in fields) return fields.failure;
        const opposite = b.action === 'Buy' ? 'Sell' : 'Buy';
        if (bracket.action !== opposite)
          return failure('Unsupported', 'A bracket must be on the opposite side of its entry');
        // The shared exchange models a stop-loss (stop) and a take-profit (limit); other children are refused.
        if (fields.orderType === 'stop' && request.bracket.stopLossTicks === undefined) {
          request.bracket.stopLossTicks = fields.stopTicks!;
          roles.push('stopLoss');
          if (typeof bracket.text === 'string') children.stopLoss = bracket.text;
        } else if (fields.orderType === 'limit' && request.bracket.takeProfitTicks === undefined) {
          request.bracket.takeProfitTicks = fields.limitTicks!;
          roles.push('takeProfit');
          if (typeof bracket.text === 'string') children.takeProfit = bracket.text;
        } else {
          return failure('Unsupported', 'The simulator supports one Stop and one Limit bracket');
        }
      }
    }
    const untag = this.entities.tagPlacement(exchangeClientId, {
      isAutomated: b.isAutomated === true,
      ...(typeof b.text === 'string' ? { text: b.text } : {}),
      ...(typeof b.clOrdId === 'string' ? { clOrdId: b.clOrdId } : {}),
      children,
    });
    try {
      const ack = await this.#options.exchange
        .placeOrder(request, { idempotent: clOrdId === undefined || this.#options.dedupeClOrdId })
        .finally(untag);
      const orderId = this.entities.tvOrderIdOf(ack.orderId);
      const result: Record<string, unknown> = { orderId };
      roles.forEach((role, i) => {
        const child = ack.childOrderIds?.[role];
        if (child !== undefined) result[i === 0 ? 'oso1Id' : 'oso2Id'] = this.entities.tvOrderIdOf(child);
      });
      return { status: 200, body: result };
    } catch (error) {
      return this.#exchangeError(error);
    }
  }

  /** Order type and prices of a placement or bracket body, or the failure to answer with. */
  #orderFields(
    b: Record<string, unknown>,
    tickSize: string,
  ): { orderType: OrderType; limitTicks?: Ticks; stopTicks?: Ticks } | { failure: Answer } {
    const tvType = b.orderType as TvOrderType;
    if (!ORDER_TYPES.includes(tvType)) {
      return {
        failure: failure(
          'Unsupported',
          `Order type ${String(b.orderType)} is not supported by the simulator`,
        ),
      };
    }
    const orderType = orderTypeOf(tvType)!;
    try {
      const out: { orderType: OrderType; limitTicks?: Ticks; stopTicks?: Ticks } = { orderType };
      if (b.price !== undefined && b.price !== null)
        out.limitTicks = priceToTicks(String(b.price), tickSize, 'price');
      if (b.stopPrice !== undefined && b.stopPrice !== null) {
        out.stopTicks = priceToTicks(String(b.stopPrice), tickSize, 'stopPrice');
      }
      return out;
    } catch (error) {
      return { failure: failure('InvalidPrice', error instanceof Error ? error.message : 'invalid price') };
    }
  }

  #ownedOrder(
    b: Record<string, unknown>,
    visible: Set<number>,
  ): { order: BrokerOrder; tvId: number } | Answer {
    const tvId = b.orderId;
    if (typeof tvId !== 'number')
      return { status: 200, body: { violations: [violation('orderId', 'orderId is required')] } };
    const entity = this.entities.orders.get(tvId);
    const exchangeId = this.entities.exchangeOrderId.get(tvId);
    const order = exchangeId === undefined ? undefined : this.#options.exchange.getOrder(exchangeId);
    // An order command about an order the user cannot see is a CommandResult failure (HTTP 200), as
    // every order command's failure is; a 404 with a text body is for unknown endpoints only.
    if (!entity || !order || !visible.has(entity.accountId))
      return failure('UnknownReason', `Order ${tvId} not found`);
    return { order, tvId };
  }

  async #modify(b: Record<string, unknown>, visible: Set<number>): Promise<Answer> {
    const owned = this.#ownedOrder(b, visible);
    if ('status' in owned) return owned;
    const { order, tvId } = owned;
    const tickSize = this.#options.exchange.instruments.get(order.contract.root).tickSize;
    const fields = this.#orderFields({ ...b, orderType: b.orderType ?? 'Market' }, tickSize);
    if ('failure' in fields) return fields.failure;
    if (fields.orderType !== order.orderType)
      return failure('Unsupported', 'orderType cannot be changed by modifyorder');
    if (!Number.isSafeInteger(b.orderQty))
      return { status: 200, body: { violations: [violation('orderQty', 'orderQty is required')] } };
    if (typeof b.text === 'string') this.entities.setText(tvId, b.text);
    try {
      await this.#options.exchange.modifyOrder({
        accountId: order.accountId,
        orderId: order.orderId,
        ...(b.orderQty === order.qty ? {} : { qty: b.orderQty as number }),
        ...(fields.limitTicks === undefined || fields.limitTicks === order.limitTicks
          ? {}
          : { limitTicks: fields.limitTicks }),
        ...(fields.stopTicks === undefined || fields.stopTicks === order.stopTicks
          ? {}
          : { stopTicks: fields.stopTicks }),
      });
      return { status: 200, body: { commandId: this.entities.nextCommandId() } };
    } catch (error) {
      return this.#exchangeError(error);
    }
  }

  async #cancel(b: Record<string, unknown>, visible: Set<number>): Promise<Answer> {
    const owned = this.#ownedOrder(b, visible);
    if ('status' in owned) return owned;
    try {
      await this.#options.exchange.cancelOrder({
        accountId: owned.order.accountId,
        orderId: owned.order.orderId,
      });
      return { status: 200, body: { commandId: this.entities.nextCommandId() } };
    } catch (error) {
      return this.#exchangeError(error);
    }
  }

  async #liquidate(b: Record<string, unknown>, visible: Set<number>): Promise<Answer> {
    if (typeof b.accountId !== 'number' || typeof b.contractId !== 'number' || typeof b.admin !== 'boolean') {
      return {
        status: 200,
        body: { violations: [violation('accountId', 'accountId, contractId and admin are required')] },
      };
    }
    const account = this.entities.accounts.get(b.accountId);
    if (!account || !visible.has(account.id)) return failure('Unauthorized', 'Account is not accessible');
    const contract = this.entities.contractOf(b.contractId);
    if (!contract) return failure('InvalidContract', `Unknown contract ${b.contractId}`);
    this.entities.markCreated();
    try {
      await this.#options.exchange.flatten({ accountId: account.name, contract });
    } catch (error) {
      return this.#exchangeError(error);
    }
    const created = this.entities.createdSinceMark();
    return { status: 200, body: created.length > 0 ? { orderId: created[created.length - 1] } : {} };
  }

  /** The exchange's typed errors in Tradovate's words: HTTP-200 failure bodies or 429. */
  #exchangeError(error: unknown): Answer {
    if (error instanceof BrokerError) {
      if (error instanceof BrokerRateLimitedError)
        return { status: 429, text: '', retryAfterMs: error.retryAfterMs };
      if (error.code === ErrorCode.BrokerUnknownOrder) return failure('UnknownReason', 'Order not found');
      if (error.code === ErrorCode.BrokerRejected) {
        const reason = (error as BrokerError & { reason?: string }).reason ?? error.message;
        if ((FAILURE_REASONS as readonly string[]).includes(reason)) return failure(reason, reason);
        if (reason.includes('already')) return failure('TooLate', reason);
        if (reason.includes('no market price')) return failure('NoQuote', reason);
        return failure('OtherExecutionRelated', reason);
      }
    }
    throw error;
  }

  // ── socket ────────────────────────────────────────────────────────────────

  #onSocket(socket: WebSocket): void {
    const now = Date.now();
    const state: SocketState = {
      socket,
      accounts: new Set(),
      lastClientFrameAt: now,
      lastServerFrameAt: now,
    };
    this.#sockets.add(state);
    socket.on('close', () => this.#sockets.delete(state));
    socket.on('error', () => socket.terminate());
    socket.on('message', (data) => {
      state.lastClientFrameAt = Date.now();
      this.#onFrame(state, data.toString()).catch(() => socket.terminate());
    });
    this.#send(state, 'o');
  }

  async #onFrame(state: SocketState, text: string): Promise<void> {
    let frame: ReturnType<typeof decodeClientFrame>;
    try {
      frame = decodeClientFrame(text);
    } catch {
      return;
    }
    if (frame.type === 'heartbeat') return;
    const { endpoint, id, query, body } = frame.request;
    const reply = (message: TvSocketMessage) => this.#send(state, encodeDataFrame([message]));
    if (endpoint === 'authorize') {
      // One official sample JSON-encodes the token; accept both forms.
      const token = body.trim().replace(/^"(.*)"$/, '$1');
      const session = this.#validSession(token);
      if (!session) {
        reply({ s: 401, i: id, d: 'Access is denied' });
        return;
      }
      state.user = session.user;
      state.token = token;
      reply({ s: 200, i: id });
      return;
    }
    if (!state.user || state.token === undefined) {
      reply({ s: 401, i: id, d: 'Not authorized' });
      return;
    }
    if (endpoint.toLowerCase() === 'user/syncrequest') {
      reply({ s: 200, i: id, d: this.#sync(state, body) });
      return;
    }
    let parsed: unknown;
    try {
      parsed = body ? parseJsonExact(body) : undefined;
    } catch {
      reply({ s: 400, i: id, d: 'malformed JSON' });
      return;
    }
    // A request over the socket is served like REST; the token is the one the socket was authorized with.
    const answer = await this.#handle(endpoint, new URLSearchParams(query), parsed, state.token, true);
    if (answer === 'lost') {
      state.socket.terminate();
      return;
    }
    if (answer.status === 429) reply({ s: 429, i: id });
    else if (answer.status >= 200 && answer.status < 300) reply({ s: answer.status, i: id, d: answer.body });
    else reply({ s: answer.status, i: id, d: answer.text ?? '' });
  }

  /** The snapshot of `user/syncrequest`; the socket then receives `props` for these accounts. */
  #sync(state: SocketState, body: string): TvSyncSnapshot {
    let request: { accounts?: number[] } = {};
    try {
      request = body ? (JSON.parse(body) as { accounts?: number[] }) : {};
    } catch {
      // An unreadable body syncs everything the user may see.
    }
    const visible = this.#visibleAccounts(state.user!);
    const wanted = request.accounts ? visible.filter((a) => request.accounts!.includes(a)) : visible;
    state.accounts = new Set(wanted);
    const e = this.entities;
    const orders = [...e.orders.values()].filter((o) => state.accounts.has(o.accountId));
    const orderIds = new Set(orders.map((o) => o.id));
    const positions = [...e.positions.values()].filter((p) => state.accounts.has(p.accountId));
    const fills = [...e.fills.values()].filter((f) => orderIds.has(f.orderId));
    const contractIds = new Set([...orders, ...positions].map((x) => x.contractId));
    return {
      users: [{ id: state.user!.id, name: state.user!.name }],
      accounts: [...e.accounts.values()]
        .filter((a) => state.accounts.has(a.id))
        .map((a) => ({ ...a, userId: state.user!.id })),
      contracts: [...contractIds].map((id) => e.contracts.get(id)!).filter(Boolean),
      orders,
      orderVersions: [...e.versions.values()].filter((v) => orderIds.has(v.orderId)),
      fills,
      positions,
    };
  }

  #broadcast(accountId: number, event: TvPropsEvent): void {
    const frame = encodeDataFrame([{ e: 'props', d: event }]);
    for (const s of this.#sockets) if (s.accounts.has(accountId)) this.#send(s, frame);
  }

  #send(state: SocketState, frame: string): void {
    if (state.socket.readyState !== state.socket.OPEN) return;
    state.lastServerFrameAt = Date.now();
    state.socket.send(frame);
  }

  /** Server heartbeats and the client heartbeat rule. */
  #tick(): void {
    const now = Date.now();
    for (const s of this.#sockets) {
      if (now - s.lastClientFrameAt > this.#options.heartbeatTimeoutMs) {
        // The client stopped sending `[]`: drop it, as the real server does.
        this.#send(s, encodeCloseFrame(1000, 'Heartbeat timeout'));
        s.socket.close(1000, 'heartbeat timeout');
        this.#sockets.delete(s);
        continue;
      }
      if (now - s.lastServerFrameAt >= this.#options.serverHeartbeatMs) this.#send(s, 'h');
    }
  }
}

function violation(constraint: string, description: string) {
  return { constraint, value: '', description };
}

function failure(failureReason: string, failureText: string): Answer {
  return { status: 200, body: { failureReason, failureText } };
}
