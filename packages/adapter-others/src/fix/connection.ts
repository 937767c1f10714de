import {
  type AdapterContext,
  type BrokerAccount,
  type BrokerConnection,
  BrokerDisconnectedError,
  type BrokerEvent,
  type BrokerFill,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRejectedError,
  BrokerTimeoutError,
  BrokerUnknownOrderError,
  type CancelOrderRequest,
  type ConnectionHealth,
  type Contract,
  contractKey,
  type FlattenRequest,
  type ModifyOrderRequest,
  type OrderAck,
  type PlaceOrderRequest,
  PositionLedger,
  priceToTicks,
  sameContract,
  ticksToPrice,
} from '@tradenova/core';
import { ConnectionLifecycle, declareCapabilities } from '@tradenova/core/adapter';
import type { ISessionDescription } from 'jspurefix';
import type { FixSessionHandle, RunningLauncher, SharedSessionStore } from './client/session.js';
import type { FixConfig } from './config.js';
import { BROKER, cancelRejectError, rejectError } from './errors.js';
import { type ExecReport, parseExecReport } from './parse.js';
import { orderFromStatus, positionFromReport, type ReportedPosition } from './status.js';
import { toFixInstrument } from './symbols.js';
import { type FixFields, type FixVersion, ORD_TYPE_CODE } from './wire.js';

/**
 * What a FIX 4.2/4.4 order-entry session offers: no native brackets or OCO (the
 * engine manages them), cancel/replace as modify, ClOrdID as our client order
 * id, positions kept from fills (read back with RequestForPositions at each logon
 * on FIX 4.4; FIX 4.2 has no position query, so the plugin declares none).
 */
export const FIX_CAPABILITIES = declareCapabilities({
  brackets: 'emulated',
  nativeOco: 'emulated',
  modify: 'native',
  clientOrderIds: 'native',
  positionQuery: 'none',
  leaderFillStream: 'none',
  netReversal: 'native',
});

interface OrderState {
  order: BrokerOrder;
  /** The ClOrdID of the order's current version (41 of the next cancel/replace). */
  currentClOrdId: string;
  /** TimeInForce (59) as placed: a cancel/replace restates it, or the gateway falls back to Day. */
  timeInForce: string;
}

interface Pending {
  kind: 'new' | 'cancel' | 'replace';
  resolve: (report: ExecReport | undefined) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  request?: PlaceOrderRequest;
  /** A NewOrderSingle's resend with PossResend=Y, used once if the gateway says the ClOrdID is taken. */
  resend?: () => void;
}

/** An answer being collected: a mass status (AF), positions (AN) or one order's status (H). */
interface Waiting<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface PositionState {
  accountId: string;
  contract: Contract;
  /** FIFO lots in integer ticks: the average is exact, never a float carried from fill to fill. */
  ledger: PositionLedger;
}

/** One FIX initiator session to one gateway, serving the configured accounts. */
export class FixConnection implements BrokerConnection {
  readonly broker: string;
  readonly capabilities = FIX_CAPABILITIES;
  readonly #config: FixConfig;
  readonly #context: AdapterContext;
  readonly #life: ConnectionLifecycle;
  readonly #orders = new Map<string, OrderState>();
  readonly #byClOrdId = new Map<string, string>();
  /** ClOrdIDs sent in a NewOrderSingle: sending one again is a resend (PossResend=Y), not a new order. */
  readonly #sentNew = new Set<string>();
  readonly #pending = new Map<string, Pending>();
  readonly #seenExecIds = new Set<string>();
  readonly #positions = new Map<string, PositionState>();
  /** OrderMassStatusRequests by MassStatusReqID: the order ids reported so far. */
  readonly #massStatus = new Map<string, Waiting<Set<string>> & { seen: Set<string> }>();
  /** RequestForPositions by PosReqID: the positions reported so far, and how many are coming. */
  readonly #positionRequests = new Map<
    string,
    Waiting<ReportedPosition[]> & { reports: ReportedPosition[]; total: number | undefined }
  >();
  /** OrderStatusRequests by the ClOrdID asked about. */
  readonly #statusRequests = new Map<string, Waiting<BrokerOrder | undefined>>();
  #session: FixSessionHandle | undefined;
  /** A logon's read-back of orders and positions is under way (see `#readySoon`). */
  #resyncing = false;
  #launcher: RunningLauncher | undefined;
  #store: SharedSessionStore | undefined;
  /** Per live session: resolves when that session has stopped (Logout answered or socket gone). */
  readonly #stopped = new WeakMap<FixSessionHandle, { promise: Promise<void>; mark: () => void }>();
  #requestSeq = 0;
  /**
   * This connection object's start (base 36 ms), in every cancel/replace ClOrdID: the counter
   * restarts with the process, and a gateway refuses a ClOrdID the session already used.
   */
  readonly #epoch = Date.now().toString(36);
  #duplicatesIgnored = 0;

