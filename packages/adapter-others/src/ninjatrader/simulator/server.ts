/** The NinjaTrader stand-in behind `startNinjaTraderSimulator`: OIF folders, the ATI socket, order handling. */
import { type FSWatcher, watch } from 'node:fs';
import { mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  averageTicksToPrice,
  type BrokerEvent,
  type BrokerOrder,
  type Clock,
  type Contract,
  type Logger,
  type Money,
  priceToTicks,
  SimulatedExchange,
  type SimulatedExchangeOptions,
  silentLogger,
  systemClock,
  type Ticks,
  type Timer,
} from '@tradenova/core';
import { orderTypeOfOif } from '../parse.js';
import { fromNinjaSymbol, toNinjaSymbol } from '../symbols.js';
import { AtiCode, AtiTokenizer, encodeAtiMessage, type OifLine, parseOifLine } from '../wire.js';
import { NinjaTraderSimulatorFaults } from './faults.js';

export { NinjaTraderSimulatorFaults } from './faults.js';

/** The accounts the simulator opens unless told otherwise: NinjaTrader's default simulation accounts. */
export const DEMO_ACCOUNTS: readonly string[] = Object.freeze(['Sim101', 'Sim102', 'Sim103']);

/** Options of `startNinjaTraderSimulator`. */
export interface NinjaTraderSimulatorOptions {
  /** NinjaTrader's user folder: `incoming` and `outgoing` are made under it. */
  dir: string;
  /** An exchange to put the files in front of (shared with other simulators); a new one otherwise. */
  exchange?: SimulatedExchange;
  /** Options of the exchange made when `exchange` is not given. */
  exchangeOptions?: Partial<SimulatedExchangeOptions>;
  clock?: Clock;
  /** Accounts to open (and serve); `DEMO_ACCOUNTS` by default. */
  accounts?: readonly string[];
  /** The Connection Manager name of the connection file (default `Simulated Data Feed`). */
  connectionName?: string;
  /** The exchange token in position file names (`Globex` as in the docs; NT8 installs also write `Default`). */
  exchangeToken?: string;
  /** Starting balance of each account, mils (default 50 000 USD). */
  startingBalance?: Money;
  /** Safety re-scan of `incoming`, ms (default 250). */
  rescanMs?: number;
  /** Empty `outgoing` on start, as NinjaTrader 8 does when it starts (default true). */
  clearOutgoing?: boolean;
  /**
   * Also serve the ATI socket on this loopback port (0 picks a free one; NinjaTrader's is
   * 36973). EXPERIMENTAL: the protocol is reverse-engineered. Off when absent.
   */
  atiPort?: number;
  logger?: Logger;
}

/** What the simulator has done so far. */
export interface NinjaTraderSimStats {
  /** OIF files processed. */
  files: number;
  /** Lines per command. */
  commands: Record<string, number>;
  /** Lines that were not valid OIF lines (NinjaTrader only logs these). */
  malformed: number;
}

/** A running NinjaTrader simulator. */
export interface NinjaTraderSimulator {
  dir: string;
  /** The folder the adapter writes OIF files to. */
  incoming: string;
  /** The folder the simulator writes information update files to. */
  outgoing: string;
  exchange: SimulatedExchange;
  faults: NinjaTraderSimulatorFaults;
  accounts: readonly string[];
  connectionName: string;
  /** The ATI socket's port, when `atiPort` was given. */
  atiPort: number | undefined;
  /** Cuts every ATI socket client (a network failure or NinjaTrader restarting). */
  dropAtiClients(): void;
  stats(): NinjaTraderSimStats;
  close(): Promise<void>;
}

