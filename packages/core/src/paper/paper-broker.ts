import { declareCapabilities } from '../adapter/capabilities.js';
import type {
  AdapterCapabilities,
  BrokerAccount,
  BrokerConnection,
  BrokerEvent,
  BrokerOrder,
  BrokerPosition,
  CancelOrderRequest,
  ConnectionHealth,
  FlattenRequest,
  ModifyOrderRequest,
  OrderAck,
  PlaceOrderRequest,
} from '../adapter/contract.js';
import { ConnectionLifecycle, type LifecycleContext } from '../adapter/lifecycle/connection-lifecycle.js';
import { systemClock } from '../clock/clock.js';
import { BrokerDisconnectedError, BrokerRejectedError } from '../errors.js';
import type { Money } from '../money/money.js';
import { silentLogger } from '../util/logger.js';
import type { SimulatedExchange } from './simulated-exchange.js';

/** The paper broker's `broker:` name. */
export const PAPER_BROKER = 'paper';

/** What the paper broker does natively: everything the simulated exchange supports. */
export const PAPER_CAPABILITIES: AdapterCapabilities = declareCapabilities({
  brackets: 'native',
  nativeOco: 'native',
  modify: 'native',
  clientOrderIds: 'native',
  positionQuery: 'native',
  leaderFillStream: 'native',
  netReversal: 'native',
});

/** 50 000 USD in mils: the default starting balance, as in the config schema. */
export const DEFAULT_PAPER_BALANCE: Money = 50_000_000;

/** Options of one paper connection. */
export interface PaperBrokerOptions {
  /** Balance (mils) of the accounts this connection opens because they are not open yet. */
  startingBalance?: Money;
  /** Per-account starting balances (mils), ahead of `startingBalance`. */
  balances?: Readonly<Record<string, Money>>;
  /** Clock and logger of the connection's lifecycle (the system clock and no logging by default). */
  context?: LifecycleContext;
}

/**
 * A broker connection to a simulated exchange, serving some of its accounts.
 * Several connections may share one exchange (a leader and its followers see the
 * same market); each sees only its own accounts' events, and none while disconnected.
 */
export class PaperBroker implements BrokerConnection {
  readonly broker = PAPER_BROKER;
  readonly capabilities = PAPER_CAPABILITIES;
  /** The exchange this connection trades on. */
  readonly exchange: SimulatedExchange;
  readonly #accountIds: ReadonlySet<string>;
  /** State, its events, listeners and `health()`: the lifecycle every adapter shares. */
  readonly #life: ConnectionLifecycle;
  #unsubscribe: (() => void) | undefined;

  constructor(exchange: SimulatedExchange, accountIds: readonly string[], options: PaperBrokerOptions = {}) {
    this.exchange = exchange;
    this.#accountIds = new Set(accountIds);
    this.#life = new ConnectionLifecycle(
      PAPER_BROKER,
      options.context ?? { clock: systemClock, logger: silentLogger },
    );
    const fallback = options.startingBalance ?? DEFAULT_PAPER_BALANCE;
    for (const id of accountIds) {
      if (!exchange.hasAccount(id)) exchange.openAccount(id, options.balances?.[id] ?? fallback);
    }
  }

  /** The accounts this connection serves. */
  get accountIds(): string[] {
    return [...this.#accountIds];
  }

  async connect(): Promise<void> {
    if (this.#life.connected) return;
    this.#life.enter('connecting');
    this.#unsubscribe = this.exchange.onEvent((event) => {
      if (this.#serves(event)) this.#life.emit(event);
    });
    this.#life.enter('connected');
  }

  async disconnect(): Promise<void> {
    if (this.#life.state === 'disconnected') return;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#life.enter('disconnected');
  }

  async listAccounts(): Promise<BrokerAccount[]> {
    this.#requireConnected();
    return this.accountIds.map((accountId) => {
      const { balance } = this.exchange.account(accountId);
      return { accountId, name: accountId, balance, canTrade: true };
    });
  }

  placeOrder(request: PlaceOrderRequest): Promise<OrderAck> {
    return this.#guarded(request.accountId, () => this.exchange.placeOrder(request));
  }

  modifyOrder(request: ModifyOrderRequest): Promise<void> {
    return this.#guarded(request.accountId, () => this.exchange.modifyOrder(request));
  }

  cancelOrder(request: CancelOrderRequest): Promise<void> {
    return this.#guarded(request.accountId, () => this.exchange.cancelOrder(request));
  }

  flatten(request: FlattenRequest): Promise<void> {
    return this.#guarded(request.accountId, () => this.exchange.flatten(request));
  }

  getPositions(accountId: string): Promise<BrokerPosition[]> {
    return this.#guarded(accountId, async () => this.exchange.getPositions(accountId));
  }

  getOpenOrders(accountId: string): Promise<BrokerOrder[]> {
    return this.#guarded(accountId, async () => this.exchange.getOpenOrders(accountId));
  }

  /** The order placed with this client order id, if any: lets a retry check before placing again. */
  findOrderByClientId(accountId: string, clientOrderId: string): Promise<BrokerOrder | undefined> {
    return this.#guarded(accountId, async () => this.exchange.findOrderByClientId(accountId, clientOrderId));
  }

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    return this.#life.subscribe(listener);
  }

  health(): ConnectionHealth {
    return this.#life.health();
  }

  #serves(event: BrokerEvent): boolean {
    switch (event.type) {
      case 'order-updated':
        return this.#accountIds.has(event.order.accountId);
      case 'order-filled':
        return this.#accountIds.has(event.fill.accountId);
      case 'position-updated':
        return this.#accountIds.has(event.position.accountId);
      case 'account-updated':
        return this.#accountIds.has(event.account.accountId);
      case 'connection-changed':
        // The exchange has no connection; only this connection reports its own.
        return false;
    }
  }

  /** Runs a request only when connected and for an account this connection serves; errors become rejections. */
  async #guarded<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    this.#requireConnected();
    if (!this.#accountIds.has(accountId)) {
      throw new BrokerRejectedError(PAPER_BROKER, `account ${accountId} is not served by this connection`);
    }
    return work();
  }

  #requireConnected(): void {
    if (!this.#life.connected) throw new BrokerDisconnectedError(PAPER_BROKER, 'not connected');
  }
}
