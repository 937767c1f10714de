import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AdapterContext,
  type BrokerAccount,
  type BrokerConnection,
  BrokerDisconnectedError,
  type BrokerEvent,
  type BrokerOrder,
  type BrokerOrderStatus,
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
  type PlaceOrderRequest,
  type RequestBudget,
  type Ticks,
  type Timer,
  ticksToPrice,
} from '@tradenova/core';
import { ConnectionLifecycle, declareCapabilities, messageOf } from '@tradenova/core/adapter';
import { AtiSocketFeed } from './client/ati-socket.js';
import { OifWriter } from './client/oif-writer.js';
import { type OutgoingFile, OutgoingWatcher } from './client/outgoing-watcher.js';
import { type NinjaTraderConfig, type NinjaTraderFolders, resolveFolders } from './config.js';
import { BROKER, folderError, noAckError, rejectedError } from './errors.js';
import { type JournalOrder, OrderJournal } from './journal.js';
import {
  classifyOutgoingName,
  isTerminal,
  oifOrderTypeOf,
  parseConnectionFile,
  parseOrderStateFile,
  parsePositionFile,
  statusOfState,
} from './parse.js';
import { fromNinjaSymbol, toNinjaSymbol } from './symbols.js';
import { encodeOifLine, isSafeOifId } from './wire.js';

/** What NinjaTrader does natively through the Order Instruction Files. */
export const NINJATRADER_CAPABILITIES = declareCapabilities({
  // Native brackets exist only as ATM strategy templates configured in NinjaTrader: the engine emulates them.
  brackets: 'emulated',
  // OIF has OCO ids, but the contract has no standalone OCO placement to map them to.
  nativeOco: 'emulated',
  modify: 'native',
  // The intent id is the ORDER ID and names the order-state file.
  clientOrderIds: 'native',
  positionQuery: 'native',
  leaderFillStream: 'none',
  // An account order nets against the position, long to short in one order.
  netReversal: 'native',
});

/** How long a journaled order without a state file is given at connect before it is taken as never sent. */
const UNSENT_GRACE_MS = 250;

/** One order this adapter placed, as the journal and the latest order-state file tell it. */
interface TrackedOrder {
  journal: JournalOrder;
  contract: Contract;
  status: BrokerOrderStatus;
  filledQty: number;
  avgPrice: number;
  /** Whether NinjaTrader has written an order-state file for it yet. */
  seen: boolean;
  /** A CHANGE written and not yet confirmed by a rewrite of the state file. */
  pendingChange?: { qty?: number; limitTicks?: Ticks; stopTicks?: Ticks };
  updatedAt: number;
}

/**
 * NinjaTrader 8 through the Automated Trading Interface's file route: PLACE, CHANGE,
 * CANCEL and CLOSEPOSITION lines written atomically into `incoming`, order state,
 * positions and connection state read from `outgoing`.
 *
 * Idempotency: the intent id is the OIF ORDER ID, so NinjaTrader names the order's state
 * file after it. A retry in this process, or a restart (via the journal and the outgoing
 * files), finds the earlier order and never writes a second PLACE for the same intent.
 */
export class NinjaTraderConnection implements BrokerConnection {
  readonly broker = BROKER;
  readonly capabilities = NINJATRADER_CAPABILITIES;
  readonly budget: RequestBudget;
  /** The folders in use (exposed for tests and diagnostics). */
  readonly folders: NinjaTraderFolders;
  readonly #config: NinjaTraderConfig;
  readonly #context: AdapterContext;
  readonly #writer: Pick<OifWriter, 'write'>;
  readonly #journal: OrderJournal;
  readonly #watcher: Pick<OutgoingWatcher, 'start' | 'stop' | 'scan'>;
  /** Where commands go, for error messages: the incoming folder or the ATI socket. */
  readonly #target: string;
  /** False while the ATI socket (transport `socket`) is down; always true for files. */
  #transportUp = true;
  readonly #life: ConnectionLifecycle;
  readonly #orders = new Map<string, TrackedOrder>();
  readonly #positions = new Map<string, BrokerPosition>();
  readonly #connections = new Map<string, boolean>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #inflight = new Map<string, Promise<OrderAck>>();
  /**
   * Net quantity per `account\0contract` that this connection's events have told (the position
   * files at connect, then every fill emitted): what a listener counting fills believes is held.
   */
  readonly #told = new Map<string, number>();
  /** Latest fill price seen per contract key, any account: the estimate for a CLOSEPOSITION's fill. */
  readonly #lastFillTicks = new Map<string, Ticks>();
  /** CLOSEPOSITION lines written and not yet seen through, by `account\0contract`: their number. */
  readonly #closing = new Map<string, number>();
  #closeSeq = 0;
  /** False while the first scan builds the starting point: history is not news. */
  #live = false;

