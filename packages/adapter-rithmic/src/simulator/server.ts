/**
 * A Rithmic gateway on loopback: one WebSocket endpoint at `/` serving both plants
 * (the plant is chosen by each connection's login), answering in the framing the
 * client used first (§15), in front of the shared simulated exchange.
 */
import { createServer, type Server } from 'node:http';
import {
  type BrokerEvent,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRateLimitedError,
  BrokerRejectedError,
  type Clock,
  type Contract,
  contractKey,
  formatMoney,
  type InstrumentRegistry,
  type PlaceOrderRequest,
  type SimulatedExchange,
  ticksToPrice,
} from '@tradenova/core';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  orderTypeFromWire,
  orderTypeToWire,
  priceFields,
  sideFromWire,
  sideToWire,
  ticksToWire,
  wireDate,
  wireTime,
  wireToTicks,
} from '../parse.js';
import { fromRithmicSymbol, toRithmicSymbol } from '../symbols.js';
import {
  decodeMessage,
  ExchangeNotify,
  encodeMessage,
  type Framing,
  frame,
  InfraType,
  type MessageName,
  num,
  OrderNotify,
  type RithmicMessage,
  str,
  strings,
  TEMPLATE_ID,
  toBytes,
  unframe,
} from '../wire.js';
import type { RithmicSimulatorFaults } from './faults.js';

/** One account the simulator serves. */
export interface SimAccountSpec {
  id: string;
  name: string;
}

/** Settings of the simulator server (see `startRithmicSimulator` for defaults). */
export interface SimServerOptions {
  exchange: SimulatedExchange;
  faults: RithmicSimulatorFaults;
  clock: Clock;
  instruments: InstrumentRegistry;
  accounts: readonly SimAccountSpec[];
  users: Readonly<Record<string, string>> | undefined;
  systems: readonly string[];
  heartbeatIntervalSec: number;
  heartbeatTimeoutMs: number;
  maxSessionsPerPlant: number | undefined;
  fcmId: string;
  ibId: string;
  tradeRoute: string;
  /** `rp_code` of a rate-limit answer (Rithmic documents none). */
  rateLimitRpCode: readonly string[];
}

/** What the simulator served so far. */
export interface SimStats {
  logins: number;
  forcedLogouts: number;
  heartbeats: number;
  heartbeatDrops: number;
  /** Framing of each connection's first message. */
  framings: Framing[];
}

interface Client {
  socket: WebSocket;
  framing: Framing | undefined;
  plant: 'order' | 'pnl' | undefined;
  user: string | undefined;
  lastHeard: number;
  orderAccounts: Set<string>;
  pnlAccounts: Set<string>;
}

interface OrderMeta {
  status: BrokerOrder['status'];
  qty: number;
  limitTicks: number | undefined;
  stopTicks: number | undefined;
  filled: number;
  userTag: string | undefined;
  /** The trade date the order was first seen on, YYYYMMDD (order history is asked by it). */
  tradeDate: string;
}

interface Push {
  accountId: string;
  plant: 'order' | 'pnl';
  name: MessageName;
  fields: Record<string, unknown>;
}

const ORDER_TEMPLATES = new Set([300, 302, 308, 310, 312, 314, 316, 320, 324, 346, 3504, 3506]);
const PNL_TEMPLATES = new Set([400, 402]);

/** The simulator's WebSocket server. */
export class RithmicSimServer {
  readonly stats: SimStats = { logins: 0, forcedLogouts: 0, heartbeats: 0, heartbeatDrops: 0, framings: [] };
  readonly #o: SimServerOptions;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #clients = new Set<Client>();
  readonly #meta = new Map<string, OrderMeta>();
  readonly #fills = new Map<string, Record<string, unknown>[]>();
  readonly #positions = new Map<string, BrokerPosition>();
  readonly #generatedTags = new Set<string>();
  #queue: Push[] = [];
  #flushScheduled = false;
  #tagCounter = 0;
  readonly #unsubscribe: () => void;
  readonly #watchdog: NodeJS.Timeout;

