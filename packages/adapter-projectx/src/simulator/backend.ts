import type {
  BrokerEvent,
  BrokerFill,
  BrokerOrder,
  BrokerPosition,
  Clock,
  SimulatedExchange,
} from '@tradenova/core';
import { pxSideOf, ticksToWirePrice } from '../parse.js';
import { toProjectXContractId, toProjectXSymbolId } from '../symbols.js';
import {
  HUB_EVENTS,
  type PxAccount,
  type PxOrder,
  PxOrderStatus,
  PxOrderType,
  type PxPosition,
  PxPositionType,
  type PxTrade,
} from '../wire.js';
import type { HubTopic } from './hub.js';
import type { SimAccountSpec } from './server.js';

/** One simulator order: the exchange's id, ours, and what only ProjectX keeps. */
export interface SimOrder {
  id: number;
  exchangeId: string;
  accountId: number;
  customTag: string | null;
  createdAt: string;
  /** Fill value and volume, for `filledPrice`. */
  filledTicks: number;
  filledQty: number;
}

/** A hub event for whichever front end is up: topic, account, target and entity. */
export type HubPublisher = (topic: HubTopic, accountId: number, target: string, entity: object) => void;

/**
 * ProjectX's back end: its order ids, custom tags, trades and position ids, built from
 * the exchange's events. One per exchange (`ProjectXBackEnd.of`), listening to it for
 * the exchange's life, so a front end that restarts on the same exchange reports every
 * order under the id and customTag it had, and the trades made while it was down, as a
 * client logging in to a restarted gateway would see them.
 */
export class ProjectXBackEnd {
  readonly #exchange: SimulatedExchange;
  readonly #clock: Clock;
  readonly accounts = new Map<number, SimAccountSpec>();
  readonly #accountByName = new Map<string, SimAccountSpec>();
  readonly orders = new Map<number, SimOrder>();
  readonly #byExchangeId = new Map<string, SimOrder>();
  /** `accountId|customTag` → order id: a tag is used once per account. */
  readonly tags = new Map<string, number>();
  readonly trades: PxTrade[] = [];
  readonly #positionIds = new Map<string, number>();
  readonly #positionSince = new Map<string, string>();
  /** Client order ids made up for orders without a tag (never shown as one). */
  readonly #internalIds = new Set<string>();
  readonly #publishers = new Set<HubPublisher>();
  #orderCounter = 9_000;
  #tradeCounter = 8_600;
  #positionCounter = 6_100;
  #internalTag = 0;

  private constructor(exchange: SimulatedExchange, clock: Clock) {
    this.#exchange = exchange;
    this.#clock = clock;
    exchange.onEvent((event) => this.#onExchange(event));
  }

  /** The back end of `exchange`, made on first use. */
  static of(exchange: SimulatedExchange, clock: Clock): ProjectXBackEnd {
    return exchange.backEnd('projectx', () => new ProjectXBackEnd(exchange, clock));
  }

  /** Registers an account a front end serves. */
  addAccount(spec: SimAccountSpec): void {
    this.accounts.set(spec.id, spec);
    this.#accountByName.set(spec.name, spec);
  }

  /** Sends hub events to `publish` until the returned function is called. */
  onPublish(publish: HubPublisher): () => void {
    this.#publishers.add(publish);
    return () => {
      this.#publishers.delete(publish);
    };
  }

  /** A new order id for an order rejected before the exchange saw it (the platform still numbers it, §5.1). */
  nextOrderId(): number {
    return ++this.#orderCounter;
  }

  /** A client order id for an order placed without a `customTag`, unique for the exchange's life. */
  internalId(prefix: string): string {
    const id = `${prefix}-${++this.#internalTag}`;
    this.#internalIds.add(id);
    return id;
  }

  /** The simulator order of an exchange order, numbered on first sight. */
  simOrder(order: BrokerOrder): SimOrder | undefined {
    let sim = this.#byExchangeId.get(order.orderId);
    if (sim) return sim;
    const account = this.#accountByName.get(order.accountId);
    if (!account) return undefined;
    const tag = order.clientOrderId;
    const customTag = tag === undefined || this.#internalIds.has(tag) ? null : tag;
    sim = {
      id: ++this.#orderCounter,
      exchangeId: order.orderId,
      accountId: account.id,
      customTag,
      createdAt: new Date(this.#clock.now()).toISOString(),
      filledTicks: 0,
      filledQty: 0,
    };
    this.orders.set(sim.id, sim);
    this.#byExchangeId.set(order.orderId, sim);
    return sim;
  }

  // ── exchange events → ProjectX entities and hub events ───────────────────

  #onExchange(event: BrokerEvent): void {
    switch (event.type) {
      case 'order-updated':
        this.#onOrder(event.order);
        return;
      case 'order-filled':
        this.#onFill(event.fill);
        return;
      case 'position-updated':
        this.#onPosition(event.position);
        return;
      default:
        return;
    }
  }

  #publish(topic: HubTopic, accountId: number, target: string, entity: object): void {
    for (const publish of [...this.#publishers]) publish(topic, accountId, target, entity);
  }

  #onOrder(order: BrokerOrder): void {
    const sim = this.simOrder(order);
    if (!sim) return;
    this.#publish('orders', sim.accountId, HUB_EVENTS.order, this.pxOrder(order));
  }

  #onFill(fill: BrokerFill): void {
    const account = this.#accountByName.get(fill.accountId);
    const sim = this.#byExchangeId.get(fill.orderId);
    if (!account || !sim) return;
    sim.filledTicks += fill.priceTicks * fill.qty;
    sim.filledQty += fill.qty;
    const tickSize = this.#exchange.instruments.get(fill.contract.root).tickSize;
    const trade: PxTrade = {
      id: ++this.#tradeCounter,
      accountId: account.id,
      contractId: toProjectXContractId(fill.contract),
      creationTimestamp: new Date(fill.time).toISOString(),
      price: ticksToWirePrice(fill.priceTicks, tickSize),
      profitAndLoss: null,
      fees: 0,
      side: pxSideOf(fill.side),
      size: fill.qty,
      voided: false,
      orderId: sim.id,
    };
    this.trades.push(trade);
    this.#publish('trades', account.id, HUB_EVENTS.trade, trade);
  }

