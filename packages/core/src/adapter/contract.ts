import type { z } from 'zod';
import type { Clock } from '../clock/clock.js';
import type { Contract } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import type { OrderType, Side, TimeInForce } from '../model/common.js';
import type { IntentBracket } from '../model/intent.js';
import type { Money } from '../money/money.js';
import type { Ticks } from '../money/price.js';
import type { Logger } from '../util/logger.js';

/** The version of this contract. An adapter written for another version is refused with a clear message. */
export const ADAPTER_SPECIFICATION_VERSION = 'v1' as const;

/**
 * How a broker offers one feature (as ccxt's `has`): `native` at the broker,
 * `emulated` by the engine on top of simpler orders, or `none` (not available).
 */
export type Support = 'native' | 'emulated' | 'none';

/** A feature an adapter declares (a field of `AdapterCapabilities`). */
export type CapabilityName =
  | 'brackets'
  | 'nativeOco'
  | 'modify'
  | 'clientOrderIds'
  | 'positionQuery'
  | 'leaderFillStream'
  | 'netReversal';

/** One adapter's declaration: every feature named, with how it is offered. */
export type CapabilityDeclaration = Readonly<Record<CapabilityName, Support>>;

/**
 * What a broker supports natively; the engine emulates what is `false`. Adapters
 * declare these once with `declareCapabilities` (native, emulated or none per
 * feature, kept in `has`); the booleans are derived from it.
 */
export interface AdapterCapabilities {
  /** Entry with stop-loss / take-profit children in one request. */
  brackets: boolean;
  /** Two orders that cancel each other, held by the broker. */
  nativeOco: boolean;
  /** Changing price or quantity of a working order in place. */
  modify: boolean;
  /** The broker stores our client order id and returns it on reports. */
  clientOrderIds: boolean;
  /** Positions can be read back from the broker. */
  positionQuery: boolean;
  /** The leader account's own orders and fills can be streamed (leader mode). */
  leaderFillStream: boolean;
  /** One order may take a position from long to short (otherwise the engine splits close-then-open). */
  netReversal: boolean;
  /** The declaration the booleans came from: native, emulated or none per feature. */
  has?: CapabilityDeclaration;
}

/** A broker's request limits, declared so the engine can queue within them. */
export interface RequestBudget {
  /** At most `requests` per `perMs` per connection. */
  requests: number;
  perMs: number;
}

export interface BrokerAccount {
  accountId: string;
  name: string;
  /** Cash balance in mils, when the broker tells it. */
  balance?: Money;
  canTrade: boolean;
}

export interface PlaceOrderRequest {
  accountId: string;
  /** Our intent id; adapters send it in the broker's client-order-id field. */
  clientOrderId: string;
  contract: Contract;
  side: Side;
  qty: number;
  orderType: OrderType;
  limitTicks?: Ticks;
  stopTicks?: Ticks;
  timeInForce?: TimeInForce;
  bracket?: IntentBracket;
}

export interface ModifyOrderRequest {
  accountId: string;
  orderId: string;
  qty?: number;
  limitTicks?: Ticks;
  stopTicks?: Ticks;
}

export interface CancelOrderRequest {
  accountId: string;
  orderId: string;
}

export interface FlattenRequest {
  accountId: string;
  /** One contract, or every position of the account when absent. */
  contract?: Contract;
}

export type BrokerOrderStatus =
  | 'pending'
  | 'working'
  | 'partially-filled'
  | 'filled'
  | 'cancelled'
  | 'rejected';

/** An order as the broker knows it. */
export interface BrokerOrder {
  orderId: string;
  clientOrderId?: string;
  accountId: string;
  contract: Contract;
  side: Side;
  qty: number;
  filledQty: number;
  orderType: OrderType;
  limitTicks?: Ticks;
  stopTicks?: Ticks;
  status: BrokerOrderStatus;
  /** Order id of the bracket parent when this is a child. */
  parentOrderId?: string;
  /** The broker's reason for a reject or cancel, verbatim. */
  reason?: string;
  /** Broker time (ms). */
  updatedAt: number;
}