/** Starts a NinjaTrader file-interface simulator on `dir`. */
export async function startNinjaTraderSimulator(
  options: NinjaTraderSimulatorOptions,
): Promise<NinjaTraderSimulator> {
  const clock = options.clock ?? systemClock;
  const exchange =
    options.exchange ??
    new SimulatedExchange({
      clock,
      idPrefix: 'nt-',
      ...(options.logger ? { logger: options.logger } : {}),
      ...options.exchangeOptions,
    });
  const sim = new NinjaTraderSim(options, exchange, clock);
  await sim.start();
  return {
    dir: options.dir,
    incoming: sim.incoming,
    outgoing: sim.outgoing,
    exchange,
    faults: sim.faults,
    accounts: sim.accounts,
    connectionName: sim.connectionName,
    atiPort: sim.atiPort,
    dropAtiClients: () => sim.dropAtiClients(),
    stats: () => sim.stats(),
    close: () => sim.close(),
  };
}

const OIF_NAME = /^oif.*\.txt$/i;

/** The simulator's state: which ORDER IDs it knows, fills per order, OCO groups. */
class NinjaTraderSim {
  readonly incoming: string;
  readonly outgoing: string;
  readonly accounts: readonly string[];
  readonly connectionName: string;
  readonly faults: NinjaTraderSimulatorFaults;
  readonly #options: NinjaTraderSimulatorOptions;
  readonly #exchange: SimulatedExchange;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** `account\0ORDER ID` of every order placed with an ORDER ID: only these get state files. */
  readonly #named = new Set<string>();
  /** ORDER ID → exchange order id (NinjaTrader keys CHANGE and CANCEL by ORDER ID alone). */
  readonly #exchangeIds = new Map<string, string>();
  readonly #fills = new Map<string, { qty: number; ticks: number }>();
  readonly #ocoOf = new Map<string, string>();
  readonly #ocoGroups = new Map<string, Set<string>>();
  readonly #seenFiles = new Set<string>();
  readonly #held = new Map<string, string>();
  readonly #stats: NinjaTraderSimStats = { files: 0, commands: {}, malformed: 0 };
  #anon = 0;
  #holding = false;
  #running = false;
  #watcher: FSWatcher | undefined;
  #rescan: Timer | undefined;
  #reconnectTimer: Timer | undefined;
  #unsubscribe: (() => void) | undefined;
  #pump: Promise<void> = Promise.resolve();
  #pumpQueued = false;
  /** Outgoing writes are chained so a file's later state never lands before an earlier one. */
  #writes: Promise<void> = Promise.resolve();
  #ati: Server | undefined;
  readonly #atiClients = new Set<Socket>();
  /** The latest position values per `instrument|account`, flat ones too: what a (re)connecting client is told. */
  readonly #atiPositions = new Map<string, string[][]>();
  /** The ATI socket's port once listening. */
  atiPort: number | undefined;

  constructor(options: NinjaTraderSimulatorOptions, exchange: SimulatedExchange, clock: Clock) {
    this.#options = options;
    this.#exchange = exchange;
    this.#clock = clock;
    this.#logger = options.logger ?? silentLogger;
    this.incoming = join(options.dir, 'incoming');
    this.outgoing = join(options.dir, 'outgoing');
    this.accounts = options.accounts ?? DEMO_ACCOUNTS;
    this.connectionName = options.connectionName ?? 'Simulated Data Feed';
    this.faults = new NinjaTraderSimulatorFaults(exchange);
    this.faults.onDisconnect = (forMs) => this.#disconnect(forMs);
  }

