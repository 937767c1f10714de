import {
  averageTicksToPrice,
  type BrokerEvent,
  type BrokerFill,
  type BrokerOrder,
  type BrokerPosition,
  type Contract,
  type InstrumentRegistry,
  type SimulatedExchange,
  ticksToPrice,
} from '@tradenova/core';
import { actionOf, tvOrderTypeOf } from '../parse.js';
import { toTradovateSymbol } from '../symbols.js';
import {
  type TvAccount,
  type TvContract,
  type TvFill,
  type TvOrder,
  type TvOrderVersion,
  type TvOrdStatus,
  type TvPosition,
  type TvPropsEvent,
  tradeDateOf,
} from '../wire.js';

/** What the simulator remembers of a placement request, to dress the exchange's orders as Tradovate's. */
export interface PlacementTags {
  text?: string;
  clOrdId?: string;
  isAutomated: boolean;
  /** Texts of the bracket children, by the role the exchange gives them. */
  children?: { stopLoss?: string; takeProfit?: string };
}

/** Receives every entity change with the numeric account it belongs to. */
export type PropsListener = (accountId: number, event: TvPropsEvent) => void;

/**
 * Tradovate's entities (orders, order versions, fills, positions, contracts)
 * built from the shared exchange's events, with Tradovate's numeric ids. Every
 * change is announced as a `props` event, as the sync stream does.
 *
 * This is the broker's back end: one per exchange (`SimEntities.of`), listening to
 * the exchange for the exchange's life. A simulator front end that stops and starts
 * again on the same exchange finds every order, version, fill and position under the
 * ids it reported before, and the ones made while it was down, as a client logging in
 * to a restarted Tradovate would.
 */
export class SimEntities {
  readonly #instruments: InstrumentRegistry;
  readonly accounts = new Map<number, TvAccount>();
  readonly #accountIdByName = new Map<string, number>();
  readonly contracts = new Map<number, TvContract>();
  readonly #contractIdByName = new Map<string, number>();
  readonly #contractOfId = new Map<number, Contract>();
  readonly orders = new Map<number, TvOrder>();
  /** Every version of every order, oldest first. */
  readonly versions = new Map<number, TvOrderVersion>();
  readonly #latestVersion = new Map<number, TvOrderVersion>();
  readonly fills = new Map<number, TvFill>();
  readonly positions = new Map<number, TvPosition>();
  readonly #positionIdByKey = new Map<number, number>();
  readonly #traded = new Map<number, { bought: number; sold: number }>();
  /** Exchange order id ↔ Tradovate order id. */
  readonly #tvOrderId = new Map<string, number>();
  readonly exchangeOrderId = new Map<number, string>();
  /** Tags of placements on their way to the exchange, by exchange client id, oldest first. */
  readonly #tags = new Map<string, PlacementTags[]>();
  readonly #tagsByOrder = new Map<number, PlacementTags>();
  readonly #textOf = new Map<number, string>();
  readonly #listeners = new Set<PropsListener>();
  #nextOrderId = 10_000_001;
  #nextVersionId = 20_000_001;
  #nextFillId = 30_000_001;
  #nextPositionId = 40_000_001;
  #nextContractId = 3_570_001;
  #nextCommandId = 50_000_001;
  #placements = 0;
  readonly #users = new Map<string, number>();
  /** Orders created since `markCreated()`: how liquidateposition learns its order id. */
  #created: number[] = [];

  constructor(instruments: InstrumentRegistry) {
    this.#instruments = instruments;
  }

  /** The back end of `exchange`: made on first use, subscribed to the exchange for good. */
  static of(exchange: SimulatedExchange): SimEntities {
    return exchange.backEnd('tradovate', () => {
      const entities = new SimEntities(exchange.instruments);
      exchange.onEvent((event) => entities.apply(event));
      return entities;
    });
  }

  /** A client order id for the exchange, unique for the exchange's life, for a placement without `clOrdId`. */
  nextPlacementId(): string {
    return `tv-${++this.#placements}`;
  }

  /** The user id of a login name, the same every time the name logs in. */
  userIdOf(name: string): number {
    let id = this.#users.get(name);
    if (id === undefined) {
      id = 98_001 + this.#users.size;
      this.#users.set(name, id);
    }
    return id;
  }

  /** Registers an account; every front end on the exchange must give an id the same name. */
  addAccount(account: TvAccount): void {
    const known = this.accounts.get(account.id);
    if (known && known.name !== account.name)
      throw new Error(`account id ${account.id} is already ${known.name} on this exchange`);
    this.accounts.set(account.id, account);
    this.#accountIdByName.set(account.name, account.id);
  }

  /** Numeric id of an account name. */
  accountIdOf(name: string): number | undefined {
    return this.#accountIdByName.get(name);
  }