  constructor(config: NinjaTraderConfig, context: AdapterContext) {
    this.#config = config;
    this.#context = context;
    this.#life = new ConnectionLifecycle(BROKER, context);
    this.budget = { requests: config.requestsPerSecond, perMs: 1_000 };
    this.folders = resolveFolders(config);
    this.#journal = new OrderJournal(this.folders.journal);
    if (config.transport === 'socket') {
      // EXPERIMENTAL: the undocumented ATI socket; its pushed values arrive as the files the file route reads.
      const feed = new AtiSocketFeed({
        host: config.socket.host,
        port: config.socket.port,
        clock: context.clock,
        logger: context.logger,
        openTimeoutMs: config.socket.openTimeoutMs,
        reconnect: config.socket.reconnect,
        onChange: (file) => this.#onFile(file),
        onTransport: (up, reason) => this.#onTransport(up, reason),
      });
      this.#writer = feed;
      this.#watcher = feed;
      this.#target = `the ATI socket ${config.socket.host}:${config.socket.port}`;
    } else {
      this.#writer = new OifWriter(this.folders.incoming);
      this.#watcher = new OutgoingWatcher({
        dir: this.folders.outgoing,
        clock: context.clock,
        logger: context.logger,
        debounceMs: config.debounceMs,
        rescanMs: config.rescanMs,
        onChange: (file) => this.#onFile(file),
      });
      this.#target = this.folders.incoming;
    }
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  /** Checks both folders, loads the journal, reads the outgoing folder, then reports the connection state. */
  async connect(): Promise<void> {
    await this.#life.opening(
      () => this.#open(),
      () => this.#watcher.stop(),
    );
    if (this.#platformConnected()) this.#life.enter('connected');
    else this.#life.enter('reconnecting', 'NinjaTrader reports its connection DISCONNECTED');
  }

  /** Checks the folders (or opens the socket), loads the journal and reads what NinjaTrader reports. */
  async #open(): Promise<void> {
    const socket = this.#config.transport === 'socket';
    for (const [setting, path] of socket
      ? []
      : ([
          ['incoming', this.folders.incoming],
          ['outgoing', this.folders.outgoing],
        ] as const)) {
      const info = await stat(path).catch((error: unknown) => {
        throw folderError(setting, path, error);
      });
      if (!info.isDirectory()) throw folderError(setting, path, new Error('not a directory'));
    }
    for (const order of (await this.#journal.load()).values()) this.#track(order);
    this.#live = false;
    await this.#watcher.start().catch((error: unknown) => {
      throw socket
        ? new BrokerDisconnectedError(BROKER, messageOf(error), { cause: error })
        : folderError('outgoing', this.folders.outgoing, error);
    });
    this.#live = true;
    this.#told.clear();
    for (const [key, p] of this.#positions) this.#told.set(key, p.netQty);
    if (!socket) await this.#forgetUnsent();
  }

  /**
   * Journaled orders NinjaTrader never received. The journal is written before the PLACE
   * file, so a crash between the two leaves an order no order-state file will ever name; shown
   * as pending for good, a restarted copier would take it for its copy (and never place the
   * one the follower lacks), or report it working after cancelling it. At connect, an order of
   * the journal with no state file and no command file still waiting in `incoming` gets one
   * more look (NinjaTrader writes the state as it takes the file), then is forgotten: a lookup
   * says it is absent, and placing it again writes its PLACE.
   */
  async #forgetUnsent(): Promise<void> {
    const unsent = () => [...this.#orders.values()].filter((t) => !t.seen && t.status === 'pending');
    if (unsent().length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, UNSENT_GRACE_MS));
    await this.#watcher.scan();
    const candidates = unsent();
    if (candidates.length === 0) return;
    const waiting = await this.#incomingText();
    for (const t of candidates) {
      if (waiting.includes(t.journal.orderId)) continue;
      this.#orders.delete(t.journal.orderId);
      this.#context.logger.warn(
        { orderId: t.journal.orderId, account: t.journal.accountId },
        'ninjatrader: a journaled order NinjaTrader never received (a crash before its PLACE file) is forgotten',
      );
    }
  }

  /**
   * The text of every command file still waiting in `incoming` for NinjaTrader: `oif*.txt`
   * only (a temp file a crash left before its rename is never read by NinjaTrader).
   */
  async #incomingText(): Promise<string> {
    const names = (await readdir(this.folders.incoming).catch(() => [] as string[])).filter((n) =>
      /^oif.*\.txt$/i.test(n),
    );
    const texts = await Promise.all(
      names.map((name) => readFile(join(this.folders.incoming, name), 'utf8').catch(() => '')),
    );
    return texts.join('\n');
  }

  /** Stops watching; pending placements see their outcome as unknown. */
  async disconnect(): Promise<void> {
    this.#watcher.stop();
    await this.#journal.close();
    this.#live = false;
    for (const waiters of this.#waiters.values()) for (const wake of waiters) wake();
    this.#life.enter('disconnected');
  }

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    return this.#life.subscribe(listener);
  }

  health(): ConnectionHealth {
    return this.#life.health();
  }

  // ── queries ───────────────────────────────────────────────────────────────

  /** The configured accounts: the file interface has no account listing. */
  async listAccounts(): Promise<BrokerAccount[]> {
    return this.#config.accounts.map((name) => ({ accountId: name, name, canTrade: true }));
  }

  /** Non-flat positions of the account, from its position files (re-read first). */
  async getPositions(accountId: string): Promise<BrokerPosition[]> {
    this.#served(accountId);
    await this.#watcher.scan();
    return [...this.#positions.values()]
      .filter((p) => p.accountId === accountId && p.netQty !== 0)
      .map((p) => ({ ...p, contract: { ...p.contract } }));
  }

  /** The account's orders placed by this adapter (now or before a restart) that are not final. */
  async getOpenOrders(accountId: string): Promise<BrokerOrder[]> {
    this.#served(accountId);
    await this.#watcher.scan();
    return [...this.#orders.values()]
      .filter((t) => t.journal.accountId === accountId && !isTerminal(t.status))
      .map((t) => this.#toOrder(t));
  }

  /**
   * The order with this intent id, from the journal and its order-state file, terminal
   * ones included. An order written but not yet reported by NinjaTrader is `pending`.
   */
  async findOrderByClientId(accountId: string, clientOrderId: string): Promise<BrokerOrder | undefined> {
    this.#served(accountId);
    await this.#watcher.scan();
    const tracked = this.#orders.get(clientOrderId);
    return tracked && tracked.journal.accountId === accountId ? this.#toOrder(tracked) : undefined;
  }

  // ── orders ────────────────────────────────────────────────────────────────

  /**
   * Writes a PLACE with the intent id as ORDER ID and waits for NinjaTrader's first
   * decisive order state: REJECTED is a `BrokerRejectedError`; no state file within
   * `ackTimeoutMs` is a `BrokerTimeoutError` (the order may still be placed).
   */
  placeOrder(request: PlaceOrderRequest): Promise<OrderAck> {
    const inflight = this.#inflight.get(request.clientOrderId);
    if (inflight) return inflight;
    const placing = this.#life
      .around(() => this.#place(request))
      .finally(() => this.#inflight.delete(request.clientOrderId));
    this.#inflight.set(request.clientOrderId, placing);
    return placing;
  }

  async #place(request: PlaceOrderRequest): Promise<OrderAck> {
    this.#served(request.accountId);
    this.#requireRunning();
    const id = request.clientOrderId;
    if (!isSafeOifId(id)) {
      throw new BrokerRejectedError(
        BROKER,
        `client order id "${id}" cannot be an OIF ORDER ID ([A-Za-z0-9_-])`,
      );
    }
    if (request.bracket) {
      throw new BrokerRejectedError(BROKER, 'native brackets need an ATM template; the engine emulates them');
    }
    let tracked = this.#orders.get(id);
    if (tracked && tracked.journal.accountId !== request.accountId) {
      throw new BrokerRejectedError(
        BROKER,
        `ORDER ID ${id} is already used by account ${tracked.journal.accountId}`,
      );
    }
    if (!tracked) {
      const journal: JournalOrder = {
        orderId: id,
        accountId: request.accountId,
        instrument: toNinjaSymbol(request.contract),
        side: request.side,
        qty: request.qty,
        orderType: request.orderType,
        placedAt: this.#context.clock.now(),
      };
      if (request.limitTicks !== undefined) journal.limitTicks = request.limitTicks;
      if (request.stopTicks !== undefined) journal.stopTicks = request.stopTicks;
      const tickSize = this.#tickSize(request.contract);
      const line = encodeOifLine('PLACE', {
        account: request.accountId,
        instrument: journal.instrument,
        action: request.side === 'buy' ? 'BUY' : 'SELL',
        qty: request.qty,
        orderType: oifOrderTypeOf(request.orderType),
        ...(request.limitTicks === undefined
          ? {}
          : { limitPrice: ticksToPrice(request.limitTicks, tickSize) }),
        ...(request.stopTicks === undefined ? {} : { stopPrice: ticksToPrice(request.stopTicks, tickSize) }),
        tif: (request.timeInForce ?? this.#config.defaultTimeInForce) === 'gtc' ? 'GTC' : 'DAY',
        orderId: id,
      });
      // Journal first: a crash between the two leaves a known order, never an unknown one.
      await this.#journal.append({ kind: 'place', ...journal });
      tracked = this.#track(journal);
      try {
        await this.#writer.write([line]);
      } catch (error) {
        // The rename never happened, so NinjaTrader has nothing: forget it so a retry writes again.
        this.#orders.delete(id);
        throw new BrokerDisconnectedError(BROKER, `cannot write to ${this.#target}`, {
          cause: error,
        });
      }
    }
    const decided = await this.#waitFor(id, (t) => t.status !== 'pending', this.#config.ackTimeoutMs);
    const current = this.#orders.get(id) ?? tracked;
    if (current.status === 'rejected') throw rejectedError(id);
    if (!decided && !current.seen) throw noAckError(this.#config.ackTimeoutMs);
    return { orderId: id, clientOrderId: id, status: current.status, time: this.#context.clock.now() };
  }

  /** Writes a CHANGE (0 = unchanged); the new values show once NinjaTrader rewrites the order's state. */
  async modifyOrder(request: ModifyOrderRequest): Promise<void> {
    await this.#life.around(async () => {
      const tracked = this.#workingOrder(request.accountId, request.orderId);
      const tickSize = this.#tickSize(tracked.contract);
      const change: NonNullable<TrackedOrder['pendingChange']> = {};
      if (request.qty !== undefined) change.qty = request.qty;
      if (request.limitTicks !== undefined) change.limitTicks = request.limitTicks;
      if (request.stopTicks !== undefined) change.stopTicks = request.stopTicks;
      tracked.pendingChange = change;
      const line = encodeOifLine('CHANGE', {
        qty: request.qty ?? 0,
        limitPrice: request.limitTicks === undefined ? '0' : ticksToPrice(request.limitTicks, tickSize),
        stopPrice: request.stopTicks === undefined ? '0' : ticksToPrice(request.stopTicks, tickSize),
        orderId: request.orderId,
      });
      await this.#writeOrThrow([line]);
    });
  }

  /** Writes a CANCEL for one order (never CANCELALLORDERS, which hits every account). */
  async cancelOrder(request: CancelOrderRequest): Promise<void> {
    await this.#life.around(async () => {
      this.#workingOrder(request.accountId, request.orderId);
      await this.#writeOrThrow([encodeOifLine('CANCEL', { orderId: request.orderId })]);
    });
  }

  /**
   * CLOSEPOSITION per instrument of this account (it cancels the instrument's working
   * orders and closes the position). Without a contract: every instrument with a position
   * or a working order of ours. Never FLATTENEVERYTHING, which hits every account.
   */
  async flatten(request: FlattenRequest): Promise<void> {
    await this.#life.around(async () => {
      this.#served(request.accountId);
      this.#requireRunning();
      const instruments = new Set<string>();
      if (request.contract) {
        instruments.add(toNinjaSymbol(request.contract));
      } else {
        await this.#watcher.scan();
        for (const p of this.#positions.values()) {
          if (p.accountId === request.accountId && p.netQty !== 0) instruments.add(toNinjaSymbol(p.contract));
        }
        for (const t of this.#orders.values()) {
          if (t.journal.accountId === request.accountId && !isTerminal(t.status))
            instruments.add(t.journal.instrument);
        }
      }
      if (instruments.size === 0) return;
      // NinjaTrader closes the position with an order of its own that has no ORDER ID, so no
      // order-state file tells of it: only the position file moves. Remember the close, so that
      // move becomes the fill a listener counting fills needs (see #settleClose).
      const closing: string[] = [];
      for (const instrument of instruments) {
        let contract: Contract;
        try {
          contract = fromNinjaSymbol(instrument, this.#context.instruments);
        } catch {
          continue;
        }
        const key = `${request.accountId}\u0000${contractKey(contract)}`;
        // What listeners were told counts, not only the position file: that file may not have
        // been read since the last fill (reads are debounced).
        if ((this.#positions.get(key)?.netQty ?? 0) !== 0 || (this.#told.get(key) ?? 0) !== 0) {
          this.#closing.set(key, ++this.#closeSeq);
          closing.push(key);
        }
      }
      try {
        await this.#writeOrThrow(
          [...instruments].map((instrument) =>
            encodeOifLine('CLOSEPOSITION', { account: request.accountId, instrument }),
          ),
        );
      } catch (error) {
        // Nothing reached NinjaTrader: no close to wait for.
        for (const key of closing) this.#closing.delete(key);
        throw error;
      }
    });
  }

  // ── outgoing files ───────────────────────────────────────────────────────

  #onFile(file: OutgoingFile): void {
    const kind = classifyOutgoingName(file.name);
    if (!kind) return;
    if (kind.kind === 'position') {
      this.#onPosition(kind.instrument, kind.account, file.text);
      return;
    }
    const tracked = this.#orders.get(kind.stem);
    if (tracked) {
      this.#onOrderState(tracked, file.text);
      return;
    }
    const connected = parseConnectionFile(file.text);
    if (connected !== undefined) this.#onConnection(kind.stem, connected);
  }

  #onOrderState(tracked: TrackedOrder, text: string): void {
    const parsed = parseOrderStateFile(text);
    // Half rewritten: the next notification or re-scan reads it whole.
    if (!parsed) return;
    const order = tracked.journal;
    const status = statusOfState(parsed.state, parsed.filledQty);
    let changed = !tracked.seen || status !== tracked.status;
    tracked.seen = true;
    if (tracked.pendingChange && !isTerminal(status)) {
      // The state file was rewritten after our CHANGE and the order still works: NinjaTrader took it.
      const change = tracked.pendingChange;
      delete tracked.pendingChange;
      if (change.qty !== undefined) order.qty = change.qty;
      if (change.limitTicks !== undefined) order.limitTicks = change.limitTicks;
      if (change.stopTicks !== undefined) order.stopTicks = change.stopTicks;
      void this.#journal
        .append({ kind: 'change', orderId: order.orderId, ...change })
        .catch((error: unknown) => this.#life.errors.remember(error));
      changed = true;
    }
    const fills: BrokerEvent[] = [];
    if (parsed.filledQty > tracked.filledQty) {
      const qty = parsed.filledQty - tracked.filledQty;
      const tickSize = Number(this.#tickSize(tracked.contract));
      // The file gives the average of all fills: the new part's price is what moved the average.
      const price = (parsed.avgPrice * parsed.filledQty - tracked.avgPrice * tracked.filledQty) / qty;
      fills.push({
        type: 'order-filled',
        fill: {
          fillId: `${order.orderId}#${parsed.filledQty}`,
          orderId: order.orderId,
          clientOrderId: order.orderId,
          accountId: order.accountId,
          contract: { ...tracked.contract },
          side: order.side,
          qty,
          priceTicks: Math.round(price / tickSize),
          time: this.#context.clock.now(),
        },
      });
      changed = true;
    }
    tracked.filledQty = Math.max(tracked.filledQty, parsed.filledQty);
    tracked.avgPrice = parsed.filledQty > 0 ? parsed.avgPrice : tracked.avgPrice;
    tracked.status = status;
    tracked.updatedAt = this.#context.clock.now();
    if (!changed || !this.#live) return;
    for (const event of fills) this.#emit(event);
    this.#emit({ type: 'order-updated', order: this.#toOrder(tracked) });
    this.#wake(order.orderId);
  }

  #onPosition(instrument: string, account: string, text: string): void {
    if (!this.#config.accounts.includes(account)) return;
    const parsed = parsePositionFile(text);
    if (!parsed) return;
    let contract: Contract;
    try {
      contract = fromNinjaSymbol(instrument, this.#context.instruments);
    } catch {
      return;
    }
    const tickSize = Number(this.#tickSize(contract));
    const key = `${account}\u0000${contractKey(contract)}`;
    const position: BrokerPosition = {
      accountId: account,
      contract,
      netQty: parsed.netQty,
      avgPriceTicks: parsed.netQty === 0 ? 0 : Math.round((parsed.avgPrice / tickSize) * 1e6) / 1e6,
    };
    const previous = this.#positions.get(key);
    this.#positions.set(key, position);
    // A close we asked for settles on FLAT even when the file looks unchanged: files are read
    // after a short debounce, so FLAT → long → FLAT can be seen as FLAT twice.
    if (this.#live && position.netQty === 0 && this.#closing.has(key)) {
      void this.#settleClose(key, previous).catch((error: unknown) => this.#life.errors.remember(error));
      return;
    }
    if (previous && previous.netQty === position.netQty && previous.avgPriceTicks === position.avgPriceTicks)
      return;
    if (!this.#live) return;
    this.#emit({ type: 'position-updated', position: { ...position, contract: { ...contract } } });
  }

  /**
   * A position closed by our CLOSEPOSITION is flat in its file. Fills of our own orders that
   * NinjaTrader reported before the close may still be unread (files are read as they are
   * noticed, not in the order written), so the folder is read first; then whatever the events
   * still leave open is reported as one fill of the close, and the position after it.
   *
   * The outgoing files carry no price for that fill (the position file has only the average
   * entry price, FLAT reads 0): its price is the latest fill price seen on the contract, or the
   * position's average entry when none was. The quantity and the position are exact; P&L
   * realized by the close is an estimate.
   */
  async #settleClose(key: string, before: BrokerPosition | undefined): Promise<void> {
    await this.#watcher.scan();
    const seq = this.#closing.get(key);
    const position = this.#positions.get(key);
    if (seq === undefined || !position || position.netQty !== 0 || !this.#live) return;
    this.#closing.delete(key);
    const { accountId, contract } = position;
    const open = this.#told.get(key) ?? 0;
    if (open !== 0) {
      const priceTicks =
        this.#lastFillTicks.get(contractKey(contract)) ?? Math.round(before?.avgPriceTicks ?? 0);
      const orderId = `CLOSEPOSITION-${seq}`;
      this.#emit({
        type: 'order-filled',
        fill: {
          fillId: `${orderId}#${accountId}#${contractKey(contract)}`,
          orderId,
          accountId,
          contract: { ...contract },
          side: open > 0 ? 'sell' : 'buy',
          qty: Math.abs(open),
          priceTicks,
          time: this.#context.clock.now(),
          priceEstimated: true,
        },
      });
    }
    this.#emit({ type: 'position-updated', position: { ...position, contract: { ...contract } } });
  }

  #onConnection(name: string, connected: boolean): void {
    this.#connections.set(name, connected);
    if (!this.#live) return;
    const up = this.#platformConnected();
    if (!up && this.#life.state === 'connected') {
      this.#life.enter('reconnecting', `NinjaTrader reports ${name} DISCONNECTED`);
    } else if (up && this.#life.state === 'reconnecting') {
      // Back up: re-read everything (what changed while down is news), then report connected.
      void this.#watcher.scan().then(() => {
        if (this.#life.state === 'reconnecting' && this.#platformConnected()) this.#life.enter('connected');
      });
    }
  }

  /** The ATI socket came up or was lost (transport `socket` only). */
  #onTransport(up: boolean, reason?: string): void {
    this.#transportUp = up;
    if (!this.#live) return;
    if (!up && this.#life.state === 'connected')
      this.#life.enter('reconnecting', reason ?? 'ATI socket lost');
    else if (up && this.#life.state === 'reconnecting' && this.#platformConnected())
      this.#life.enter('connected');
  }

  #platformConnected(): boolean {
    if (!this.#transportUp) return false;
    const wanted = this.#config.connectionName;
    if (wanted !== undefined) return this.#connections.get(wanted) ?? true;
    return [...this.#connections.values()].every(Boolean);
  }

  // ── internals ─────────────────────────────────────────────────────────────

  #track(journal: JournalOrder): TrackedOrder {
    const contract = fromNinjaSymbol(journal.instrument, this.#context.instruments);
    const tracked: TrackedOrder = {
      journal,
      contract,
      status: 'pending',
      filledQty: 0,
      avgPrice: 0,
      seen: false,
      updatedAt: journal.placedAt,
    };
    this.#orders.set(journal.orderId, tracked);
    return tracked;
  }

  #toOrder(t: TrackedOrder): BrokerOrder {
    const order: BrokerOrder = {
      orderId: t.journal.orderId,
      clientOrderId: t.journal.orderId,
      accountId: t.journal.accountId,
      contract: { ...t.contract },
      side: t.journal.side,
      qty: t.journal.qty,
      filledQty: t.filledQty,
      orderType: t.journal.orderType,
      status: t.status,
      updatedAt: t.updatedAt,
    };
    if (t.journal.limitTicks !== undefined) order.limitTicks = t.journal.limitTicks;
    if (t.journal.stopTicks !== undefined) order.stopTicks = t.journal.stopTicks;
    if (t.status === 'rejected') order.reason = 'REJECTED by NinjaTrader (reason in its Log tab)';
    return order;
  }

  /** Resolves true when `check` holds after an update of the order, false after `timeoutMs` or on disconnect. */
  #waitFor(orderId: string, check: (t: TrackedOrder) => boolean, timeoutMs: number): Promise<boolean> {
    const now = this.#orders.get(orderId);
    if (now && check(now)) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: Timer | undefined;
      const set = this.#waiters.get(orderId) ?? new Set<() => void>();
      this.#waiters.set(orderId, set);
      const done = (result: boolean) => {
        timer?.cancel();
        set.delete(wake);
        if (set.size === 0) this.#waiters.delete(orderId);
        resolve(result);
      };
      const wake = () => {
        const t = this.#orders.get(orderId);
        if (!this.#live) done(false);
        else if (t && check(t)) done(true);
      };
      set.add(wake);
      timer = this.#context.clock.setTimer(timeoutMs, () => done(false));
    });
  }

  #wake(orderId: string): void {
    for (const wake of [...(this.#waiters.get(orderId) ?? [])]) wake();
  }

  #workingOrder(accountId: string, orderId: string): TrackedOrder {
    this.#served(accountId);
    this.#requireRunning();
    const tracked = this.#orders.get(orderId);
    if (!tracked || tracked.journal.accountId !== accountId)
      throw new BrokerUnknownOrderError(BROKER, orderId);
    if (isTerminal(tracked.status)) {
      throw new BrokerRejectedError(BROKER, `order ${orderId} is already ${tracked.status}`);
    }
    return tracked;
  }

  async #writeOrThrow(lines: string[]): Promise<void> {
    try {
      await this.#writer.write(lines);
    } catch (error) {
      throw new BrokerDisconnectedError(BROKER, `cannot write to ${this.#target}`, { cause: error });
    }
  }

  #served(accountId: string): void {
    if (!this.#config.accounts.includes(accountId)) {
      throw new BrokerRejectedError(BROKER, `account ${accountId} is not in this connection's accounts:`);
    }
  }

  #requireRunning(): void {
    if (this.#life.state === 'disconnected' || this.#life.state === 'connecting') {
      throw new BrokerDisconnectedError(BROKER, 'not connected (call connect() first)');
    }
  }

  #tickSize(contract: Contract): string {
    return this.#context.instruments.get(contract.root).tickSize;
  }

  #emit(event: BrokerEvent): void {
    if (event.type === 'order-filled') {
      const { fill } = event;
      const key = `${fill.accountId}\u0000${contractKey(fill.contract)}`;
      this.#told.set(key, (this.#told.get(key) ?? 0) + (fill.side === 'buy' ? fill.qty : -fill.qty));
      this.#lastFillTicks.set(contractKey(fill.contract), fill.priceTicks);
    }
    this.#life.emit(event);
  }
}
