import { createServer, type Server, type Socket } from 'node:net';
import {
  averageTicksToPrice,
  type BrokerEvent,
  type BrokerFill,
  type BrokerOrder,
  BrokerRejectedError,
  type Clock,
  type Contract,
  type Logger,
  type OrderType,
  type SimulatedExchange,
  sameContract,
  type Ticks,
  type Timer,
  ticksToPrice,
} from '@tradenova/core';
import { buySellOf, dtcOrderTypeOf, orderTypeOfDtc, sideOfBuySell, ticksOf } from '../parse.js';
import type { SierraSymbols } from '../symbols.js';
import {
  DTC_PROTOCOL_VERSION,
  DtcEncoding,
  type DtcMessage,
  DtcType,
  decodeEncodingMessage,
  decodeJson,
  encodeEncodingMessage,
  encodeJson,
  isEncodingType,
  isSetNumber,
  LogonStatus,
  NulFramer,
  OrderStatus,
  OrderUpdateReason,
} from '../wire.js';
import type { SierraChartSimulatorFaults } from './faults.js';

/** What the simulator has served so far. */
export interface SierraSimStats {
  connections: number;
  logons: number;
  /** Sessions closed because the client's heartbeats stopped. */
  heartbeatTimeouts: number;
  /** Messages received, by Type. */
  messages: Record<number, number>;
}

/** Options of the DTC simulator server. */
export interface SierraSimServerOptions {
  exchange: SimulatedExchange;
  faults: SierraChartSimulatorFaults;
  clock: Clock;
  logger: Logger;
  accounts: readonly string[];
  symbols: SierraSymbols;
  /** username → password; any credentials when absent. */
  users?: Readonly<Record<string, string>>;
  /** Hold a parent order this long for its OCO bracket before placing it alone, ms. */
  parentHoldMs: number;
}

/** One client connection. */
interface Session {
  socket: Socket;
  framer: NulFramer;
  /** `detect` until the first bytes tell binary encoding request from JSON. */
  mode: 'detect' | 'json';
  pending: Buffer;
  loggedOn: boolean;
  /** While true nothing is sent (a lost answer is being simulated). */
  muted: boolean;
  heartbeatMs: number;
  lastReceived: number;
  timer: Timer | undefined;
}

/** Per-order protocol state the exchange does not keep. */
interface OrderInfo {
  clientOrderId: string;
  accepted: boolean;
  /** A cancel-replace is being applied: the next update is its completion. */
  replacing: boolean;
  fillTicks: number;
  fillQty: number;
  lastFill?: BrokerFill;
}

/**
 * A Sierra Chart DTC server on loopback: binary encoding request or JSON from the first
 * byte, NUL-delimited JSON, logon, heartbeats both ways (a client silent for twice its
 * interval is dropped), accounts, orders (single, OCO, brackets, cancel, cancel-replace,
 * flatten), open orders, positions and historical fills, in front of the shared exchange.
 */
export class SierraSimServer {
  readonly stats: SierraSimStats = { connections: 0, logons: 0, heartbeatTimeouts: 0, messages: {} };
  readonly #options: SierraSimServerOptions;
  readonly #server: Server;
  readonly #sessions = new Set<Session>();
  readonly #info = new Map<string, OrderInfo>();
  /** Bracket legs by parent ClientOrderID: the exchange creates the children without ids of ours. */
  readonly #legs = new Map<string, { limit: string; stop: string }>();
  readonly #heldParents = new Map<string, { message: DtcMessage; timer: Timer; session: Session }>();
  readonly #ocoSibling = new Map<string, string>();
  readonly #fills: BrokerFill[] = [];
  #unsubscribe: (() => void) | undefined;
  #anon = 0;