  async start(): Promise<void> {
    await mkdir(this.incoming, { recursive: true });
    if (this.#options.clearOutgoing ?? true) await rm(this.outgoing, { recursive: true, force: true });
    await mkdir(this.outgoing, { recursive: true });
    for (const account of this.accounts) {
      if (!this.#exchange.hasAccount(account))
        this.#exchange.openAccount(account, this.#options.startingBalance ?? 50_000_000);
    }
    this.#unsubscribe = this.#exchange.onEvent((event) => this.#onExchange(event));
    this.#running = true;
    this.#write(`${this.connectionName}.txt`, 'CONNECTED', true);
    this.#watcher = watch(this.incoming, { persistent: false }, () => this.#schedule());
    this.#armRescan();
    this.#schedule();
    await this.#writes;
    if (this.#options.atiPort !== undefined) await this.#listenAti(this.#options.atiPort);
  }

  stats(): NinjaTraderSimStats {
    return { ...this.#stats, commands: { ...this.#stats.commands } };
  }

  async close(): Promise<void> {
    this.#running = false;
    this.dropAtiClients();
    if (this.#ati) await new Promise<void>((r) => this.#ati!.close(() => r()));
    this.#watcher?.close();
    this.#rescan?.cancel();
    this.#reconnectTimer?.cancel();
    this.#unsubscribe?.();
    await this.#pump;
    await this.#writes;
  }

  // ── incoming ─────────────────────────────────────────────────────────────

  #armRescan(): void {
    if (!this.#running) return;
    this.#rescan = this.#clock.setTimer(this.#options.rescanMs ?? 250, () => {
      this.#schedule();
      this.#armRescan();
    });
  }

  /** Runs one pass over `incoming` after the current one; notifications during a pass collapse into one more. */
  #schedule(): void {
    if (!this.#running || this.#pumpQueued) return;
    this.#pumpQueued = true;
    this.#pump = this.#pump.then(async () => {
      this.#pumpQueued = false;
      await this.#processFolder().catch((error: unknown) =>
        this.#logger.error({ err: String(error) }, 'ninjatrader simulator pass failed'),
      );
    });
  }