  /** Subscribes to entity changes. */
  onProps(listener: PropsListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** The contract entity of a canonical contract, created on first use (ids are stable for the run). */
  contractFor(contract: Contract): TvContract {
    const name = toTradovateSymbol(contract);
    let id = this.#contractIdByName.get(name);
    if (id === undefined) {
      id = this.#nextContractId++;
      this.#contractIdByName.set(name, id);
      this.#contractOfId.set(id, { ...contract });
      this.contracts.set(id, { id, name, contractMaturityId: 52_000 + (id % 1000) });
    }
    return this.contracts.get(id)!;
  }

  /** The canonical contract of a contract id. */
  contractOf(contractId: number): Contract | undefined {
    return this.#contractOfId.get(contractId);
  }

  /** A new command id for modify / cancel answers. */
  nextCommandId(): number {
    return this.#nextCommandId++;
  }

  /**
   * Remembers the tags of a placement before the exchange sees it (its events may come
   * within the call). Several placements may share a `clOrdId`: the exchange takes them
   * in order, so each new order takes the oldest tags waiting under its client id.
   * Returns the function that forgets them if the exchange never made the order.
   */
  tagPlacement(exchangeClientId: string, tags: PlacementTags): () => void {
    const queue = this.#tags.get(exchangeClientId) ?? [];
    queue.push(tags);
    this.#tags.set(exchangeClientId, queue);
    return () => {
      const waiting = this.#tags.get(exchangeClientId);
      const at = waiting?.indexOf(tags) ?? -1;
      if (at >= 0) waiting!.splice(at, 1);
      if (waiting?.length === 0) this.#tags.delete(exchangeClientId);
    };
  }

  #takeTags(exchangeClientId: string): PlacementTags | undefined {
    const queue = this.#tags.get(exchangeClientId);
    const tags = queue?.shift();
    if (queue?.length === 0) this.#tags.delete(exchangeClientId);
    return tags;
  }

  /** The Tradovate id of an exchange order id. */
  tvOrderIdOf(exchangeOrderId: string): number | undefined {
    return this.#tvOrderId.get(exchangeOrderId);
  }

  /** The text the next version of an order carries (a modify may change it). */
  setText(tvOrderId: number, text: string): void {
    this.#textOf.set(tvOrderId, text);
  }

  /** The latest version of an order. */
  latestVersion(tvOrderId: number): TvOrderVersion | undefined {
    return this.#latestVersion.get(tvOrderId);
  }

  /** Starts recording created orders. */
  markCreated(): void {
    this.#created = [];
  }

  /** Orders created since `markCreated()`. */
  createdSinceMark(): number[] {
    return [...this.#created];
  }

  /** Applies one exchange event. */
  apply(event: BrokerEvent): void {
    switch (event.type) {
      case 'order-updated':
        this.#order(event.order);
        return;
      case 'order-filled':
        this.#fill(event.fill);
        return;
      case 'position-updated':
        this.#position(event.position);
        return;
      case 'connection-changed':
        return;
    }
  }

  #order(order: BrokerOrder): void {
    const accountId = this.#accountIdByName.get(order.accountId);
    if (accountId === undefined) return;
    const contract = this.contractFor(order.contract);
    const tvId = this.#tvOrderId.get(order.orderId);
    const isChild = order.parentOrderId !== undefined;
    const status = ordStatusOf(order, isChild);
    if (tvId === undefined) {
      const id = this.#nextOrderId++;
      this.#tvOrderId.set(order.orderId, id);
      this.exchangeOrderId.set(id, order.orderId);
      this.#created.push(id);
      const tags = this.#tagsOf(order);
      if (tags?.text) this.#textOf.set(id, tags.text);
      if (order.clientOrderId !== undefined && tags) this.#tagsByOrder.set(id, tags as PlacementTags);
      const entity: TvOrder = {
        id,
        accountId,
        contractId: contract.id,
        timestamp: new Date(order.updatedAt).toISOString(),
        action: actionOf(order.side),
        ordStatus: status,
        admin: false,
        isAutomated: tags?.isAutomated ?? true,
      };
      if (isChild) {
        const parent = this.#tvOrderId.get(order.parentOrderId!);
        if (parent !== undefined) entity.parentId = parent;
      }
      this.orders.set(id, entity);
      this.#emit(accountId, 'order', 'Created', entity);
      this.#version(accountId, id, order);
      return;
    }
    const entity = this.orders.get(tvId)!;
    const latest = this.#latestVersion.get(tvId);
    if (!latest || versionChanged(latest, order, this.#tickSize(order.contract), this.#textOf.get(tvId))) {
      this.#version(accountId, tvId, order);
    }
    entity.ordStatus = status;
    this.#emit(accountId, 'order', 'Updated', entity);
  }

  #version(accountId: number, tvOrderId: number, order: BrokerOrder): void {
    const tickSize = this.#tickSize(order.contract);
    const version: TvOrderVersion = {
      id: this.#nextVersionId++,
      orderId: tvOrderId,
      orderQty: order.qty,
      orderType: tvOrderTypeOf(order.orderType),
      timeInForce: 'Day',
    };
    if (order.limitTicks !== undefined) version.price = ticksToPrice(order.limitTicks, tickSize);
    if (order.stopTicks !== undefined) version.stopPrice = ticksToPrice(order.stopTicks, tickSize);
    const text = this.#textOf.get(tvOrderId);
    if (text !== undefined) version.text = text;
    this.versions.set(version.id, version);
    this.#latestVersion.set(tvOrderId, version);
    this.#emit(accountId, 'orderVersion', 'Created', version);
  }