  constructor(options: SierraSimServerOptions) {
    this.#options = options;
    this.#server = createServer((socket) => this.#accept(socket));
    options.faults.onDrop = () => {
      for (const session of [...this.#sessions]) session.socket.destroy();
    };
  }

  /** Listens on `host:port`; resolves with the port. */
  async listen(port: number, host: string): Promise<number> {
    this.#unsubscribe = this.#options.exchange.onEvent((event) => this.#onExchange(event));
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    for (const held of this.#heldParents.values()) held.timer.cancel();
    for (const session of [...this.#sessions]) {
      session.timer?.cancel();
      session.socket.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ── sessions ─────────────────────────────────────────────────────────────

  #accept(socket: Socket): void {
    this.stats.connections++;
    socket.setNoDelay(true);
    const session: Session = {
      socket,
      framer: new NulFramer(),
      mode: 'detect',
      pending: Buffer.alloc(0),
      loggedOn: false,
      muted: false,
      heartbeatMs: 0,
      lastReceived: this.#options.clock.now(),
      timer: undefined,
    };
    this.#sessions.add(session);
    socket.on('data', (data: Buffer) => this.#onData(session, data));
    socket.on('error', () => {});
    socket.on('close', () => {
      session.timer?.cancel();
      this.#sessions.delete(session);
    });
  }

  #onData(session: Session, data: Buffer): void {
    session.lastReceived = this.#options.clock.now();
    if (session.mode === 'detect') {
      session.pending = Buffer.concat([session.pending, data]);
      if (session.pending[0] === 0x7b) {
        // `{`: the client speaks JSON from the first byte (server Encoding fixed to JSON).
        session.mode = 'json';
        data = session.pending;
      } else {
        const request = decodeEncodingMessage(session.pending);
        if (!request) {
          if (session.pending.length >= 4 && !isEncodingType(session.pending.readUInt16LE(2)))
            session.socket.destroy();
          return;
        }
        this.#count(DtcType.EncodingRequest);
        const rest = session.pending.subarray(request.size);
        // Only JSON is served here; the client checks the answer and gives up on anything else.
        session.socket.write(encodeEncodingMessage(DtcType.EncodingResponse, DtcEncoding.Json));
        session.mode = 'json';
        data = rest;
      }
      session.pending = Buffer.alloc(0);
    }
    let frames: string[];
    try {
      frames = session.framer.push(data);
    } catch {
      session.socket.destroy();
      return;
    }
    for (const frame of frames) {
      const message = decodeJson(frame);
      if (message) this.#onMessage(session, message);
    }
  }

  #send(session: Session, message: DtcMessage): void {
    if (session.muted || this.#options.faults.silent || session.socket.destroyed) return;
    session.socket.write(encodeJson(message));
  }

  #onMessage(session: Session, m: DtcMessage): void {
    this.#count(m.Type);
    if (!session.loggedOn && m.Type !== DtcType.LogonRequest && m.Type !== DtcType.Heartbeat) return;
    try {
      switch (m.Type) {
        case DtcType.LogonRequest:
          this.#logon(session, m);
          return;
        case DtcType.Heartbeat:
          return;
        case DtcType.Logoff:
          session.socket.end();
          return;
        case DtcType.TradeAccountsRequest:
          this.#tradeAccounts(session, m);
          return;
        case DtcType.OpenOrdersRequest:
          this.#openOrders(session, m);
          return;
        case DtcType.CurrentPositionsRequest:
          this.#positions(session, m);
          return;
        case DtcType.HistoricalOrderFillsRequest:
          this.#historicalFills(session, m);
          return;
        case DtcType.SubmitNewSingleOrder:
          this.#submitSingle(session, m);
          return;
        case DtcType.SubmitNewOcoOrder:
          this.#submitOco(session, m);
          return;
        case DtcType.CancelOrder:
          this.#cancel(session, m);
          return;
        case DtcType.CancelReplaceOrder:
          this.#cancelReplace(session, m);
          return;
        case DtcType.SubmitFlattenPositionOrder:
          this.#flattenPosition(session, m);
          return;
        default:
          return;
      }
    } catch (error) {
      this.#options.logger.debug(
        { err: String(error), type: m.Type },
        'sierrachart simulator request failed',
      );
    }
  }

  #logon(session: Session, m: DtcMessage): void {
    const failure = this.#options.faults.takeLogonFailure();
    const users = this.#options.users;
    const badCredentials =
      users !== undefined && users[String(m.Username ?? '')] !== String(m.Password ?? '');
    if (failure !== undefined || badCredentials) {
      this.#send(session, {
        Type: DtcType.LogonResponse,
        ProtocolVersion: DTC_PROTOCOL_VERSION,
        Result: LogonStatus.Error,
        ResultText: failure ?? 'Invalid username or password',
      });
      session.socket.end();
      return;
    }
    this.stats.logons++;
    session.loggedOn = true;
    const interval = Number(m.HeartbeatIntervalInSeconds ?? 0);
    session.heartbeatMs = (interval > 0 ? interval : 10) * 1000;
    this.#send(session, {
      Type: DtcType.LogonResponse,
      ProtocolVersion: DTC_PROTOCOL_VERSION,
      Result: LogonStatus.Success,
      ResultText: 'Logon successful',
      ServerName: 'TradeNova DTC simulator',
      MarketDepthUpdatesBestBidAndAsk: 0,
      TradingIsSupported: this.#options.faults.tradingDisabled ? 0 : 1,
      OCOOrdersSupported: 1,
      OrderCancelReplaceSupported: 1,
      SymbolExchangeDelimiter: SYMBOL_EXCHANGE_DELIMITER,
      SecurityDefinitionsSupported: 0,
      HistoricalPriceDataSupported: 0,
      MarketDepthIsSupported: 0,
      BracketOrdersSupported: 1,
      UseIntegerPriceOrderMessages: 0,
      UsesMultiplePositionsPerSymbolAndTradeAccount: 0,
      MarketDataSupported: 0,
    });
    this.#heartbeat(session);
  }

  /** Sends HEARTBEAT each interval and drops a client silent for twice its interval. */
  #heartbeat(session: Session): void {
    session.timer = this.#options.clock.setTimer(session.heartbeatMs, () => {
      if (session.socket.destroyed) return;
      const now = this.#options.clock.now();
      if (now - session.lastReceived > 2 * session.heartbeatMs) {
        this.stats.heartbeatTimeouts++;
        this.#send(session, { Type: DtcType.Logoff, Reason: 'Heartbeat timeout', DoNotReconnect: 0 });
        session.socket.destroy();
        return;
      }
      this.#send(session, {
        Type: DtcType.Heartbeat,
        NumDroppedMessages: 0,
        CurrentDateTime: Math.floor(now / 1000),
      });
      this.#heartbeat(session);
    });
  }

  // ── requests ─────────────────────────────────────────────────────────────

  #tradeAccounts(session: Session, m: DtcMessage): void {
    const accounts = this.#options.accounts;
    accounts.forEach((account, i) => {
      this.#send(session, {
        Type: DtcType.TradeAccountResponse,
        TotalNumberMessages: accounts.length,
        MessageNumber: i + 1,
        TradeAccount: account,
        RequestID: m.RequestID,
      });
    });
  }

  #accountsOf(m: DtcMessage): string[] {
    const account = String(m.TradeAccount ?? '');
    return account === '' ? [...this.#options.accounts] : this.#options.accounts.filter((a) => a === account);
  }

  #openOrders(session: Session, m: DtcMessage): void {
    const serverOrderId = String(m.ServerOrderID ?? '');
    const orders = this.#accountsOf(m)
      .flatMap((a) => this.#options.exchange.getOpenOrders(a))
      .filter((o) => serverOrderId === '' || o.orderId === serverOrderId);
    if (orders.length === 0) {
      this.#send(session, {
        Type: DtcType.OrderUpdate,
        RequestID: m.RequestID,
        TotalNumMessages: 1,
        MessageNumber: 1,
        NoOrders: 1,
      });
      return;
    }
    orders.forEach((order, i) => {
      this.#send(session, {
        ...this.#orderUpdate(order, OrderUpdateReason.OpenOrdersRequestResponse),
        RequestID: m.RequestID,
        TotalNumMessages: orders.length,
        MessageNumber: i + 1,
      });
    });
  }

  #positions(session: Session, m: DtcMessage): void {
    const positions = this.#accountsOf(m).flatMap((a) => this.#options.exchange.getPositions(a));
    if (positions.length === 0) {
      this.#send(session, {
        Type: DtcType.PositionUpdate,
        RequestID: m.RequestID,
        TotalNumberMessages: 1,
        MessageNumber: 1,
        NoPositions: 1,
      });
      return;
    }
    positions.forEach((p, i) => {
      this.#send(session, {
        Type: DtcType.PositionUpdate,
        RequestID: m.RequestID,
        TotalNumberMessages: positions.length,
        MessageNumber: i + 1,
        Symbol: this.#options.symbols.format(p.contract),
        Exchange: '',
        Quantity: p.netQty,
        AveragePrice: this.#price(p.contract, p.avgPriceTicks),
        TradeAccount: p.accountId,
        Unsolicited: 0,
      });
    });
  }

  #historicalFills(session: Session, m: DtcMessage): void {
    const accounts = new Set(this.#accountsOf(m));
    const serverOrderId = String(m.ServerOrderID ?? '');
    const days = Number(m.NumberOfDays ?? 1);
    const since = this.#options.clock.now() - Math.max(1, days) * 86_400_000;
    const fills = this.#fills.filter(
      (f) =>
        accounts.has(f.accountId) && f.time >= since && (serverOrderId === '' || f.orderId === serverOrderId),
    );
    if (fills.length === 0) {
      this.#send(session, {
        Type: DtcType.HistoricalOrderFillResponse,
        RequestID: m.RequestID,
        TotalNumberMessages: 1,
        MessageNumber: 1,
        NoOrderFills: 1,
      });
      return;
    }
    fills.forEach((f, i) => {
      this.#send(session, {
        Type: DtcType.HistoricalOrderFillResponse,
        RequestID: m.RequestID,
        TotalNumberMessages: fills.length,
        MessageNumber: i + 1,
        Symbol: this.#options.symbols.format(f.contract),
        Exchange: '',
        ServerOrderID: f.orderId,
        BuySell: buySellOf(f.side),
        Price: this.#price(f.contract, f.priceTicks),
        DateTime: Math.floor(f.time / 1000),
        Quantity: f.qty,
        UniqueExecutionID: f.fillId,
        TradeAccount: f.accountId,
      });
    });
  }

  // ── orders ───────────────────────────────────────────────────────────────

  #submitSingle(session: Session, m: DtcMessage): void {
    const clientOrderId = String(m.ClientOrderID ?? '');
    if (m.IsParentOrder === 1 && clientOrderId !== '') {
      // A bracket parent: its OCO pair follows; place both together, or the parent alone if none comes.
      const timer = this.#options.clock.setTimer(this.#options.parentHoldMs, () => {
        this.#heldParents.delete(clientOrderId);
        void this.#place(session, m, undefined);
      });
      this.#heldParents.set(clientOrderId, { message: m, timer, session });
      return;
    }
    void this.#place(session, m, undefined);
  }

  #submitOco(session: Session, m: DtcMessage): void {
    const leg = (n: 1 | 2) => ({
      clientOrderId: String(m[`ClientOrderID_${n}`] ?? ''),
      orderType: orderTypeOfDtc(Number(m[`OrderType_${n}`])),
      buySell: Number(m[`BuySell_${n}`]),
      price1: m[`Price1_${n}`],
      price2: m[`Price2_${n}`],
      qty: Number(m[`Quantity_${n}`]),
    });
    const legs = [leg(1), leg(2)];
    const parentId = String(m.ParentTriggerClientOrderID ?? '');
    const held = parentId === '' ? undefined : this.#heldParents.get(parentId);
    if (held) {
      held.timer.cancel();
      this.#heldParents.delete(parentId);
      const limit = legs.find((l) => l.orderType === 'limit');
      const stop = legs.find((l) => l.orderType === 'stop');
      if (!limit || !stop) {
        this.#rejectNew(
          session,
          m,
          legs[0]!.clientOrderId,
          'Simulator brackets need one limit and one stop leg',
        );
        void this.#place(session, held.message, undefined);
        return;
      }
      const contract = this.#contractOf(held.message);
      this.#legs.set(parentId, { limit: limit.clientOrderId, stop: stop.clientOrderId });
      void this.#place(session, held.message, {
        takeProfitTicks: this.#ticks(contract, limit.price1)!,
        stopLossTicks: this.#ticks(contract, stop.price1)!,
      });
      return;
    }
    // A standalone OCO pair: two orders, each cancelling the other when it fills.
    const ids: string[] = [];
    for (const l of legs) {
      const single: DtcMessage = {
        Type: DtcType.SubmitNewSingleOrder,
        Symbol: m.Symbol,
        Exchange: m.Exchange,
        TradeAccount: m.TradeAccount,
        ClientOrderID: l.clientOrderId,
        OrderType: dtcOrderTypeOf(l.orderType ?? 'market'),
        BuySell: l.buySell,
        Price1: l.price1,
        Price2: l.price2,
        Quantity: l.qty,
      };
      void this.#place(session, single, undefined).then((orderId) => {
        if (orderId !== undefined) ids.push(orderId);
        if (ids.length === 2) {
          this.#ocoSibling.set(ids[0]!, ids[1]!);
          this.#ocoSibling.set(ids[1]!, ids[0]!);
        }
      });
    }
  }

  /** Places one order; resolves with its exchange id (undefined when rejected). */
  async #place(
    session: Session,
    m: DtcMessage,
    bracket: { stopLossTicks: Ticks; takeProfitTicks: Ticks } | undefined,
  ): Promise<string | undefined> {
    const clientOrderId = String(m.ClientOrderID ?? '') || `~anon-${++this.#anon}`;
    const account = String(m.TradeAccount ?? '');
    const orderType = orderTypeOfDtc(Number(m.OrderType));
    const side = sideOfBuySell(Number(m.BuySell));
    let contract: Contract;
    try {
      contract = this.#contractOf(m);
    } catch {
      this.#rejectNew(session, m, clientOrderId, `Unknown symbol ${symbolText(m)}`);
      return undefined;
    }
    if (!this.#options.accounts.includes(account) || !orderType || !side) {
      this.#rejectNew(
        session,
        m,
        clientOrderId,
        !orderType || !side ? 'Invalid order type or side' : `Unknown trade account ${account}`,
      );
      return undefined;
    }
    const existing = this.#options.exchange.findOrderByClientId(account, clientOrderId);
    if (existing) {
      // The same ClientOrderID again: answer with the order as it is instead of a second order.
      this.#send(session, this.#orderUpdate(existing, OrderUpdateReason.GeneralOrderUpdate));
      return existing.orderId;
    }
    const lost = this.#options.faults.takeLostResponse();
    if (lost) for (const s of this.#sessions) s.muted = true;
    const prices = pricesOfType(orderType, contract, m, this);
    try {
      const ack = await this.#options.exchange.placeOrder({
        accountId: account,
        clientOrderId,
        contract,
        side,
        qty: Number(m.Quantity),
        orderType,
        ...prices,
        timeInForce: m.TimeInForce === 2 ? 'gtc' : 'day',
        ...(bracket ? { bracket } : {}),
      });
      return ack.orderId;
    } catch (error) {
      if (!(error instanceof BrokerRejectedError)) throw error;
      return undefined;
    } finally {
      if (lost) {
        // The order exists, but the connection dies before any answer leaves.
        for (const s of [...this.#sessions]) {
          s.muted = false;
          s.socket.destroy();
        }
      }
    }
  }

  #rejectNew(session: Session, m: DtcMessage, clientOrderId: string, text: string): void {
    this.#send(session, {
      Type: DtcType.OrderUpdate,
      RequestID: 0,
      TotalNumMessages: 1,
      MessageNumber: 1,
      Symbol: m.Symbol,
      Exchange: m.Exchange ?? '',
      ServerOrderID: '',
      ClientOrderID: clientOrderId,
      OrderStatus: OrderStatus.Rejected,
      OrderUpdateReason: OrderUpdateReason.NewOrderRejected,
      OrderType: m.OrderType,
      BuySell: m.BuySell,
      OrderQuantity: m.Quantity,
      TradeAccount: m.TradeAccount,
      InfoText: text,
    });
  }

  #cancel(session: Session, m: DtcMessage): void {
    const order = this.#options.exchange.getOrder(String(m.ServerOrderID ?? ''));
    if (!order || !this.#options.accounts.includes(order.accountId)) {
      this.#send(session, {
        Type: DtcType.OrderUpdate,
        ServerOrderID: m.ServerOrderID,
        ClientOrderID: m.ClientOrderID,
        OrderUpdateReason: OrderUpdateReason.OrderCancelRejected,
        InfoText: 'Order not found',
      });
      return;
    }
    this.#options.exchange
      .cancelOrder({ accountId: order.accountId, orderId: order.orderId })
      .catch((error: unknown) => {
        this.#send(session, {
          ...this.#orderUpdate(
            this.#options.exchange.getOrder(order.orderId)!,
            OrderUpdateReason.OrderCancelRejected,
          ),
          InfoText: error instanceof Error ? error.message : String(error),
        });
      });
  }

  #cancelReplace(session: Session, m: DtcMessage): void {
    const order = this.#options.exchange.getOrder(String(m.ServerOrderID ?? ''));
    if (!order || !this.#options.accounts.includes(order.accountId)) {
      this.#send(session, {
        Type: DtcType.OrderUpdate,
        ServerOrderID: m.ServerOrderID,
        ClientOrderID: m.ClientOrderID,
        OrderUpdateReason: OrderUpdateReason.OrderCancelReplaceRejected,
        InfoText: 'Order not found',
      });
      return;
    }
    const p1 = m.Price1IsSet === 0 ? undefined : this.#ticks(order.contract, m.Price1);
    const p2 = m.Price2IsSet === 0 ? undefined : this.#ticks(order.contract, m.Price2);
    const change: { qty?: number; limitTicks?: Ticks; stopTicks?: Ticks } = {};
    if (isSetNumber(m.Quantity) && m.Quantity > 0) change.qty = m.Quantity;
    if (order.orderType === 'limit' && p1 !== undefined) change.limitTicks = p1;
    if ((order.orderType === 'stop' || order.orderType === 'stop-limit') && p1 !== undefined)
      change.stopTicks = p1;
    if (order.orderType === 'stop-limit' && p2 !== undefined) change.limitTicks = p2;
    const info = this.#infoOf(order);
    info.replacing = true;
    this.#options.exchange
      .modifyOrder({ accountId: order.accountId, orderId: order.orderId, ...change })
      .catch((error: unknown) => {
        info.replacing = false;
        this.#send(session, {
          ...this.#orderUpdate(
            this.#options.exchange.getOrder(order.orderId)!,
            OrderUpdateReason.OrderCancelReplaceRejected,
          ),
          InfoText: error instanceof Error ? error.message : String(error),
        });
      });
  }

  /** Closes the position with a market order (working orders are left alone, as the message says). */
  #flattenPosition(session: Session, m: DtcMessage): void {
    const account = String(m.TradeAccount ?? '');
    let contract: Contract;
    try {
      contract = this.#contractOf(m);
    } catch {
      this.#rejectNew(session, m, String(m.ClientOrderID ?? ''), `Unknown symbol ${symbolText(m)}`);
      return;
    }
    const position = this.#options.exchange
      .getPositions(account)
      .find((p) => sameContract(p.contract, contract));
    if (!position || position.netQty === 0) {
      this.#rejectNew(session, m, String(m.ClientOrderID ?? ''), 'No position to flatten');
      return;
    }
    void this.#place(
      session,
      {
        Type: DtcType.SubmitNewSingleOrder,
        Symbol: m.Symbol,
        TradeAccount: account,
        ClientOrderID: m.ClientOrderID,
        OrderType: dtcOrderTypeOf('market'),
        BuySell: buySellOf(position.netQty > 0 ? 'sell' : 'buy'),
        Quantity: Math.abs(position.netQty),
      },
      undefined,
    );
  }

  /**
   * The contract of a message's Symbol and Exchange. DTC lets a client name the exchange
   * in the symbol (`MNQZ26-CME`, the delimiter from the logon response) or in the separate
   * Exchange field (`MNQZ26` + `CME`); both name the same contract.
   */
  #contractOf(m: DtcMessage): Contract {
    const symbol = String(m.Symbol ?? '').trim();
    const exchange = String(m.Exchange ?? '').trim();
    const at = this.#options.clock.now();
    try {
      return this.#options.symbols.parse(symbol, at);
    } catch (error) {
      if (!exchange || symbol.includes(SYMBOL_EXCHANGE_DELIMITER)) throw error;
      return this.#options.symbols.parse(`${symbol}${SYMBOL_EXCHANGE_DELIMITER}${exchange}`, at);
    }
  }

  // ── exchange events → unsolicited updates ───────────────────────────────

  #onExchange(event: BrokerEvent): void {
    if (event.type === 'order-filled') {
      const fill = event.fill;
      if (!this.#options.accounts.includes(fill.accountId)) return;
      this.#fills.push({ ...fill, contract: { ...fill.contract } });
      const order = this.#options.exchange.getOrder(fill.orderId);
      if (order) {
        const info = this.#infoOf(order);
        info.fillQty += fill.qty;
        info.fillTicks += fill.qty * fill.priceTicks;
        info.lastFill = fill;
      }
      const sibling = this.#ocoSibling.get(fill.orderId);
      const other = sibling === undefined ? undefined : this.#options.exchange.getOrder(sibling);
      if (other && !['filled', 'cancelled', 'rejected'].includes(other.status)) {
        void this.#options.exchange
          .cancelOrder({ accountId: other.accountId, orderId: other.orderId })
          .catch(() => {});
      }
      return;
    }
    if (event.type === 'order-updated') {
      const order = event.order;
      if (!this.#options.accounts.includes(order.accountId)) return;
      const info = this.#infoOf(order);
      let reason: number;
      if (info.lastFill !== undefined) {
        reason =
          order.status === 'filled' ? OrderUpdateReason.OrderFilled : OrderUpdateReason.OrderFilledPartially;
      } else if (order.status === 'rejected') reason = OrderUpdateReason.NewOrderRejected;
      else if (order.status === 'cancelled') reason = OrderUpdateReason.OrderCanceled;
      else if (order.status === 'pending') {
        // The exchange's "received" step; Sierra reports a held bracket child as PENDING_CHILD.
        if (order.parentOrderId === undefined) return;
        reason = OrderUpdateReason.GeneralOrderUpdate;
      } else if (info.replacing) {
        info.replacing = false;
        reason = OrderUpdateReason.OrderCancelReplaceComplete;
      } else if (!info.accepted) reason = OrderUpdateReason.NewOrderAccepted;
      else reason = OrderUpdateReason.GeneralOrderUpdate;
      if (order.status === 'working') info.accepted = true;
      const message = this.#orderUpdate(order, reason);
      info.lastFill = undefined;
      this.#broadcast(message);
      return;
    }
    if (event.type === 'position-updated') {
      const p = event.position;
      if (!this.#options.accounts.includes(p.accountId)) return;
      this.#broadcast({
        Type: DtcType.PositionUpdate,
        RequestID: 0,
        TotalNumberMessages: 1,
        MessageNumber: 1,
        Symbol: this.#options.symbols.format(p.contract),
        Exchange: '',
        Quantity: p.netQty,
        AveragePrice: this.#price(p.contract, p.avgPriceTicks),
        TradeAccount: p.accountId,
        Unsolicited: 1,
      });
    }
  }

  #broadcast(message: DtcMessage): void {
    for (const session of this.#sessions) if (session.loggedOn) this.#send(session, message);
  }

  /** An ORDER_UPDATE for an exchange order, with the fill that produced it when there is one. */
  #orderUpdate(order: BrokerOrder, reason: number): DtcMessage {
    const info = this.#infoOf(order);
    const status =
      order.status === 'pending'
        ? order.parentOrderId === undefined
          ? OrderStatus.PendingOpen
          : OrderStatus.PendingChild
        : order.status === 'working'
          ? OrderStatus.Open
          : order.status === 'partially-filled'
            ? OrderStatus.PartiallyFilled
            : order.status === 'filled'
              ? OrderStatus.Filled
              : order.status === 'cancelled'
                ? OrderStatus.Canceled
                : OrderStatus.Rejected;
    const message: DtcMessage = {
      Type: DtcType.OrderUpdate,
      RequestID: 0,
      TotalNumMessages: 1,
      MessageNumber: 1,
      Symbol: this.#options.symbols.format(order.contract),
      Exchange: '',
      ServerOrderID: order.orderId,
      ClientOrderID: info.clientOrderId,
      ExchangeOrderID: order.orderId,
      OrderStatus: status,
      OrderUpdateReason: reason,
      OrderType: dtcOrderTypeOf(order.orderType),
      BuySell: buySellOf(order.side),
      ...pricesOfOrder(order, this),
      TimeInForce: 1,
      OrderQuantity: order.qty,
      FilledQuantity: order.filledQty,
      // A finished order (filled, cancelled, rejected) has nothing left to fill.
      RemainingQuantity: isFinished(order) ? 0 : order.qty - order.filledQty,
      TradeAccount: order.accountId,
      LatestTransactionDateTime: order.updatedAt / 1000,
    };
    if (info.fillQty > 0)
      message.AverageFillPrice = Number(
        averageTicksToPrice(info.fillTicks, info.fillQty, this.#tickSize(order.contract)),
      );
    const fill = info.lastFill;
    if (
      fill &&
      (reason === OrderUpdateReason.OrderFilled || reason === OrderUpdateReason.OrderFilledPartially)
    ) {
      message.LastFillPrice = this.#price(order.contract, fill.priceTicks);
      message.LastFillQuantity = fill.qty;
      message.LastFillDateTime = fill.time / 1000;
      message.LastFillExecutionID = fill.fillId;
    }
    if (order.parentOrderId !== undefined) message.ParentServerOrderID = order.parentOrderId;
    if (order.reason !== undefined && (order.status === 'rejected' || order.status === 'cancelled'))
      message.InfoText = order.reason;
    return message;
  }

  /** The ClientOrderID of an exchange order: its own, a bracket leg's, or a made-up one. */
  #infoOf(order: BrokerOrder): OrderInfo {
    let info = this.#info.get(order.orderId);
    if (!info) {
      let clientOrderId = order.clientOrderId ?? '';
      if (clientOrderId === '' && order.parentOrderId !== undefined) {
        const parent = this.#options.exchange.getOrder(order.parentOrderId);
        const legs = parent?.clientOrderId === undefined ? undefined : this.#legs.get(parent.clientOrderId);
        if (legs) clientOrderId = order.orderType === 'limit' ? legs.limit : legs.stop;
      }
      info = { clientOrderId, accepted: false, replacing: false, fillTicks: 0, fillQty: 0 };
      this.#info.set(order.orderId, info);
    }
    return info;
  }

  #count(type: number): void {
    this.stats.messages[type] = (this.stats.messages[type] ?? 0) + 1;
  }

  #tickSize(contract: Contract): string {
    return this.#options.exchange.instruments.get(contract.root).tickSize;
  }

  /** A tick price as the double DTC carries. */
  price(contract: Contract, ticks: number): number {
    return this.#price(contract, ticks);
  }

  /** A DTC double as ticks (undefined when unset). */
  ticks(contract: Contract, value: unknown): Ticks | undefined {
    return this.#ticks(contract, value);
  }

  #price(contract: Contract, ticks: number): number {
    return Number.isInteger(ticks)
      ? Number(ticksToPrice(ticks, this.#tickSize(contract)))
      : Number(averageTicksToPrice(ticks, 1, this.#tickSize(contract)));
  }

  #ticks(contract: Contract, value: unknown): Ticks | undefined {
    return isSetNumber(value) ? ticksOf(value, this.#tickSize(contract)) : undefined;
  }
}

/** Limit and stop ticks of a submission by order type (§6 price usage). */
function pricesOfType(
  type: OrderType,
  contract: Contract,
  m: DtcMessage,
  server: SierraSimServer,
): { limitTicks?: Ticks; stopTicks?: Ticks } {
  const p1 = server.ticks(contract, m.Price1);
  const p2 = server.ticks(contract, m.Price2);
  const out: { limitTicks?: Ticks; stopTicks?: Ticks } = {};
  if (type === 'limit' && p1 !== undefined) out.limitTicks = p1;
  if ((type === 'stop' || type === 'stop-limit') && p1 !== undefined) out.stopTicks = p1;
  if (type === 'stop-limit' && p2 !== undefined) out.limitTicks = p2;
  return out;
}

/** Price1 / Price2 of an exchange order. */
function pricesOfOrder(order: BrokerOrder, server: SierraSimServer): { Price1?: number; Price2?: number } {
  const price = (ticks: Ticks | undefined) =>
    ticks === undefined ? undefined : server.price(order.contract, ticks);
  const p1 = order.orderType === 'limit' ? price(order.limitTicks) : price(order.stopTicks);
  const p2 = order.orderType === 'stop-limit' ? price(order.limitTicks) : undefined;
  return { ...(p1 === undefined ? {} : { Price1: p1 }), ...(p2 === undefined ? {} : { Price2: p2 }) };
}

/** The delimiter between symbol and exchange this server announces (SymbolExchangeDelimiter). */
const SYMBOL_EXCHANGE_DELIMITER = '-';

/** A message's symbol for error texts: the Symbol, with the Exchange when sent apart. */
function symbolText(m: DtcMessage): string {
  const exchange = String(m.Exchange ?? '');
  return exchange ? `${String(m.Symbol ?? '')} (exchange ${exchange})` : String(m.Symbol ?? '');
}

function isFinished(order: BrokerOrder): boolean {
  return order.status === 'filled' || order.status === 'cancelled' || order.status === 'rejected';
}