  async #processFolder(): Promise<void> {
    if (!this.#running) return;
    // Only `oif*.txt`: a temp name being written is invisible, as it is to NinjaTrader.
    const names = (await readdir(this.incoming)).filter((n) => OIF_NAME.test(n)).sort();
    for (const name of names) {
      if (!this.#running) return;
      if (this.#seenFiles.has(name)) continue;
      this.#seenFiles.add(name);
      if (this.faults.takeIgnore()) continue;
      if (this.faults.processingDelayMs > 0) {
        await new Promise<void>((r) => this.#clock.setTimer(this.faults.processingDelayMs, r));
      }
      let text: string;
      try {
        text = await readFile(join(this.incoming, name), 'utf8');
      } catch {
        // Gone or locked: NinjaTrader would not process it either.
        continue;
      }
      this.#stats.files++;
      // NinjaTrader consumes the file; removing it keeps the folder from growing (whether NT8 deletes is UNCONFIRMED).
      await unlink(join(this.incoming, name)).catch(() => {});
      for (const raw of text.split(/\r?\n/)) {
        if (raw.trim() === '') continue;
        await this.#runLine(raw);
      }
    }
  }

  /** One command line, from a file or the socket. */
  async #runLine(raw: string): Promise<void> {
    const line = parseOifLine(raw);
    if (!line) {
      this.#stats.malformed++;
      return;
    }
    this.#stats.commands[line.command] = (this.#stats.commands[line.command] ?? 0) + 1;
    try {
      await this.#run(line);
    } catch (error) {
      // NinjaTrader logs a failed command and carries on with the next line.
      this.#logger.debug({ err: String(error), line: raw }, 'ninjatrader simulator command failed');
    }
  }

  // ── ATI socket (EXPERIMENTAL) ────────────────────────────────────────────

  async #listenAti(port: number): Promise<void> {
    const server = createServer((socket) => this.#onAtiClient(socket));
    this.#ati = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.atiPort = typeof address === 'object' && address ? address.port : port;
  }

  #onAtiClient(socket: Socket): void {
    socket.setNoDelay(true);
    this.#atiClients.add(socket);
    socket.on('close', () => this.#atiClients.delete(socket));
    socket.on('error', () => socket.destroy());
    // What a client waits for first, then the state it would otherwise have to ask for.
    const snapshot: string[][] = [['ATI', 'True']];
    for (const member of this.#named) {
      const id = member.split('\u0000')[1]!;
      const order = this.#orderOf(id);
      if (order) snapshot.push(...this.#orderValues(id, order));
    }
    for (const values of this.#atiPositions.values()) snapshot.push(...values);
    socket.write(Buffer.concat(snapshot.map(([k, v]) => encodeAtiMessage([AtiCode.Value, k!, v!]))));
    const tokenizer = new AtiTokenizer();
    socket.on('data', (data: Buffer) => {
      for (const message of tokenizer.push(data)) {
        if (message[0] !== AtiCode.Command) continue;
        const raw = message[1] ?? '';
        // In order with each other and with the file route, as NinjaTrader runs them.
        this.#pump = this.#pump.then(() => (this.#running ? this.#runLine(raw) : undefined));
      }
    });
  }

  dropAtiClients(): void {
    for (const socket of this.#atiClients) socket.destroy();
    this.#atiClients.clear();
  }

  /** Pushes key/value pairs to every ATI client, in one write so they arrive together. */
  #pushAti(values: string[][]): void {
    if (this.#atiClients.size === 0 || values.length === 0) return;
    const bytes = Buffer.concat(values.map(([k, v]) => encodeAtiMessage([AtiCode.Value, k!, v!])));
    for (const socket of this.#atiClients) socket.write(bytes);
  }

  /** An order's pushed values: filled quantity and average first, the state last. */
  #orderValues(orderId: string, order: BrokerOrder): string[][] {
    const [state, filled, avg] = this.#stateLine(order).split(';') as [string, string, string];
    return [
      [`Filled|${orderId}`, filled],
      [`AvgFillPrice|${orderId}`, avg],
      [`OrderStatus|${orderId}`, ORDER_STATE_NAMES[state] ?? state],
    ];
  }

  #positionValues(p: {
    accountId: string;
    contract: Contract;
    netQty: number;
    avgPriceTicks: number;
  }): string[][] {
    const tickSize = this.#exchange.instruments.get(p.contract.root).tickSize;
    const instrument = toNinjaSymbol(p.contract);
    const avg = p.netQty === 0 ? '0' : averageTicksToPrice(p.avgPriceTicks, 1, tickSize);
    const values = [
      [`AvgEntryPrice|${instrument}|${p.accountId}`, avg],
      [`MarketPosition|${instrument}|${p.accountId}`, String(p.netQty)],
    ];
    this.#atiPositions.set(`${instrument}|${p.accountId}`, values);
    return values;
  }

  async #run(line: OifLine): Promise<void> {
    switch (line.command) {
      case 'PLACE':
        return this.#place(line);
      case 'CHANGE':
        return this.#change(line);
      case 'CANCEL': {
        const order = this.#orderOf(line.orderId);
        if (order) await this.#exchange.cancelOrder({ accountId: order.accountId, orderId: order.orderId });
        return;
      }
      case 'CLOSEPOSITION': {
        const account = this.#account(line.account);
        await this.#exchange.flatten({ accountId: account, contract: this.#contract(line.instrument) });
        return;
      }
      case 'REVERSEPOSITION': {
        const account = this.#account(line.account);
        await this.#exchange.flatten({ accountId: account, contract: this.#contract(line.instrument) });
        return this.#place(line);
      }
      case 'CANCELALLORDERS':
        // Every account, every connection: why the adapter never sends it.
        for (const account of this.accounts) {
          for (const order of this.#exchange.getOpenOrders(account)) {
            await this.#exchange.cancelOrder({ accountId: account, orderId: order.orderId }).catch(() => {});
          }
        }
        return;
      case 'FLATTENEVERYTHING':
        for (const account of this.accounts)
          await this.#exchange.flatten({ accountId: account }).catch(() => {});
        return;
      case 'CLOSESTRATEGY':
        // No ATM strategies in the simulator.
        return;
    }
  }

  async #place(line: OifLine): Promise<void> {
    const account = line.account ?? '';
    const contract = this.#contract(line.instrument);
    const orderType = orderTypeOfOif(line.orderType ?? '');
    if (!orderType || (line.action !== 'BUY' && line.action !== 'SELL') || !Number.isSafeInteger(line.qty))
      throw new Error('PLACE needs ACTION, QTY and ORDER TYPE');
    if (line.tif !== 'DAY' && line.tif !== 'GTC') throw new Error('PLACE needs TIF');
    const tickSize = this.#exchange.instruments.get(contract.root).tickSize;
    const named = line.orderId !== undefined;
    const clientOrderId = line.orderId ?? `~anon-${++this.#anon}`;
    if (named) this.#named.add(`${account}\u0000${clientOrderId}`);
    if (!this.accounts.includes(account)) {
      if (named) this.#write(`${clientOrderId}.txt`, 'REJECTED;0;0');
      return;
    }
    const limitTicks = priceOrUndefined(line.limitPrice, tickSize);
    const stopTicks = priceOrUndefined(line.stopPrice, tickSize);
    if (line.ocoId !== undefined) {
      this.#ocoOf.set(clientOrderId, line.ocoId);
      const group = this.#ocoGroups.get(line.ocoId) ?? new Set<string>();
      group.add(`${account}\u0000${clientOrderId}`);
      this.#ocoGroups.set(line.ocoId, group);
    }
    await this.#exchange
      .placeOrder({
        accountId: account,
        clientOrderId,
        contract,
        side: line.action === 'BUY' ? 'buy' : 'sell',
        qty: line.qty!,
        orderType,
        ...(limitTicks === undefined ? {} : { limitTicks }),
        ...(stopTicks === undefined ? {} : { stopTicks }),
        timeInForce: line.tif === 'GTC' ? 'gtc' : 'day',
      })
      // The REJECTED state file is written from the exchange's event.
      .catch(() => {});
  }

  async #change(line: OifLine): Promise<void> {
    const order = this.#orderOf(line.orderId);
    if (!order) return;
    const tickSize = this.#exchange.instruments.get(order.contract.root).tickSize;
    // 0 (or empty) means "leave as is".
    const qty = line.qty !== undefined && line.qty > 0 ? line.qty : undefined;
    const limitTicks = nonZeroPrice(line.limitPrice, tickSize);
    const stopTicks = nonZeroPrice(line.stopPrice, tickSize);
    await this.#exchange.modifyOrder({
      accountId: order.accountId,
      orderId: order.orderId,
      ...(qty === undefined ? {} : { qty }),
      ...(limitTicks === undefined ? {} : { limitTicks }),
      ...(stopTicks === undefined ? {} : { stopTicks }),
    });
  }

  #orderOf(orderId: string | undefined): BrokerOrder | undefined {
    if (orderId === undefined) return undefined;
    const id = this.#exchangeIds.get(orderId);
    return id === undefined ? undefined : this.#exchange.getOrder(id);
  }

  #account(name: string | undefined): string {
    if (name === undefined || !this.accounts.includes(name)) throw new Error(`unknown account ${name}`);
    return name;
  }

  #contract(instrument: string | undefined): Contract {
    if (instrument === undefined) throw new Error('no INSTRUMENT');
    return fromNinjaSymbol(instrument, this.#exchange.instruments);
  }

  // ── outgoing ─────────────────────────────────────────────────────────────

  #onExchange(event: BrokerEvent): void {
    if (!this.#running) return;
    if (event.type === 'order-filled') {
      const f = event.fill;
      const sum = this.#fills.get(f.orderId) ?? { qty: 0, ticks: 0 };
      sum.qty += f.qty;
      sum.ticks += f.qty * f.priceTicks;
      this.#fills.set(f.orderId, sum);
      const oco = f.clientOrderId === undefined ? undefined : this.#ocoOf.get(f.clientOrderId);
      if (oco !== undefined) this.#cancelOcoSiblings(oco, f.accountId, f.clientOrderId!);
      return;
    }
    if (event.type === 'order-updated') {
      const o = event.order;
      if (o.clientOrderId === undefined || !this.#named.has(`${o.accountId}\u0000${o.clientOrderId}`)) return;
      this.#exchangeIds.set(o.clientOrderId, o.orderId);
      this.#write(`${o.clientOrderId}.txt`, this.#stateLine(o));
      this.#pushAti(this.#orderValues(o.clientOrderId, o));
      return;
    }
    if (event.type === 'position-updated') {
      const p = event.position;
      if (!this.accounts.includes(p.accountId)) return;
      const tickSize = this.#exchange.instruments.get(p.contract.root).tickSize;
      const side = p.netQty > 0 ? 'LONG' : p.netQty < 0 ? 'SHORT' : 'FLAT';
      const avg = p.netQty === 0 ? '0' : averageTicksToPrice(p.avgPriceTicks, 1, tickSize);
      const name = `${toNinjaSymbol(p.contract)} ${this.#options.exchangeToken ?? 'Globex'}_${p.accountId}_Position.txt`;
      this.#write(name, `${side};${Math.abs(p.netQty)};${avg}`);
      this.#pushAti(this.#positionValues(p));
    }
  }

  #stateLine(order: BrokerOrder): string {
    const sum = this.#fills.get(order.orderId);
    const tickSize = this.#exchange.instruments.get(order.contract.root).tickSize;
    const avg = sum && sum.qty > 0 ? averageTicksToPrice(sum.ticks, sum.qty, tickSize) : '0';
    return `${stateToken(order)};${order.filledQty};${avg}`;
  }

  #cancelOcoSiblings(oco: string, accountId: string, filledId: string): void {
    for (const member of this.#ocoGroups.get(oco) ?? []) {
      const [account, id] = member.split('\u0000') as [string, string];
      if (account !== accountId || id === filledId) continue;
      const order = this.#orderOf(id);
      if (order && !['filled', 'cancelled', 'rejected'].includes(order.status)) {
        void this.#exchange.cancelOrder({ accountId: account, orderId: order.orderId }).catch(() => {});
      }
    }
  }

  /** Writes a file in place, as NinjaTrader does; held back while "disconnected" unless `always`. */
  #write(name: string, text: string, always = false): void {
    if (this.#holding && !always) {
      this.#held.set(name, text);
      return;
    }
    const path = join(this.outgoing, name);
    this.#writes = this.#writes.then(() =>
      writeFile(path, text, 'utf8').catch((error: unknown) =>
        this.#logger.warn({ err: String(error), name }, 'ninjatrader simulator write failed'),
      ),
    );
  }

  #disconnect(forMs: number): void {
    if (!this.#running) return;
    this.#write(`${this.connectionName}.txt`, 'DISCONNECTED', true);
    this.#holding = true;
    this.#reconnectTimer?.cancel();
    this.#reconnectTimer = this.#clock.setTimer(forMs, () => {
      this.#holding = false;
      for (const [name, text] of this.#held) this.#write(name, text);
      this.#held.clear();
      this.#write(`${this.connectionName}.txt`, 'CONNECTED', true);
    });
  }
}