  constructor(options: SimServerOptions) {
    this.#o = options;
    this.#http = createServer((_, res) => res.writeHead(426).end('WebSocket only'));
    this.#wss = new WebSocketServer({ server: this.#http, path: '/', perMessageDeflate: false });
    this.#wss.on('connection', (socket) => this.#accept(socket));
    this.#unsubscribe = options.exchange.onEvent((event) => this.#onExchange(event));
    options.faults.onDrop = () => {
      for (const c of this.#clients) c.socket.terminate();
    };
    const period = Math.max(20, Math.min(1_000, Math.floor(options.heartbeatTimeoutMs / 4)));
    this.#watchdog = setInterval(() => this.#enforceHeartbeats(), period);
    this.#watchdog.unref();
  }

  /** Listens on `host:port` (0 picks a free port); resolves with the port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        const address = this.#http.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Sends `ForcedLogout` (77) to every session of `user` and closes them. Returns how many. */
  forceLogout(user: string): number {
    let n = 0;
    for (const c of this.#clients) {
      if (c.user !== user) continue;
      this.#forceOut(c);
      n++;
    }
    return n;
  }

  /** Stops serving and closes every socket. */
  async close(): Promise<void> {
    this.#unsubscribe();
    clearInterval(this.#watchdog);
    for (const c of this.#clients) c.socket.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  // ── connections ───────────────────────────────────────────────────────────

  #accept(socket: WebSocket): void {
    const client: Client = {
      socket,
      framing: undefined,
      plant: undefined,
      user: undefined,
      lastHeard: Date.now(),
      orderAccounts: new Set(),
      pnlAccounts: new Set(),
    };
    this.#clients.add(client);
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const { payload, framing } = unframe(toBytes(data));
      if (client.framing === undefined) {
        client.framing = framing;
        this.stats.framings.push(framing);
      }
      client.lastHeard = Date.now();
      let message: RithmicMessage;
      try {
        message = decodeMessage(payload).message;
      } catch {
        socket.terminate();
        return;
      }
      const delay = this.#o.faults.latencyMs;
      if (delay > 0) setTimeout(() => void this.#handle(client, message), delay);
      else void this.#handle(client, message);
    });
    socket.on('close', () => this.#clients.delete(client));
    socket.on('error', () => socket.terminate());
  }

  #send(client: Client, name: MessageName, fields: Record<string, unknown>): void {
    if (client.socket.readyState !== client.socket.OPEN) return;
    client.socket.send(frame(encodeMessage(name, fields), client.framing ?? 'prefixed'));
  }

  #forceOut(client: Client): void {
    this.stats.forcedLogouts++;
    this.#send(client, 'ForcedLogout', {});
    client.socket.close(1000, 'forced logout');
  }

  #enforceHeartbeats(): void {
    const now = Date.now();
    for (const c of this.#clients) {
      if (c.plant !== undefined && now - c.lastHeard > this.#o.heartbeatTimeoutMs) {
        this.stats.heartbeatDrops++;
        c.socket.terminate();
      }
    }
  }

  // ── requests ──────────────────────────────────────────────────────────────