  constructor(config: FixConfig, context: AdapterContext, broker = BROKER) {
    this.#config = config;
    this.#context = context;
    this.broker = broker;
    this.#life = new ConnectionLifecycle(broker, context, {
      forgetErrorOnConnect: true,
      // No jitter: one session per gateway login, nothing to spread out.
      reconnect: { ...config.reconnect, jitter: 0 },
    });
  }

  /** The FIX version of this session. */
  get version(): FixVersion {
    return this.#config.version;
  }

  /** Execution reports dropped as already processed (PossDup resends, duplicate ExecIDs). */
  get duplicatesIgnored(): number {
    return this.#duplicatesIgnored;
  }

  /** The session's last outbound and inbound sequence numbers (0 when not logged on). */
  sequence(): { sent: number; received: number } {
    return this.#session?.sequence() ?? { sent: 0, received: 0 };
  }

  async connect(): Promise<void> {
    this.#life.reconnect.start();
    await this.#life.opening(
      () => this.#open(),
      () => {
        this.#life.reconnect.stop();
        this.#launcher?.stop();
        this.#launcher = undefined;
      },
    );
  }

  async disconnect(): Promise<void> {
    this.#life.reconnect.stop();
    const session = this.#session;
    const launcher = this.#launcher;
    this.#session = undefined;
    this.#launcher = undefined;
    if (session?.ready) {
      const stopped = this.#stopped.get(session)?.promise ?? Promise.resolve();
      session.logout();
      // Logout waits for the peer's Logout; do not hang on a peer that never answers.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        stopped,
        new Promise((r) => {
          timer = setTimeout(r, this.#config.logoutTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      // Close the socket too, so the gateway frees the session for the next logon at once.
      session.drop();
    }
    launcher?.stop();
    // The next process (or connect) reads the sequence numbers back: they must be on disk first.
    await this.#store?.settled();
    this.#failPending(new BrokerDisconnectedError(this.broker, 'disconnected by the client'));
    this.#life.enter('disconnected');
  }

  async listAccounts(): Promise<BrokerAccount[]> {
    return this.#config.accounts.map((accountId) => ({ accountId, name: accountId, canTrade: true }));
  }

  async placeOrder(request: PlaceOrderRequest): Promise<OrderAck> {
    const existing = this.#byClOrdId.get(request.clientOrderId);
    if (existing !== undefined) {
      const state = this.#orders.get(existing)!;
      if (state.order.status === 'rejected') {
        throw new BrokerRejectedError(this.broker, state.order.reason ?? 'rejected');
      }
      return this.#ackAgain(state);
    }
    const inflight = this.#pending.get(request.clientOrderId);
    if (inflight?.kind === 'new') {
      // The same intent id twice before the first answer: wait for that one order.
      const report = await new Promise<ExecReport | undefined>((resolve, reject) => {
        const prevResolve = inflight.resolve;
        const prevReject = inflight.reject;
        inflight.resolve = (r) => {
          prevResolve(r);
          resolve(r);
        };
        inflight.reject = (e) => {
          prevReject(e);
          reject(e);
        };
      });
      return this.#ack(this.#orders.get(report!.orderId)!);
    }
    const session = await this.#readySoon();
    const spec = this.#context.instruments.get(request.contract.root);
    const body: FixFields = {
      ClOrdID: request.clientOrderId,
      Account: request.accountId,
      ...this.#handlInst(),
      ...this.#instrument(request.contract),
      Side: request.side === 'buy' ? '1' : '2',
      TransactTime: new Date(this.#context.clock.now()),
      ...this.#qty(request.qty),
      OrdType: ORD_TYPE_CODE[request.orderType],
      TimeInForce: timeInForceCode(request.timeInForce),
      ...(this.#config.orderFields ?? {}),
    };
    // The first answer was lost (a timeout or a drop): the gateway must report the order it has
    // under this ClOrdID, where a plain repeat would be refused as a duplicate ClOrdID.
    if (this.#sentNew.has(request.clientOrderId)) body.StandardHeader = { PossResend: true };
    this.#sentNew.add(request.clientOrderId);
    if (request.limitTicks !== undefined)
      body.Price = Number(ticksToPrice(request.limitTicks, spec.tickSize));
    if (request.stopTicks !== undefined) body.StopPx = Number(ticksToPrice(request.stopTicks, spec.tickSize));
    const resend = () => session.send('D', { ...body, StandardHeader: { PossResend: true } });
    const report = await this.#request(
      request.clientOrderId,
      'new',
      () => session.send('D', body),
      request,
      body.StandardHeader ? undefined : resend,
    );
    const state = this.#orders.get(report!.orderId)!;
    // A status answer (to PossResend=Y) is an order placed before this call, not a new one.
    return report!.kind === 'status' ? this.#ackAgain(state) : this.#ack(state);
  }

  /**
   * The answer to placing again a ClOrdID the gateway already holds. Working or filled, it
   * is that order (a retry must not copy twice). Cancelled, it cannot be placed again: a
   * FIX gateway takes a ClOrdID once, so "placed" would name an order that no longer works
   * (chaos: start-up recovery re-placing a copy under its first id after a re-plan had
   * cancelled it). Refused with the reason, so the miss is recorded, not hidden.
   */
  #ackAgain(state: OrderState): OrderAck {
    const o = state.order;
    if (o.status === 'cancelled')
      throw new BrokerRejectedError(
        this.broker,
        `ClOrdID ${o.clientOrderId ?? state.currentClOrdId} names order ${o.orderId}, cancelled; a FIX gateway takes a ClOrdID once`,
      );
    return this.#ack(state);
  }

  async modifyOrder(request: ModifyOrderRequest): Promise<void> {
    const state = this.#working(request.orderId);
    const session = this.#ready();
    const o = state.order;
    const spec = this.#context.instruments.get(o.contract.root);
    const clOrdId = this.#nextClOrdId(state, 'r');
    const limit = request.limitTicks ?? o.limitTicks;
    const stop = request.stopTicks ?? o.stopTicks;
    // A replace restates the whole order, not only what changed (FIX rule).
    const body: FixFields = {
      OrderID: o.orderId,
      OrigClOrdID: state.currentClOrdId,
      ClOrdID: clOrdId,
      Account: o.accountId,
      ...this.#handlInst(),
      ...this.#instrument(o.contract),
      Side: o.side === 'buy' ? '1' : '2',
      TransactTime: new Date(this.#context.clock.now()),
      ...this.#qty(request.qty ?? o.qty),
      OrdType: ORD_TYPE_CODE[o.orderType],
      TimeInForce: state.timeInForce,
      ...(this.#config.orderFields ?? {}),
    };
    if (limit !== undefined) body.Price = Number(ticksToPrice(limit, spec.tickSize));
    if (stop !== undefined) body.StopPx = Number(ticksToPrice(stop, spec.tickSize));
    await this.#request(clOrdId, 'replace', () => session.send('G', body));
  }

  async cancelOrder(request: CancelOrderRequest): Promise<void> {
    const state = this.#working(request.orderId);
    const session = this.#ready();
    const o = state.order;
    const clOrdId = this.#nextClOrdId(state, 'c');
    const body: FixFields = {
      OrderID: o.orderId,
      OrigClOrdID: state.currentClOrdId,
      ClOrdID: clOrdId,
      Account: o.accountId,
      ...this.#instrument(o.contract),
      Side: o.side === 'buy' ? '1' : '2',
      TransactTime: new Date(this.#context.clock.now()),
      // OrderQtyData is required on F in the 4.4 QuickFIX dictionary; 38 is optional in 4.2 but harmless.
      ...this.#qty(o.qty),
      ...(this.#config.orderFields ?? {}),
    };
    await this.#request(clOrdId, 'cancel', () => session.send('F', body));
  }

  /** FIX has no flatten message: cancel the working orders, then close the position at market. */
  async flatten(request: FlattenRequest): Promise<void> {
    const matches = (c: Contract) => request.contract === undefined || sameContract(c, request.contract);
    const working = [...this.#orders.values()].filter(
      (s) => s.order.accountId === request.accountId && isLive(s.order) && matches(s.order.contract),
    );
    await Promise.all(
      working.map((s) => this.cancelOrder({ accountId: request.accountId, orderId: s.order.orderId })),
    );
    for (const p of this.#positions.values()) {
      const netQty = p.ledger.netQty;
      if (p.accountId !== request.accountId || netQty === 0 || !matches(p.contract)) continue;
      await this.placeOrder({
        accountId: request.accountId,
        clientOrderId: `flat-${this.#context.clock.now().toString(36)}-${(++this.#requestSeq).toString(36)}`,
        contract: p.contract,
        side: netQty > 0 ? 'sell' : 'buy',
        qty: Math.abs(netQty),
        orderType: 'market',
      });
    }
  }

  async getPositions(accountId: string): Promise<BrokerPosition[]> {
    return [...this.#positions.values()]
      .filter((p) => p.accountId === accountId && p.ledger.netQty !== 0)
      .map((p) => this.#position(p));
  }

  async getOpenOrders(accountId: string): Promise<BrokerOrder[]> {
    return [...this.#orders.values()]
      .filter((s) => s.order.accountId === accountId && isLive(s.order))
      .map((s) => ({ ...s.order }));
  }

  /**
   * The order placed under `clientOrderId`: from this connection's state, else from the
   * gateway (OrderStatusRequest): an order an earlier process placed, filled or
   * cancelled since, is found too. Undefined when the gateway does not know it.
   */
  async findOrderByClientId(accountId: string, clientOrderId: string): Promise<BrokerOrder | undefined> {
    const id = this.#byClOrdId.get(clientOrderId);
    const state = id === undefined ? undefined : this.#orders.get(id);
    if (state) return state.order.accountId === accountId ? { ...state.order } : undefined;
    const found = await this.#orderStatus(await this.#readySoon(), accountId, clientOrderId);
    return found && found.accountId === accountId ? { ...found } : undefined;
  }

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    return this.#life.subscribe(listener);
  }

  health(): ConnectionHealth {
    return this.#life.health();
  }

  // ── session ─────────────────────────────────────────────────────────────

  #description(): ISessionDescription {
    const c = this.#config;
    const description: Record<string, unknown> = {
      application: {
        type: 'initiator',
        name: `tradenova-${c.senderCompId}`,
        protocol: 'ascii',
        dictionary: c.dictionary ?? (c.version === '4.2' ? 'qf42' : 'qf44'),
        tcp: { host: c.host, port: c.port },
        reconnectSeconds: Math.ceil(c.reconnect.initialDelayMs / 1000),
        connectTimeoutSeconds: c.connectTimeoutSeconds,
      },
      BeginString: c.version === '4.2' ? 'FIX.4.2' : 'FIX.4.4',
      SenderCompId: c.senderCompId,
      TargetCompID: c.targetCompId,
      HeartBtInt: c.heartbeatSeconds,
      EncryptMethod: 0,
      ResetSeqNumFlag: c.resetSeqNumOnLogon,
      // Never replay an old order after a reconnect: gap-fill and reconcile instead (copier rule).
      store: c.storeDirectory
        ? { type: 'file', directory: c.storeDirectory, resendGapFillOnly: true }
        : { type: 'memory', resendGapFillOnly: true },
    };
    if (c.senderSubId) description.SenderSubID = c.senderSubId;
    if (c.targetSubId) description.TargetSubID = c.targetSubId;
    // The stock 4.2 dictionary has no 553/554 on Logon; only a custom dictionary may carry them.
    if (c.version === '4.4' || c.dictionary) {
      if (c.username !== undefined) description.Username = c.username;
      if (c.password !== undefined) description.Password = c.password;
    }
    if (c.logonFields) description.Logon = { ...c.logonFields };
    return description as unknown as ISessionDescription;
  }

  async #open(): Promise<void> {
    const { durableFileStore, launchFix, sharedMemoryStore } = await import('./client/session.js');
    const directory = this.#config.storeDirectory;
    this.#store ??= directory ? await durableFileStore(directory) : await sharedMemoryStore();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
      launchFix(
        this.#description(),
        () => ({
          onCreated: (session) => {
            let mark: () => void = () => {};
            const promise = new Promise<void>((r) => {
              mark = r;
            });
            this.#stopped.set(session, { promise, mark });
          },
          onReady: (session) => {
            this.#session = session;
            this.#life.reconnect.reset();
            // What the gateway holds (orders of an earlier process or placed while the session
            // was down, positions) is read back before anyone is told the session is up.
            this.#resyncing = true;
            void this.#resync(session).finally(() => {
              if (this.#session === session) this.#resyncing = false;
              if (this.#session !== session || !session.ready) return;
              this.#life.enter('connected');
              settle();
            });
          },
          onMessage: (msgType, fields) => this.#onMessage(msgType, fields),
          onStopped: (error, session) => {
            this.#stopped.get(session)?.mark();
            if (this.#session === session) this.#session = undefined;
            const reason = error?.message ?? 'session ended';
            this.#life.errors.remember(reason);
            settle(new BrokerDisconnectedError(this.broker, `logon failed: ${reason}`));
            this.#onDropped(reason);
          },
        }),
        this.#store,
      ).then(
        (launcher) => {
          this.#launcher = launcher;
          launcher.done.then(
            () => settle(new BrokerDisconnectedError(this.broker, 'session ended before logon')),
            (e: unknown) => {
              const message = e instanceof Error ? e.message : String(e);
              this.#life.errors.remember(message);
              settle(
                new BrokerDisconnectedError(
                  this.broker,
                  `cannot reach ${this.#config.host}:${this.#config.port}: ${message}`,
                ),
              );
              this.#onDropped(message);
            },
          );
        },
        (e: unknown) => settle(e instanceof Error ? e : new Error(String(e))),
      );
    });
  }

  #onDropped(reason: string): void {
    this.#failPending(new BrokerDisconnectedError(this.broker, `session lost: ${reason}`));
    const state = this.#life.state;
    if (this.#life.reconnect.stopped || state === 'reconnecting' || state === 'connecting') return;
    this.#launcher?.stop();
    this.#launcher = undefined;
    this.#life.enter('reconnecting', reason);
    this.#life.reconnect.schedule(
      () => this.#open(),
      () => {
        this.#launcher?.stop();
        this.#launcher = undefined;
      },
    );
  }

  // ── inbound ─────────────────────────────────────────────────────────────

  #onMessage(msgType: string, fields: FixFields): void {
    try {
      if (msgType === '8') {
        const report = parseExecReport(this.#config.version, fields);
        if (!this.#onStatusReport(report, fields)) this.#onExecReport(report);
      } else if (msgType === '9') this.#onCancelReject(fields);
      else if (msgType === 'j') this.#onBusinessReject(fields);
      else if (msgType === 'AO') this.#onPositionsAck(fields);
      else if (msgType === 'AP') this.#onPositionReport(fields);
    } catch (error) {
      this.#context.logger.warn({ err: error, msgType }, 'fix: message not understood');
    }
  }

  #onExecReport(r: ExecReport): void {
    // Nothing twice: a PossDup resend or a repeated ExecID was already applied. A status
    // report changes no fill, and some gateways number them all 17=0.
    if (r.kind !== 'status' && r.execId && this.#seenExecIds.has(r.execId)) {
      this.#duplicatesIgnored++;
      return;
    }
    if (r.kind !== 'status' && r.execId) this.#seenExecIds.add(r.execId);
    const pendingNew = r.clOrdId === undefined ? undefined : this.#pending.get(r.clOrdId);
    let state = this.#stateOf(r);
    if (!state) {
      if (r.orderId === 'NONE' || !pendingNew?.request) {
        // "Duplicate order": the gateway already holds an order under this ClOrdID (placed by
        // this session before a restart, whose answer never arrived). Resent with PossResend=Y
        // the gateway reports that order, which then answers this placement.
        if (r.kind === 'rejected' && r.ordRejReason === '6' && pendingNew?.resend) {
          const resend = pendingNew.resend;
          pendingNew.resend = undefined;
          try {
            resend();
            return;
          } catch {
            // Not sent: the reject below stands.
          }
        }
        if (r.kind === 'rejected' && pendingNew)
          this.#settle(r.clOrdId!, undefined, rejectError(r.text ?? 'rejected', this.broker));
        return;
      }
      state = this.#track(r, pendingNew.request);
    }
    const o = state.order;
    const spec = this.#context.instruments.get(o.contract.root);
    if (r.clOrdId !== undefined && r.kind === 'replaced') {
      state.currentClOrdId = r.clOrdId;
      this.#byClOrdId.set(r.clOrdId, o.orderId);
    }
    if (r.orderQty !== undefined && r.orderQty > 0) o.qty = r.orderQty;
    if (r.price !== undefined && r.kind !== 'trade')
      o.limitTicks = priceToTicks(r.price, spec.tickSize, '44');
    if (r.stopPx !== undefined && r.kind !== 'trade')
      o.stopTicks = priceToTicks(r.stopPx, spec.tickSize, '99');
    o.filledQty = Math.max(o.filledQty, r.cumQty);
    o.status = r.status;
    if (r.text !== undefined && (r.kind === 'rejected' || r.kind === 'cancelled')) o.reason = r.text;
    o.updatedAt = r.time ?? this.#context.clock.now();

    if (r.kind === 'trade' && r.lastQty > 0 && r.lastPx !== undefined) {
      const fill: BrokerFill = {
        fillId: r.execId,
        orderId: o.orderId,
        accountId: o.accountId,
        contract: o.contract,
        side: o.side,
        qty: r.lastQty,
        priceTicks: priceToTicks(r.lastPx, spec.tickSize, '31'),
        time: o.updatedAt,
      };
      if (o.clientOrderId !== undefined) fill.clientOrderId = o.clientOrderId;
      this.#life.emit({ type: 'order-updated', order: { ...o } });
      this.#life.emit({ type: 'order-filled', fill });
      this.#life.emit({ type: 'position-updated', position: this.#applyFill(fill) });
    } else {
      this.#life.emit({ type: 'order-updated', order: { ...o } });
    }

    if (r.clOrdId === undefined) return;
    const pending = this.#pending.get(r.clOrdId);
    if (!pending) return;
    if (r.kind === 'rejected')
      this.#settle(r.clOrdId, undefined, rejectError(r.text ?? 'rejected', this.broker));
    else if (pending.kind === 'new') this.#settle(r.clOrdId, r);
    else if (pending.kind === 'cancel' && (r.kind === 'cancelled' || o.status === 'cancelled'))
      this.#settle(r.clOrdId, r);
    else if (pending.kind === 'replace' && r.kind === 'replaced') this.#settle(r.clOrdId, r);
  }

  #onCancelReject(f: FixFields): void {
    const clOrdId = String(f.ClOrdID ?? '');
    const orderId = String(f.OrderID ?? 'NONE');
    this.#settle(
      clOrdId,
      undefined,
      cancelRejectError(
        orderId,
        f.CxlRejReason === undefined ? undefined : String(f.CxlRejReason),
        String(f.Text ?? ''),
        this.broker,
      ),
    );
  }

  #onBusinessReject(f: FixFields): void {
    const ref = String(f.BusinessRejectRefID ?? '');
    const refMsgType = String(f.RefMsgType ?? '');
    const text = String(f.Text ?? `business reject 380=${String(f.BusinessRejectReason)}`);
    // An OrderStatusRequest for a ClOrdID the gateway does not know (380=1): no such order.
    if (refMsgType === 'H' && String(f.BusinessRejectReason) === '1') {
      this.#answer(this.#statusRequests, ref, undefined);
      return;
    }
    if (refMsgType === 'H' || refMsgType === 'AF' || refMsgType === 'AN') {
      const error = rejectError(text, this.broker);
      this.#fail(this.#statusRequests, ref, error);
      this.#fail(this.#massStatus, ref, error);
      this.#fail(this.#positionRequests, ref, error);
      return;
    }
    this.#settle(
      ref,
      undefined,
      rejectError(String(f.Text ?? `business reject 380=${String(f.BusinessRejectReason)}`), this.broker),
    );
  }

  // ── reading state back (FIX 4.4: AF, AN; both: H) ───────────────────────────

  /**
   * After each logon: the working orders (OrderMassStatusRequest, all orders of each
   * account) and positions (RequestForPositions) of every account, then the end of every
   * order this connection held as working that the mass status did not list
   * (OrderStatusRequest). FIX 4.2 has neither AF nor AN: only the last step. A gateway
   * that refuses or ignores a request is logged and skipped, never fatal to the logon.
   */
  async #resync(session: FixSessionHandle): Promise<void> {
    const seen = new Set<string>();
    if (this.#config.version === '4.4') {
      await Promise.all(
        this.#config.accounts.map(async (accountId) => {
          const [orders, positions] = await Promise.allSettled([
            this.#massStatusOf(session, accountId),
            this.#positionsOf(session, accountId),
          ]);
          if (orders.status === 'fulfilled') for (const id of orders.value) seen.add(id);
          else this.#context.logger.warn({ err: orders.reason, accountId }, 'fix: mass status not read');
          if (positions.status === 'fulfilled') this.#replacePositions(accountId, positions.value);
          else this.#context.logger.warn({ err: positions.reason, accountId }, 'fix: positions not read');
        }),
      );
    }
    const stale = [...this.#orders.values()].filter(
      (s) => isLive(s.order) && !seen.has(s.order.orderId) && !this.#pending.has(s.currentClOrdId),
    );
    await Promise.allSettled(
      stale.map((s) => this.#orderStatus(session, s.order.accountId, s.currentClOrdId)),
    );
  }

  #massStatusOf(session: FixSessionHandle, accountId: string): Promise<Set<string>> {
    const reqId = this.#requestId('ms');
    return this.#ask(this.#massStatus, reqId, { seen: new Set<string>() }, () =>
      session.send('AF', { MassStatusReqID: reqId, MassStatusReqType: 7, Account: accountId }),
    );
  }

  #positionsOf(session: FixSessionHandle, accountId: string): Promise<ReportedPosition[]> {
    const reqId = this.#requestId('pos');
    const now = new Date(this.#context.clock.now());
    const collected: { reports: ReportedPosition[]; total: number | undefined } = {
      reports: [],
      total: undefined,
    };
    return this.#ask(this.#positionRequests, reqId, collected, () =>
      session.send('AN', {
        PosReqID: reqId,
        PosReqType: 0,
        Account: accountId,
        AccountType: 1,
        ClearingBusinessDate: now.toISOString().slice(0, 10).replaceAll('-', ''),
        TransactTime: now,
      }),
    );
  }

  /**
   * One order's status by ClOrdID (OrderStatusRequest). The message requires Side and
   * the instrument, which a restarted process does not know for a ClOrdID it only
   * journaled: they are sent when known; a gateway that insists refuses the request,
   * and the order counts as unknown (never as absent).
   */
  #orderStatus(session: FixSessionHandle, accountId: string, clOrdId: string) {
    const known = this.#orders.get(this.#byClOrdId.get(clOrdId) ?? '')?.order;
    const body: FixFields = { ClOrdID: clOrdId, Account: accountId };
    if (known) {
      body.OrderID = known.orderId;
      Object.assign(body, this.#instrument(known.contract));
      body.Side = known.side === 'buy' ? '1' : '2';
    }
    return this.#ask(this.#statusRequests, clOrdId, {}, () => session.send('H', body));
  }

  /** Sends a request and waits for its answer, keyed by `key` in `waiting`, at most the request timeout. */
  #ask<T, E extends object>(
    waiting: Map<string, Waiting<T> & E>,
    key: string,
    extra: E,
    send: () => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = this.#config.requestTimeoutMs;
      const timer = setTimeout(() => {
        waiting.delete(key);
        reject(new BrokerTimeoutError(this.broker, timeoutMs));
      }, timeoutMs);
      timer.unref?.();
      waiting.set(key, { resolve, reject, timer, ...extra });
      try {
        send();
      } catch (error) {
        this.#fail(waiting, key, new BrokerDisconnectedError(this.broker, 'send failed', { cause: error }));
      }
    });
  }

  #answer<T>(waiting: Map<string, Waiting<T>>, key: string, value: T): void {
    const w = waiting.get(key);
    if (!w) return;
    waiting.delete(key);
    clearTimeout(w.timer);
    w.resolve(value);
  }

  #fail(waiting: Map<string, Pick<Waiting<unknown>, 'reject' | 'timer'>>, key: string, error: Error): void {
    const w = waiting.get(key);
    if (!w) return;
    waiting.delete(key);
    clearTimeout(w.timer);
    w.reject(error);
  }

  #requestId(kind: string): string {
    return `${kind}-${this.#epoch}-${(++this.#requestSeq).toString(36)}`;
  }

  /**
   * A status report answering our mass status or status request: its order is taken
   * into this connection's state (an order of an earlier process is adopted, so it can be
   * cancelled under its current ClOrdID). False when the report answers neither.
   */
  #onStatusReport(r: ExecReport, fields: FixFields): boolean {
    if (r.kind !== 'status') return false;
    const mass = r.massStatusReqId === undefined ? undefined : this.#massStatus.get(r.massStatusReqId);
    const asked = r.clOrdId === undefined ? undefined : this.#statusRequests.get(r.clOrdId);
    if (!mass && !asked) return false;
    const order = this.#adopt(r, fields);
    if (mass) {
      if (order) mass.seen.add(order.orderId);
      if (r.lastRptRequested !== false) this.#answer(this.#massStatus, r.massStatusReqId!, mass.seen);
    } else {
      this.#answer(this.#statusRequests, r.clOrdId!, order);
    }
    return true;
  }

  /** Takes a status report's order into the state (new or updated); undefined when it names none. */
  #adopt(r: ExecReport, fields: FixFields): BrokerOrder | undefined {
    const reported = orderFromStatus(r, fields, this.#context.instruments);
    if (!reported) return undefined;
    const state = this.#stateOf(r) ?? this.#orders.get(reported.orderId);
    if (!state) {
      const adopted: OrderState = {
        order: reported,
        currentClOrdId: r.clOrdId!,
        timeInForce: r.timeInForce ?? '0',
      };
      this.#orders.set(reported.orderId, adopted);
      this.#byClOrdId.set(r.clOrdId!, reported.orderId);
      this.#byClOrdId.set(reported.clientOrderId!, reported.orderId);
      // Its first ClOrdID is taken at the gateway: placing it again is a resend.
      this.#sentNew.add(reported.clientOrderId!);
      return { ...reported };
    }
    const o = state.order;
    const changed =
      o.status !== reported.status || o.filledQty !== reported.filledQty || o.qty !== reported.qty;
    o.status = reported.status;
    o.qty = reported.qty;
    o.filledQty = Math.max(o.filledQty, reported.filledQty);
    if (reported.limitTicks !== undefined) o.limitTicks = reported.limitTicks;
    if (reported.stopTicks !== undefined) o.stopTicks = reported.stopTicks;
    o.updatedAt = reported.updatedAt;
    if (r.timeInForce !== undefined) state.timeInForce = r.timeInForce;
    if (changed) this.#life.emit({ type: 'order-updated', order: { ...o } });
    return { ...o };
  }

  #onPositionsAck(f: FixFields): void {
    const reqId = String(f.PosReqID ?? '');
    const w = this.#positionRequests.get(reqId);
    if (!w) return;
    const result = String(f.PosReqResult ?? '');
    // 0 valid, 2 no positions found; anything else is a refusal.
    if (result !== '0' && result !== '2') {
      this.#fail(
        this.#positionRequests,
        reqId,
        rejectError(String(f.Text ?? `RequestForPositions refused (728=${result})`), this.broker),
      );
      return;
    }
    w.total = result === '2' ? 0 : Number(f.TotalNumPosReports ?? 0);
    if (w.reports.length >= w.total) this.#answer(this.#positionRequests, reqId, w.reports);
  }

  #onPositionReport(f: FixFields): void {
    const reqId = String(f.PosReqID ?? '');
    const w = this.#positionRequests.get(reqId);
    if (!w) return;
    w.reports.push(positionFromReport(f, this.#context.instruments));
    if (w.total !== undefined && w.reports.length >= w.total)
      this.#answer(this.#positionRequests, reqId, w.reports);
  }

  /**
   * The account's positions as the gateway reported them. A position whose size matches
   * keeps its lots (their exact average); one that differs is rebuilt at the report's price.
   */
  #replacePositions(accountId: string, reported: readonly ReportedPosition[]): void {
    const byKey = new Map(reported.map((p) => [`${accountId}\u0000${contractKey(p.contract)}`, p]));
    for (const [key, p] of this.#positions) {
      if (p.accountId === accountId && p.ledger.netQty !== 0 && !byKey.has(key)) {
        p.ledger = new PositionLedger(this.#context.instruments.get(p.contract.root).tickValue);
        this.#life.emit({ type: 'position-updated', position: this.#position(p) });
      }
    }
    for (const [key, r] of byKey) {
      const p = this.#positions.get(key);
      if (p && p.ledger.netQty === r.netQty) continue;
      const ledger = new PositionLedger(this.#context.instruments.get(r.contract.root).tickValue);
      if (r.netQty !== 0) ledger.apply(r.netQty, r.priceTicks);
      const state: PositionState = { accountId, contract: r.contract, ledger };
      this.#positions.set(key, state);
      this.#life.emit({ type: 'position-updated', position: this.#position(state) });
    }
  }

  // ── helpers ─────────────────────────────────────────────────────────────

  #stateOf(r: ExecReport): OrderState | undefined {
    for (const id of [r.clOrdId, r.origClOrdId]) {
      if (id === undefined) continue;
      const orderId = this.#byClOrdId.get(id);
      if (orderId !== undefined) return this.#orders.get(orderId);
    }
    return this.#orders.get(r.orderId);
  }

  #track(r: ExecReport, request: PlaceOrderRequest): OrderState {
    const order: BrokerOrder = {
      orderId: r.orderId,
      clientOrderId: request.clientOrderId,
      accountId: request.accountId,
      contract: request.contract,
      side: request.side,
      qty: request.qty,
      filledQty: 0,
      orderType: request.orderType,
      status: 'pending',
      updatedAt: this.#context.clock.now(),
    };
    if (request.limitTicks !== undefined) order.limitTicks = request.limitTicks;
    if (request.stopTicks !== undefined) order.stopTicks = request.stopTicks;
    const state: OrderState = {
      order,
      currentClOrdId: request.clientOrderId,
      timeInForce: timeInForceCode(request.timeInForce),
    };
    this.#orders.set(order.orderId, state);
    this.#byClOrdId.set(request.clientOrderId, order.orderId);
    return state;
  }

  #applyFill(fill: BrokerFill): BrokerPosition {
    const key = `${fill.accountId}\u0000${contractKey(fill.contract)}`;
    let p = this.#positions.get(key);
    if (!p) {
      const tickValue = this.#context.instruments.get(fill.contract.root).tickValue;
      p = { accountId: fill.accountId, contract: fill.contract, ledger: new PositionLedger(tickValue) };
      this.#positions.set(key, p);
    }
    p.ledger.apply(fill.side === 'buy' ? fill.qty : -fill.qty, fill.priceTicks);
    return this.#position(p);
  }

  #position(p: PositionState): BrokerPosition {
    const netQty = p.ledger.netQty;
    return {
      accountId: p.accountId,
      contract: p.contract,
      netQty,
      // The contract's average may be fractional; it is derived from exact integers, once.
      avgPriceTicks: netQty === 0 ? 0 : p.ledger.costTicks / Math.abs(netQty),
    };
  }

  #request(
    clOrdId: string,
    kind: Pending['kind'],
    send: () => void,
    request?: PlaceOrderRequest,
    resend?: () => void,
  ) {
    return new Promise<ExecReport | undefined>((resolve, reject) => {
      const timeoutMs = this.#config.requestTimeoutMs;
      const timer = setTimeout(() => {
        this.#pending.delete(clOrdId);
        reject(new BrokerTimeoutError(this.broker, timeoutMs));
      }, timeoutMs);
      timer.unref?.();
      const pending: Pending = { kind, resolve, reject, timer };
      if (request) pending.request = request;
      if (resend) pending.resend = resend;
      this.#pending.set(clOrdId, pending);
      try {
        send();
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(clOrdId);
        reject(new BrokerDisconnectedError(this.broker, 'send failed', { cause: error }));
      }
    });
  }

  #settle(clOrdId: string, report: ExecReport | undefined, error?: Error): void {
    const pending = this.#pending.get(clOrdId);
    if (!pending) return;
    this.#pending.delete(clOrdId);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(report);
  }

  #failPending(error: Error): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, undefined, error);
    for (const waiting of [this.#massStatus, this.#positionRequests, this.#statusRequests])
      for (const key of [...waiting.keys()]) this.#fail(waiting, key, error);
  }

  #ready(): FixSessionHandle {
    const session = this.#session;
    if (!session?.ready) throw new BrokerDisconnectedError(this.broker, 'FIX session not logged on');
    return session;
  }

  /**
   * The session, waiting up to the request timeout while a reconnect is under way:
   * a retry right after a dropped answer should reach the gateway, not fail at once.
   */
  async #readySoon(): Promise<FixSessionHandle> {
    // While the state is read back after a logon, a new order waits: a fill of it could reach
    // the positions before the gateway's position report taken without it, which then replaces
    // them and loses the fill (found by `tradenova chaos`: a FIX follower off by its last order).
    if ((!this.#session?.ready || this.#resyncing) && !this.#life.reconnect.stopped)
      await this.#life.settled(this.#config.requestTimeoutMs);
    return this.#ready();
  }

  #working(orderId: string): OrderState {
    const state = this.#orders.get(orderId);
    if (!state) throw new BrokerUnknownOrderError(this.broker, orderId);
    // A known order that is done: the broker would answer "too late" (OrderCancelReject 102=0),
    // a reject like every other broker's, not an order it never heard of.
    if (!isLive(state.order))
      throw new BrokerRejectedError(this.broker, `order ${orderId} is already ${state.order.status}`);
    return state;
  }

  #nextClOrdId(state: OrderState, kind: 'c' | 'r'): string {
    // ClOrdIDs must be unique per session day: derive from the intent id so logs read back to it.
    return `${state.order.clientOrderId ?? state.order.orderId}.${kind}${(++this.#requestSeq).toString(36)}-${this.#epoch}`;
  }

  #handlInst(): FixFields {
    // 21 is required in 4.2 and optional in 4.4; "1" = automated, no broker intervention.
    return { HandlInst: '1' };
  }

  #instrument(contract: Contract): FixFields {
    const fields = toFixInstrument(contract, this.#config.symbology, this.#context.instruments);
    return this.#config.version === '4.4' ? { Instrument: { ...fields } } : { ...fields };
  }

  #qty(qty: number): FixFields {
    return this.#config.version === '4.4' ? { OrderQtyData: { OrderQty: qty } } : { OrderQty: qty };
  }

  #ack(state: OrderState): OrderAck {
    return {
      orderId: state.order.orderId,
      clientOrderId: state.order.clientOrderId ?? '',
      status: state.order.status,
      time: state.order.updatedAt,
    };
  }
}

function isLive(order: BrokerOrder): boolean {
  return order.status === 'pending' || order.status === 'working' || order.status === 'partially-filled';
}

/** TimeInForce (59): GTC is 1, everything else goes as Day (0). */
function timeInForceCode(tif: PlaceOrderRequest['timeInForce']): string {
  return tif === 'gtc' ? '1' : '0';
}