/** NT8 `OrderState` member names, as the ATI socket's `OrderStatus|<id>` values carry them. */
const ORDER_STATE_NAMES: Record<string, string> = {
  SUBMITTED: 'Submitted',
  ACCEPTED: 'Accepted',
  WORKING: 'Working',
  PARTFILLED: 'PartFilled',
  FILLED: 'Filled',
  CANCELLED: 'Cancelled',
  REJECTED: 'Rejected',
};

/** The NT8 OrderState token NinjaTrader writes for an order. */
function stateToken(order: BrokerOrder): string {
  switch (order.status) {
    case 'pending':
      return 'SUBMITTED';
    case 'working':
      // NT8 shows a stop waiting for its trigger as Accepted, a resting limit as Working.
      return order.orderType === 'stop' || order.orderType === 'stop-limit' ? 'ACCEPTED' : 'WORKING';
    case 'partially-filled':
      return 'PARTFILLED';
    case 'filled':
      return 'FILLED';
    case 'cancelled':
      return 'CANCELLED';
    case 'rejected':
      return 'REJECTED';
  }
}

function priceOrUndefined(price: string | undefined, tickSize: string): Ticks | undefined {
  return price === undefined ? undefined : priceToTicks(price, tickSize);
}

function nonZeroPrice(price: string | undefined, tickSize: string): Ticks | undefined {
  if (price === undefined || Number(price) === 0) return undefined;
  return priceToTicks(price, tickSize);
}