  async #handle(client: Client, m: RithmicMessage): Promise<void> {
    const id = m.template_id;
    const echo = { user_msg: strings(m, 'user_msg') };
    const ok = { ...echo, rp_code: ['0'] };
    if (id === TEMPLATE_ID.RequestRithmicSystemInfo) {
      this.#send(client, 'ResponseRithmicSystemInfo', {
        ...ok,
        system_name: [...this.#o.systems],
        has_aggregated_quotes: this.#o.systems.map(() => false),
      });
      // The real gateway closes after answering system info (§5.1).
      client.socket.close(1000);
      return;
    }
    if (id === TEMPLATE_ID.RequestHeartbeat) {
      this.stats.heartbeats++;
      this.#send(client, 'ResponseHeartbeat', { ...ok, ...wireTime(this.#o.clock.now()) });
      return;
    }
    if (id === TEMPLATE_ID.RequestLogin) return this.#login(client, m);
    if (client.plant === undefined) {
      this.#send(client, 'Reject', { ...echo, rp_code: ['1', 'not logged in'] });
      return;
    }
    if (id === TEMPLATE_ID.RequestLogout) {
      this.#send(client, 'ResponseLogout', ok);
      client.socket.close(1000);
      return;
    }
    const wrongPlant =
      (ORDER_TEMPLATES.has(id) && client.plant !== 'order') ||
      (PNL_TEMPLATES.has(id) && client.plant !== 'pnl');
    if (wrongPlant || (!ORDER_TEMPLATES.has(id) && !PNL_TEMPLATES.has(id))) {
      this.#send(client, 'Reject', {
        ...echo,
        rp_code: ['1', `template ${id} not served on the ${client.plant} plant`],
      });
      return;
    }
    const account = str(m, 'account_id');
    if (account !== undefined && !this.#o.accounts.some((a) => a.id === account)) {
      this.#send(client, responseOf(id), { ...echo, rp_code: ['1', `unknown account ${account}`] });
      return;
    }
    switch (id) {
      case TEMPLATE_ID.RequestLoginInfo:
        this.#send(client, 'ResponseLoginInfo', {
          ...ok,
          fcm_id: this.#o.fcmId,
          ib_id: this.#o.ibId,
          user: client.user,
          user_type: 3,
          order_copy_status: 'disabled',
          tp_max_session_count: this.#o.maxSessionsPerPlant ?? 99,
          op_max_session_count: this.#o.maxSessionsPerPlant ?? 99,
        });
        return;
      case TEMPLATE_ID.RequestAccountList:
        // N + 1: one data message per account, then the terminator with rp_code.
        for (const a of this.#o.accounts) {
          this.#send(client, 'ResponseAccountList', {
            ...echo,
            rq_handler_rp_code: ['0'],
            fcm_id: this.#o.fcmId,
            ib_id: this.#o.ibId,
            account_id: a.id,
            account_name: a.name,
            account_currency: 'USD',
          });
        }
        this.#send(client, 'ResponseAccountList', ok);
        return;
      case TEMPLATE_ID.RequestTradeRoutes:
        for (const exchange of ['CME', 'CBOT', 'NYMEX', 'COMEX']) {
          this.#send(client, 'ResponseTradeRoutes', {
            ...echo,
            rq_handler_rp_code: ['0'],
            fcm_id: this.#o.fcmId,
            ib_id: this.#o.ibId,
            exchange,
            trade_route: this.#o.tradeRoute,
            status: 'UP',
            is_default: true,
          });
        }
        this.#send(client, 'ResponseTradeRoutes', ok);
        return;
      case TEMPLATE_ID.RequestSubscribeForOrderUpdates:
        client.orderAccounts.add(account ?? '');
        this.#send(client, 'ResponseSubscribeForOrderUpdates', ok);
        return;
      case TEMPLATE_ID.RequestNewOrder:
        return this.#newOrder(client, m, echo);
      case TEMPLATE_ID.RequestModifyOrder:
      case TEMPLATE_ID.RequestCancelOrder:
        return this.#change(client, m, echo);
      case TEMPLATE_ID.RequestShowOrders:
        this.#flush();
        for (const order of this.#o.exchange.getOpenOrders(account ?? '')) {
          this.#send(client, 'ExchangeOrderNotification', {
            ...this.#orderFields(order),
            notify_type: ExchangeNotify.STATUS,
            is_snapshot: true,
            report_type: 'status',
            status: 'open',
          });
        }
        this.#send(client, 'ResponseShowOrders', ok);
        return;
      case TEMPLATE_ID.RequestShowOrderHistorySummary: {
        // The day's orders, ended ones too, each as one snapshot of where it stands (§11).
        this.#flush();
        const date = str(m, 'date') ?? '';
        let sent = 0;
        for (const order of this.#o.exchange.getOrders(account ?? '')) {
          if (order.parentOrderId !== undefined || this.#tradeDate(order) !== date) continue;
          this.#send(client, 'ExchangeOrderNotification', this.#historyFields(order));
          sent++;
        }
        this.#send(client, 'ResponseShowOrderHistorySummary', {
          ...echo,
          rp_code: sent > 0 ? ['0'] : ['7', 'no data'],
        });
        return;
      }
      case TEMPLATE_ID.RequestCancelAllOrders:
        for (const order of this.#o.exchange.getOpenOrders(account ?? '')) {
          await this.#o.exchange
            .cancelOrder({ accountId: order.accountId, orderId: order.orderId })
            .catch(() => {});
        }
        this.#send(client, 'ResponseCancelAllOrders', ok);
        return;
      case TEMPLATE_ID.RequestExitPosition:
        return this.#exit(client, m, echo);
      case TEMPLATE_ID.RequestReplayExecutions: {
        this.#flush();
        const start = num(m, 'start_index') ?? 0;
        const finish = num(m, 'finish_index') ?? Number.MAX_SAFE_INTEGER;
        for (const fill of this.#fills.get(account ?? '') ?? []) {
          const ssboe = fill.ssboe as number;
          if (ssboe >= start && ssboe <= finish) this.#send(client, 'ExchangeOrderNotification', fill);
        }
        this.#send(client, 'ResponseReplayExecutions', ok);
        return;
      }
      case TEMPLATE_ID.RequestPnLPositionUpdates:
        if (num(m, 'request') === 2) client.pnlAccounts.delete(account ?? '');
        else client.pnlAccounts.add(account ?? '');
        this.#send(client, 'ResponsePnLPositionUpdates', ok);
        return;
      case TEMPLATE_ID.RequestPnLPositionSnapshot:
        this.#flush();
        for (const p of this.#positions.values()) {
          if (p.accountId === account)
            this.#send(client, 'InstrumentPnLPositionUpdate', {
              ...this.#positionFields(p),
              is_snapshot: true,
            });
        }
        if (account !== undefined && this.#o.exchange.hasAccount(account))
          this.#send(client, 'AccountPnLPositionUpdate', {
            ...this.#accountFields(account),
            is_snapshot: true,
          });
        this.#send(client, 'ResponsePnLPositionSnapshot', ok);
        return;
    }
  }

  #login(client: Client, m: RithmicMessage): void {
    const echo = { user_msg: strings(m, 'user_msg') };
    const user = str(m, 'user') ?? '';
    const password = str(m, 'password') ?? '';
    const infra = num(m, 'infra_type');
    const users = this.#o.users;
    if (user === '' || (users && users[user] !== password)) {
      // Never echo the password; the text names the user only.
      this.#send(client, 'ResponseLogin', { ...echo, rp_code: ['13', 'permission denied'] });
      return;
    }
    if (str(m, 'system_name') !== undefined && !this.#o.systems.includes(str(m, 'system_name')!)) {
      this.#send(client, 'ResponseLogin', {
        ...echo,
        rp_code: ['1', `unknown system ${str(m, 'system_name')}`],
      });
      return;
    }
    if (infra !== InfraType.ORDER_PLANT && infra !== InfraType.PNL_PLANT) {
      this.#send(client, 'ResponseLogin', { ...echo, rp_code: ['1', `plant ${infra} is not simulated`] });
      return;
    }
    const plant = infra === InfraType.ORDER_PLANT ? 'order' : 'pnl';
    const max = this.#o.maxSessionsPerPlant;
    if (max !== undefined) {
      // Too many sessions: the oldest one is pushed out, as a second platform on the same login does.
      const same = [...this.#clients].filter((c) => c !== client && c.user === user && c.plant === plant);
      for (const c of same.slice(0, Math.max(0, same.length - max + 1))) this.#forceOut(c);
    }
    client.user = user;
    client.plant = plant;
    this.stats.logins++;
    this.#send(client, 'ResponseLogin', {
      ...echo,
      template_version: '3.9',
      rp_code: ['0'],
      fcm_id: this.#o.fcmId,
      ib_id: this.#o.ibId,
      country_code: 'US',
      unique_user_id: user,
      heartbeat_interval: this.#o.heartbeatIntervalSec,
    });
  }

  async #newOrder(client: Client, m: RithmicMessage, echo: { user_msg: string[] }): Promise<void> {
    const userTag = str(m, 'user_tag');
    const ok = { ...echo, ...(userTag ? { user_tag: userTag } : {}), ...wireTime(this.#o.clock.now()) };
    if (this.#o.faults.takeRateLimit()) {
      this.#send(client, 'ResponseNewOrder', { ...ok, rp_code: [...this.#o.rateLimitRpCode] });
      return;
    }
    let request: PlaceOrderRequest;
    try {
      request = this.#placement(m);
    } catch (error) {
      this.#send(client, 'ResponseNewOrder', { ...ok, rp_code: ['1', (error as Error).message] });
      return;
    }
    const lose = this.#o.faults.takeLostResponse();
    try {
      // Rithmic does not keep user_tag unique: a repeated tag is a new order (protocol notes
      // §14), so the simulator places it again rather than answering with the first one.
      const ack = await this.#o.exchange.placeOrder(request, { idempotent: false });
      if (lose) {
        client.socket.terminate();
        return;
      }
      this.#send(client, 'ResponseNewOrder', { ...ok, rp_code: ['0'], basket_id: ack.orderId });
    } catch (error) {
      if (lose) {
        client.socket.terminate();
        return;
      }
      this.#send(client, 'ResponseNewOrder', { ...ok, rp_code: rpCodeOf(error) });
    }
  }

  #placement(m: RithmicMessage): PlaceOrderRequest {
    const contract = this.#contract(m);
    const type = orderTypeFromWire(num(m, 'price_type'));
    const uses = priceFields(type);
    const price = num(m, 'price');
    const trigger = num(m, 'trigger_price');
    if (uses.limit && price === undefined) throw new Error('price is required for this price_type');
    if (uses.stop && trigger === undefined) throw new Error('trigger_price is required for this price_type');
    if (str(m, 'trade_route') !== this.#o.tradeRoute) throw new Error('invalid trade route');
    let userTag = str(m, 'user_tag');
    if (!userTag) {
      userTag = `sim-untagged-${++this.#tagCounter}`;
      this.#generatedTags.add(userTag);
    }
    return {
      accountId: str(m, 'account_id') ?? '',
      clientOrderId: userTag,
      contract,
      side: sideFromWire(num(m, 'transaction_type')),
      qty: num(m, 'quantity') ?? 0,
      orderType: type,
      ...(uses.limit ? { limitTicks: wireToTicks(price!, contract, this.#o.instruments) } : {}),
      ...(uses.stop ? { stopTicks: wireToTicks(trigger!, contract, this.#o.instruments) } : {}),
    };
  }

  async #change(client: Client, m: RithmicMessage, echo: { user_msg: string[] }): Promise<void> {
    const modify = m.template_id === TEMPLATE_ID.RequestModifyOrder;
    const response = modify ? 'ResponseModifyOrder' : 'ResponseCancelOrder';
    const basketId = str(m, 'basket_id') ?? '';
    const ok = { ...echo, basket_id: basketId, ...wireTime(this.#o.clock.now()) };
    if (this.#o.faults.takeRateLimit()) {
      this.#send(client, response, { ...ok, rp_code: [...this.#o.rateLimitRpCode] });
      return;
    }
    const order = this.#o.exchange.getOrder(basketId);
    try {
      if (!order || order.accountId !== str(m, 'account_id'))
        throw new BrokerRejectedError('rithmic-sim', `unknown basket_id ${basketId}`);
      if (modify) {
        const price = num(m, 'price');
        const trigger = num(m, 'trigger_price');
        const qty = num(m, 'quantity');
        await this.#o.exchange.modifyOrder({
          accountId: order.accountId,
          orderId: basketId,
          ...(qty !== undefined ? { qty } : {}),
          ...(price !== undefined
            ? { limitTicks: wireToTicks(price, order.contract, this.#o.instruments) }
            : {}),
          ...(trigger !== undefined
            ? { stopTicks: wireToTicks(trigger, order.contract, this.#o.instruments) }
            : {}),
        });
      } else {
        this.#queuePush(order.accountId, 'order', 'RithmicOrderNotification', {
          ...this.#orderFields(order),
          notify_type: OrderNotify.CANCEL_RCVD_FROM_CLNT,
          status: 'cancel received from client',
        });
        await this.#o.exchange.cancelOrder({ accountId: order.accountId, orderId: basketId });
      }
      this.#send(client, response, { ...ok, rp_code: ['0'] });
    } catch (error) {
      this.#send(client, response, { ...ok, rp_code: rpCodeOf(error) });
      if (order) {
        this.#queuePush(order.accountId, 'order', 'RithmicOrderNotification', {
          ...this.#orderFields(order),
          notify_type: modify ? OrderNotify.MODIFICATION_FAILED : OrderNotify.CANCELLATION_FAILED,
          text: (error as Error).message,
        });
      }
    }
  }

  async #exit(client: Client, m: RithmicMessage, echo: { user_msg: string[] }): Promise<void> {
    const symbol = str(m, 'symbol');
    const exchange = str(m, 'exchange');
    const ok = { ...echo, ...(symbol ? { symbol } : {}), ...(exchange ? { exchange } : {}) };
    try {
      const contract = symbol !== undefined ? this.#contract(m) : undefined;
      await this.#o.exchange.flatten({
        accountId: str(m, 'account_id') ?? '',
        ...(contract ? { contract } : {}),
      });
      this.#send(client, 'ResponseExitPosition', { ...ok, rp_code: ['0'] });
    } catch (error) {
      this.#send(client, 'ResponseExitPosition', { ...ok, rp_code: rpCodeOf(error) });
    }
  }

  #contract(m: RithmicMessage): Contract {
    return fromRithmicSymbol(str(m, 'symbol') ?? '', str(m, 'exchange') ?? '', {
      registry: this.#o.instruments,
      at: this.#o.clock.now(),
    });
  }

  // ── exchange events → pushes ──────────────────────────────────────────────

  #onExchange(event: BrokerEvent): void {
    if (event.type === 'order-updated') this.#onOrder(event.order);
    else if (event.type === 'order-filled') {
      const order = this.#o.exchange.getOrder(event.fill.orderId);
      const meta = this.#meta.get(event.fill.orderId);
      if (!order || !meta) return;
      meta.filled += event.fill.qty;
      const fill = {
        ...this.#orderFields(order),
        notify_type: ExchangeNotify.FILL,
        report_type: 'fill',
        status: meta.filled >= order.qty ? 'complete' : 'open',
        fill_price: ticksToWire(event.fill.priceTicks, order.contract, this.#o.instruments),
        fill_size: event.fill.qty,
        fill_id: event.fill.fillId,
        fill_time: new Date(event.fill.time).toISOString().slice(11, 19),
        fill_date: new Date(event.fill.time).toISOString().slice(0, 10).replaceAll('-', ''),
        total_fill_size: meta.filled,
        total_unfilled_size: Math.max(0, order.qty - meta.filled),
        ...wireTime(event.fill.time),
      };
      const list = this.#fills.get(order.accountId) ?? [];
      list.push(fill);
      this.#fills.set(order.accountId, list);
      this.#queuePush(order.accountId, 'order', 'ExchangeOrderNotification', fill);
    } else if (event.type === 'position-updated') {
      const p = event.position;
      this.#positions.set(`${p.accountId}\u0000${contractKey(p.contract)}`, { ...p });
      this.#queuePush(p.accountId, 'pnl', 'InstrumentPnLPositionUpdate', this.#positionFields(p));
      // The account line follows every position change, as the PnL plant does.
      this.#queuePush(p.accountId, 'pnl', 'AccountPnLPositionUpdate', this.#accountFields(p.accountId));
    }
  }

  /** The §8.3 sequences: new → received/pending/sent → STATUS + OPEN; modify; fill; cancel; reject. */
  #onOrder(order: BrokerOrder): void {
    const fields = this.#orderFields(order);
    const push = (name: MessageName, extra: Record<string, unknown>) =>
      this.#queuePush(order.accountId, 'order', name, { ...fields, ...extra });
    let meta = this.#meta.get(order.orderId);
    if (!meta) {
      meta = {
        status: 'pending',
        qty: order.qty,
        limitTicks: order.limitTicks,
        stopTicks: order.stopTicks,
        filled: 0,
        userTag: order.clientOrderId,
        tradeDate: wireDate(this.#o.clock.now()),
      };
      this.#meta.set(order.orderId, meta);
      push('RithmicOrderNotification', {
        notify_type: OrderNotify.ORDER_RCVD_FROM_CLNT,
        status: 'Order received from client',
      });
      push('RithmicOrderNotification', { notify_type: OrderNotify.OPEN_PENDING, status: 'open pending' });
      push('RithmicOrderNotification', {
        notify_type: OrderNotify.ORDER_RCVD_BY_EXCH_GTWY,
        status: 'order received by exch gateway',
      });
      push('RithmicOrderNotification', {
        notify_type: OrderNotify.ORDER_SENT_TO_EXCH,
        status: 'order sent to exch',
      });
    }
    const previous = meta.status;
    const changed =
      meta.qty !== order.qty || meta.limitTicks !== order.limitTicks || meta.stopTicks !== order.stopTicks;
    meta.status = order.status;
    meta.qty = order.qty;
    meta.limitTicks = order.limitTicks;
    meta.stopTicks = order.stopTicks;
    switch (order.status) {
      case 'working':
      case 'partially-filled':
        if (previous === 'pending') {
          push('ExchangeOrderNotification', {
            notify_type: ExchangeNotify.STATUS,
            report_type: 'status',
            status: 'open',
            confirmed_size: order.qty,
          });
          push('RithmicOrderNotification', { notify_type: OrderNotify.OPEN, status: 'open' });
        } else if (changed) {
          push('ExchangeOrderNotification', {
            notify_type: ExchangeNotify.MODIFY,
            report_type: 'modify',
            status: 'open',
            modified_size: order.qty,
          });
          push('RithmicOrderNotification', { notify_type: OrderNotify.MODIFIED, status: 'open' });
        }
        break;
      case 'filled':
        if (previous !== 'filled')
          push('RithmicOrderNotification', {
            notify_type: OrderNotify.COMPLETE,
            status: 'complete',
            completion_reason: 'Fill',
          });
        break;
      case 'cancelled':
        if (previous !== 'cancelled') {
          push('ExchangeOrderNotification', {
            notify_type: ExchangeNotify.CANCEL,
            report_type: 'cancel',
            status: 'cancelled',
            cancelled_size: order.qty - order.filledQty,
            text: order.reason,
          });
          push('RithmicOrderNotification', {
            notify_type: OrderNotify.COMPLETE,
            status: 'complete',
            completion_reason: 'Cancel',
          });
        }
        break;
      case 'rejected':
        if (previous !== 'rejected') {
          push('ExchangeOrderNotification', {
            notify_type: ExchangeNotify.REJECT,
            report_type: 'reject',
            status: 'rejected',
            text: order.reason,
          });
          push('RithmicOrderNotification', {
            notify_type: OrderNotify.COMPLETE,
            status: 'complete',
            completion_reason: 'Reject',
            text: order.reason,
          });
        }
        break;
      case 'pending':
        break;
    }
  }

  /** The trade date of an order: when the simulator first saw it (the UTC date). */
  #tradeDate(order: BrokerOrder): string {
    return this.#meta.get(order.orderId)?.tradeDate ?? wireDate(order.updatedAt);
  }

  /** An order-history snapshot (324): the order as it stands, `complete` with why once ended. */
  #historyFields(order: BrokerOrder): Record<string, unknown> {
    const ended = {
      filled: 'fill',
      cancelled: 'cancel',
      rejected: 'reject',
    } as const satisfies Partial<Record<BrokerOrder['status'], string>>;
    const reportType = ended[order.status as keyof typeof ended];
    return {
      ...this.#orderFields(order),
      notify_type: ExchangeNotify.STATUS,
      is_snapshot: true,
      report_type: reportType ?? 'status',
      status: reportType ? 'complete' : 'open',
      total_fill_size: order.filledQty,
      total_unfilled_size: reportType ? 0 : order.qty - order.filledQty,
      ...(order.reason ? { text: order.reason } : {}),
    };
  }

  /** The identifying fields every notification of an order carries. */
  #orderFields(order: BrokerOrder): Record<string, unknown> {
    const { symbol, exchange } = toRithmicSymbol(order.contract, this.#o.instruments);
    const uses = priceFields(order.orderType);
    const tag = order.clientOrderId;
    return {
      ...(tag && !this.#generatedTags.has(tag) ? { user_tag: tag } : {}),
      basket_id: order.orderId,
      fcm_id: this.#o.fcmId,
      ib_id: this.#o.ibId,
      account_id: order.accountId,
      symbol,
      exchange,
      trade_route: this.#o.tradeRoute,
      instrument_type: 'Future',
      quantity: order.qty,
      transaction_type: sideToWire(order.side),
      duration: 1,
      price_type: orderTypeToWire(order.orderType),
      ...(uses.limit && order.limitTicks !== undefined
        ? { price: ticksToWire(order.limitTicks, order.contract, this.#o.instruments) }
        : {}),
      ...(uses.stop && order.stopTicks !== undefined
        ? { trigger_price: ticksToWire(order.stopTicks, order.contract, this.#o.instruments) }
        : {}),
      manual_or_auto: 2,
      ...wireTime(this.#o.clock.now()),
    };
  }

  /** The 451 fields of an account: money as decimal strings, as Rithmic sends it. */
  #accountFields(accountId: string): Record<string, unknown> {
    const a = this.#o.exchange.account(accountId);
    return {
      fcm_id: this.#o.fcmId,
      ib_id: this.#o.ibId,
      account_id: accountId,
      account_balance: formatMoney(a.balance),
      closed_position_pnl: formatMoney(a.realizedPnl),
      day_pnl: formatMoney(a.realizedPnl),
      ...wireTime(this.#o.clock.now()),
    };
  }

  #positionFields(p: BrokerPosition): Record<string, unknown> {
    const { symbol, exchange } = toRithmicSymbol(p.contract, this.#o.instruments);
    const tickSize = this.#o.instruments.get(p.contract.root).tickSize;
    const avg = Number.isInteger(p.avgPriceTicks)
      ? Number(ticksToPrice(p.avgPriceTicks, tickSize))
      : p.avgPriceTicks * Number(tickSize);
    return {
      fcm_id: this.#o.fcmId,
      ib_id: this.#o.ibId,
      account_id: p.accountId,
      symbol,
      exchange,
      product_code: p.contract.root,
      instrument_type: 'Future',
      buy_qty: Math.max(0, p.netQty),
      sell_qty: Math.max(0, -p.netQty),
      open_position_quantity: Math.abs(p.netQty),
      net_quantity: p.netQty,
      ...(p.netQty !== 0 ? { avg_open_fill_price: avg } : {}),
      ...wireTime(this.#o.clock.now()),
    };
  }

  /**
   * Pushes wait for the next turn of the event loop: the exchange reports a
   * placement's events inside the call, and the 313 answer must go out first.
   */
  #queuePush(
    accountId: string,
    plant: 'order' | 'pnl',
    name: MessageName,
    fields: Record<string, unknown>,
  ): void {
    this.#queue.push({ accountId, plant, name, fields });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      const delay = this.#o.faults.notificationDelayMs;
      if (delay > 0) setTimeout(() => this.#flush(), delay);
      else setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (const push of queue) {
      for (const c of this.#clients) {
        const subscribed = push.plant === 'order' ? c.orderAccounts : c.pnlAccounts;
        if (c.plant === push.plant && subscribed.has(push.accountId)) this.#send(c, push.name, push.fields);
      }
    }
  }
}

function responseOf(templateId: number): MessageName {
  const names = Object.entries(TEMPLATE_ID).find(([, id]) => id === templateId + 1);
  return (names?.[0] as MessageName | undefined) ?? 'Reject';
}

/** The `rp_code` of an exchange error. */
function rpCodeOf(error: unknown): string[] {
  if (error instanceof BrokerRateLimitedError) return ['3', 'rate limit exceeded'];
  if (error instanceof BrokerRejectedError) return ['1', error.reason];
  return ['1', error instanceof Error ? error.message : String(error)];
}