  #onPosition(position: BrokerPosition): void {
    const account = this.#accountByName.get(position.accountId);
    if (!account) return;
    // How a flat position is signalled is UNCONFIRMED (§7.3): this simulator sends size 0, type 0.
    this.#publish('positions', account.id, HUB_EVENTS.position, this.pxPosition(position));
    this.#publish('accounts', account.id, HUB_EVENTS.account, this.pxAccount(account));
  }

  // ── entity shapes ─────────────────────────────────────────────────────────

  pxAccount(a: SimAccountSpec): PxAccount {
    return {
      id: a.id,
      name: a.name,
      balance: this.#exchange.account(a.name).balance / 1000,
      canTrade: a.canTrade ?? true,
      isVisible: true,
      simulated: a.simulated ?? true,
    };
  }

  pxOrder(order: BrokerOrder): PxOrder {
    const sim = this.simOrder(order)!;
    const tickSize = this.#exchange.instruments.get(order.contract.root).tickSize;
    const parent =
      order.parentOrderId === undefined ? undefined : this.#byExchangeId.get(order.parentOrderId);
    const px: PxOrder = {
      id: sim.id,
      accountId: sim.accountId,
      contractId: toProjectXContractId(order.contract),
      symbolId: toProjectXSymbolId(order.contract),
      creationTimestamp: sim.createdAt,
      updateTimestamp: new Date(order.updatedAt).toISOString(),
      status: pxStatus(order),
      type: pxType(order.orderType),
      side: pxSideOf(order.side),
      size: order.qty,
      limitPrice: order.limitTicks === undefined ? null : ticksToWirePrice(order.limitTicks, tickSize),
      stopPrice: order.stopTicks === undefined ? null : ticksToWirePrice(order.stopTicks, tickSize),
      fillVolume: order.filledQty,
      filledPrice:
        sim.filledQty === 0
          ? null
          : Number(((sim.filledTicks / sim.filledQty) * Number(tickSize)).toFixed(9)),
      customTag: sim.customTag,
    };
    if (parent) px.parentOrderId = parent.id;
    return px;
  }

  pxPosition(position: BrokerPosition): PxPosition {
    const account = this.#accountByName.get(position.accountId)!;
    const contractId = toProjectXContractId(position.contract);
    const slot = `${account.id}|${contractId}`;
    if (position.netQty === 0) {
      this.#positionSince.delete(slot);
    } else if (!this.#positionSince.has(slot)) {
      this.#positionSince.set(slot, new Date(this.#clock.now()).toISOString());
    }
    let id = this.#positionIds.get(slot);
    if (id === undefined) {
      id = ++this.#positionCounter;
      this.#positionIds.set(slot, id);
    }
    const tickSize = Number(this.#exchange.instruments.get(position.contract.root).tickSize);
    return {
      id,
      accountId: account.id,
      contractId,
      creationTimestamp: this.#positionSince.get(slot) ?? new Date(this.#clock.now()).toISOString(),
      type:
        position.netQty > 0
          ? PxPositionType.Long
          : position.netQty < 0
            ? PxPositionType.Short
            : PxPositionType.Undefined,
      size: Math.abs(position.netQty),
      // An average need not sit on a tick; nine decimals as the live API prints them.
      averagePrice: position.netQty === 0 ? 0 : Number((position.avgPriceTicks * tickSize).toFixed(9)),
    };
  }
}

function pxStatus(order: BrokerOrder): PxOrder['status'] {
  switch (order.status) {
    case 'pending':
      // A bracket child waits Suspended for its entry; anything else is Pending.
      return order.parentOrderId === undefined ? PxOrderStatus.Pending : PxOrderStatus.Suspended;
    case 'working':
    case 'partially-filled':
      return PxOrderStatus.Open;
    case 'filled':
      return PxOrderStatus.Filled;
    case 'cancelled':
      return PxOrderStatus.Cancelled;
    case 'rejected':
      return PxOrderStatus.Rejected;
  }
}

function pxType(type: BrokerOrder['orderType']): PxOrder['type'] {
  switch (type) {
    case 'market':
      return PxOrderType.Market;
    case 'limit':
      return PxOrderType.Limit;
    case 'stop':
      return PxOrderType.Stop;
    case 'stop-limit':
      return PxOrderType.StopLimit;
  }
}