  #tagsOf(order: BrokerOrder): { text?: string; isAutomated: boolean } | undefined {
    if (order.clientOrderId !== undefined) return this.#takeTags(order.clientOrderId);
    if (order.parentOrderId === undefined) return undefined;
    // A bracket child: the exchange knows it by its parent and its type, Tradovate by bracket1/bracket2.
    const parentTvId = this.#tvOrderId.get(order.parentOrderId);
    const parentTags = parentTvId === undefined ? undefined : this.#tagsByOrder.get(parentTvId);
    const role = order.orderType === 'stop' || order.orderType === 'stop-limit' ? 'stopLoss' : 'takeProfit';
    const text = parentTags?.children?.[role];
    return { isAutomated: parentTags?.isAutomated ?? true, ...(text === undefined ? {} : { text }) };
  }

  #fill(fill: BrokerFill): void {
    const accountId = this.#accountIdByName.get(fill.accountId);
    const orderId = this.#tvOrderId.get(fill.orderId);
    if (accountId === undefined || orderId === undefined) return;
    const contract = this.contractFor(fill.contract);
    const entity: TvFill = {
      id: this.#nextFillId++,
      orderId,
      contractId: contract.id,
      timestamp: new Date(fill.time).toISOString(),
      tradeDate: tradeDateOf(fill.time),
      action: actionOf(fill.side),
      qty: fill.qty,
      price: ticksToPrice(fill.priceTicks, this.#tickSize(fill.contract)),
      active: true,
      finallyPaired: 0,
    };
    this.fills.set(entity.id, entity);
    const key = this.#positionKey(accountId, contract.id);
    const traded = this.#traded.get(key) ?? { bought: 0, sold: 0 };
    if (fill.side === 'buy') traded.bought += fill.qty;
    else traded.sold += fill.qty;
    this.#traded.set(key, traded);
    this.#emit(accountId, 'fill', 'Created', entity);
  }

  #position(position: BrokerPosition): void {
    const accountId = this.#accountIdByName.get(position.accountId);
    if (accountId === undefined) return;
    const contract = this.contractFor(position.contract);
    const key = this.#positionKey(accountId, contract.id);
    let id = this.#positionIdByKey.get(key);
    const created = id === undefined;
    if (id === undefined) {
      id = this.#nextPositionId++;
      this.#positionIdByKey.set(key, id);
    }
    const now = Date.now();
    const traded = this.#traded.get(key) ?? { bought: 0, sold: 0 };
    const qty = Math.abs(position.netQty);
    const entity: TvPosition = {
      id,
      accountId,
      contractId: contract.id,
      timestamp: new Date(now).toISOString(),
      tradeDate: tradeDateOf(now),
      netPos: position.netQty,
      bought: traded.bought,
      sold: traded.sold,
      prevPos: 0,
    };
    if (qty > 0) {
      // The exchange's average is total ticks ÷ qty; total ticks is whole, so rounding recovers it exactly.
      const totalTicks = Math.round(position.avgPriceTicks * qty);
      entity.netPrice = averageTicksToPrice(totalTicks, qty, this.#tickSize(position.contract));
    }
    this.positions.set(id, entity);
    this.#emit(accountId, 'position', created ? 'Created' : 'Updated', entity);
  }

  #positionKey(accountId: number, contractId: number): number {
    // Unique per pair for any realistic id range; the map needs a primitive key.
    return accountId * 10_000_000 + contractId;
  }

  #tickSize(contract: Contract): string {
    return this.#instruments.get(contract.root).tickSize;
  }

  #emit(accountId: number, entityType: string, eventType: TvPropsEvent['eventType'], entity: object): void {
    // Listeners get a copy: later changes to the entity must not rewrite an event already queued.
    const event: TvPropsEvent = { entityType, eventType, entity: { ...entity } };
    for (const listener of [...this.#listeners]) listener(accountId, event);
  }
}

/** Tradovate's status of an exchange order; a held bracket child is `Suspended`. */
function ordStatusOf(order: BrokerOrder, isChild: boolean): TvOrdStatus {
  switch (order.status) {
    case 'pending':
      return isChild ? 'Suspended' : 'PendingNew';
    case 'working':
    case 'partially-filled':
      return 'Working';
    case 'filled':
      return 'Filled';
    case 'cancelled':
      return 'Canceled';
    case 'rejected':
      return 'Rejected';
  }
}

function versionChanged(
  version: TvOrderVersion,
  order: BrokerOrder,
  tickSize: string,
  text: string | undefined,
): boolean {
  const price = order.limitTicks === undefined ? undefined : ticksToPrice(order.limitTicks, tickSize);
  const stop = order.stopTicks === undefined ? undefined : ticksToPrice(order.stopTicks, tickSize);
  return (
    version.orderQty !== order.qty ||
    version.price !== price ||
    version.stopPrice !== stop ||
    version.text !== text
  );
}