export interface BrokerFill {
  fillId: string;
  orderId: string;
  clientOrderId?: string;
  accountId: string;
  contract: Contract;
  side: Side;
  qty: number;
  priceTicks: Ticks;
  time: number;
  /**
   * The broker reported this fill without a price (NinjaTrader's close of a position):
   * `priceTicks` is the adapter's best guess, and the engine books it at its own latest
   * market price for the contract when it has one.
   */
  priceEstimated?: boolean;
}

export interface BrokerPosition {
  accountId: string;
  contract: Contract;
  netQty: number;
  /** Average price in ticks (may be fractional). */
  avgPriceTicks: number;
}

/** The outcome of a placement the broker accepted. */
export interface OrderAck {
  orderId: string;
  clientOrderId: string;
  status: BrokerOrderStatus;
  /** Broker ids of bracket children, when placed natively. */
  childOrderIds?: { stopLoss?: string; takeProfit?: string };
  /** Broker time of the acknowledgement (ms). */
  time: number;
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** What a connection reports as it happens. */
/**
 * What a broker reports of an account's money (Rithmic's PnL plant), in integer mils;
 * a field the broker did not send is absent.
 */
export interface BrokerAccountUpdate {
  accountId: string;
  /** Account balance. */
  balance?: Money;
  /** P&L of closed positions, today. */
  realizedPnl?: Money;
  /** P&L of open positions at the broker's marks. */
  unrealizedPnl?: Money;
  /** Broker time (ms). */
  time: number;
}

export type BrokerEvent =
  | { type: 'order-updated'; order: BrokerOrder }
  | { type: 'order-filled'; fill: BrokerFill }
  | { type: 'position-updated'; position: BrokerPosition }
  | { type: 'account-updated'; account: BrokerAccountUpdate }
  | { type: 'connection-changed'; state: ConnectionState; reason?: string };

export interface ConnectionHealth {
  state: ConnectionState;
  /** Last round trip to the broker in ms, when measured. */
  latencyMs?: number;
  lastError?: string;
}

/** One login at one broker, serving one or more accounts. */
export interface BrokerConnection {
  readonly broker: string;
  readonly capabilities: AdapterCapabilities;
  readonly budget?: RequestBudget;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listAccounts(): Promise<BrokerAccount[]>;
  placeOrder(request: PlaceOrderRequest): Promise<OrderAck>;
  modifyOrder(request: ModifyOrderRequest): Promise<void>;
  cancelOrder(request: CancelOrderRequest): Promise<void>;
  flatten(request: FlattenRequest): Promise<void>;
  getPositions(accountId: string): Promise<BrokerPosition[]>;
  getOpenOrders(accountId: string): Promise<BrokerOrder[]>;
  /**
   * The order this account placed with this client order id (intent id), read from the
   * broker, terminal ones included. Optional: how a retry after an unknown outcome, or
   * a restart, checks before placing again.
   */
  findOrderByClientId?(accountId: string, clientOrderId: string): Promise<BrokerOrder | undefined>;
  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (event: BrokerEvent) => void): () => void;
  health(): ConnectionHealth;
}

/** What the engine hands an adapter's factory. */
export interface AdapterContext {
  clock: Clock;
  logger: Logger;
  instruments: InstrumentRegistry;
}

/** The default export of an adapter package. */
export interface AdapterPlugin<TConfig = unknown> {
  specificationVersion: typeof ADAPTER_SPECIFICATION_VERSION;
  /** The `broker:` name in config, e.g. `tradovate`. */
  name: string;
  /** Semver range of `@tradenova/core` this adapter was written for. */
  core?: string;
  configSchema: z.ZodType<TConfig>;
  capabilities: AdapterCapabilities;
  create(config: TConfig, context: AdapterContext): BrokerConnection;
}
