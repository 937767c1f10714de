import type { BrokerEvent, BrokerOrder, Contract, InstrumentRegistry } from '@tradenova/core';
import { isTerminalStatus, type ParseContext, parseOrder, parsePosition, parseTrade } from './parse.js';
import { fromProjectXContractId, type RootOverrides } from './symbols.js';
import type { PxAccount, PxOrder, PxPosition, PxTrade } from './wire.js';

/**
 * The adapter's mirror of the served accounts' orders, trades and positions, fed
 * by hub events and, while the hub is down, by REST polls. It turns them into
 * `BrokerEvent`s: an order or position only when its normalized form changed, a
 * fill only once per trade id. That is what makes the switch between hub and
 * polling lose or double nothing: both feed the same dedupe.
 */
export class ProjectXState {
  readonly #instruments: InstrumentRegistry;
  readonly #roots: RootOverrides | undefined;
  readonly accounts = new Map<number, PxAccount>();
  /** Contract id → canonical contract, learnt from `Contract/search` (ids not learnt are read by grammar). */
  readonly contracts = new Map<string, Contract>();
  readonly orders = new Map<number, PxOrder>();
  /**
   * Order id → the custom tag it was placed with, learnt from the placement's answer and from
   * order lists before their events: a trade names its order id only, and may come first.
   */
  readonly #tags = new Map<number, string>();
  readonly #lastOrder = new Map<number, string>();
  readonly #seenTrades = new Set<number>();
  /** `accountId|contractId` → last emitted position key. */
  readonly #lastPosition = new Map<string, string>();

  constructor(instruments: InstrumentRegistry, roots?: RootOverrides) {
    this.#instruments = instruments;
    this.#roots = roots;
  }

  /** Remembers the custom tags of orders (a placement's answer, a polled list) before any event of them. */
  learnTags(orders: readonly { id: number; customTag?: string | null }[]): void {
    for (const o of orders) if (o.customTag) this.#tags.set(o.id, o.customTag);
  }

  /** Applies an order; emits it when its normalized form changed. */
  applyOrder(order: PxOrder): BrokerEvent[] {
    const previous = this.orders.get(order.id);
    // The hub may omit the tag; keep the one we saw.
    const tag = previous?.customTag || this.#tags.get(order.id);
    const merged: PxOrder = tag && !order.customTag ? { ...order, customTag: tag } : order;
    this.orders.set(order.id, merged);
    const parsed = this.order(order.id);
    if (!parsed) return [];
    const key = JSON.stringify({ ...parsed, updatedAt: 0 });
    if (this.#lastOrder.get(order.id) === key) return [];
    this.#lastOrder.set(order.id, key);
    return [{ type: 'order-updated', order: parsed }];
  }

  /** Applies a trade; emits it once per trade id (voided trades are not fills). */
  applyTrade(trade: PxTrade): BrokerEvent[] {
    if (trade.voided || this.#seenTrades.has(trade.id)) return [];
    const context = this.context(trade.accountId, trade.contractId);
    if (!context) return [];
    this.#seenTrades.add(trade.id);
    const clientOrderId = this.orders.get(trade.orderId)?.customTag || this.#tags.get(trade.orderId);
    return [{ type: 'order-filled', fill: parseTrade(trade, clientOrderId || undefined, context) }];
  }

  /** Marks trades as already reported (the history before this connection), without events. */
  knowTrades(trades: readonly PxTrade[]): void {
    for (const t of trades) this.#seenTrades.add(t.id);
  }

  /** Applies a position; emits it when its net quantity or average changed. A size 0 is flat. */
  applyPosition(position: PxPosition): BrokerEvent[] {
    const context = this.context(position.accountId, position.contractId);
    if (!context) return [];
    const parsed = parsePosition(position, context);
    const slot = `${position.accountId}|${position.contractId}`;
    const key = `${parsed.netQty}|${parsed.avgPriceTicks}`;
    if (this.#lastPosition.get(slot) === key) return [];
    // A flat position we never saw open is no news.
    if (!this.#lastPosition.has(slot) && parsed.netQty === 0) return [];
    this.#lastPosition.set(slot, key);
    return [{ type: 'position-updated', position: parsed }];
  }

  /**
   * Applies the full list of an account's open positions (a poll): positions that
   * were open and are missing now are reported flat.
   */
  applyPositionList(accountId: number, positions: readonly PxPosition[]): BrokerEvent[] {
    const events = positions.flatMap((p) => this.applyPosition(p));
    const present = new Set(positions.map((p) => `${p.accountId}|${p.contractId}`));
    for (const [slot, key] of this.#lastPosition) {
      const [account, contractId] = slot.split('|') as [string, string];
      if (Number(account) !== accountId || present.has(slot) || key.startsWith('0|')) continue;
      events.push(
        ...this.applyPosition({
          id: 0,
          accountId,
          contractId,
          creationTimestamp: new Date(0).toISOString(),
          type: 0,
          size: 0,
          averagePrice: 0,
        }),
      );
    }
    return events;
  }

  /** Records the starting point (a snapshot at connect) without emitting anything. */
  baseline(orders: readonly PxOrder[], positions: readonly PxPosition[]): void {
    for (const o of orders) this.applyOrder(o);
    for (const p of positions) this.applyPosition(p);
  }

  /** The normalized order, when its account and contract are known. */
  order(orderId: number): BrokerOrder | undefined {
    const order = this.orders.get(orderId);
    if (!order) return undefined;
    const context = this.context(order.accountId, order.contractId);
    return context ? parseOrder(order, context) : undefined;
  }

  /** Orders the mirror believes can still change. */
  openOrders(accountId: number): PxOrder[] {
    return [...this.orders.values()].filter((o) => o.accountId === accountId && !isTerminalStatus(o.status));
  }

  /** The canonical contract of a contract id: learnt from a search, else read from the id's grammar. */
  contract(contractId: string): Contract | undefined {
    const known = this.contracts.get(contractId);
    if (known) return known;
    try {
      const parsed = fromProjectXContractId(contractId, this.#roots);
      this.contracts.set(contractId, parsed);
      return parsed;
    } catch {
      return undefined;
    }
  }

  /** Account name, contract and tick size of an entity, when all are known. */
  context(accountId: number, contractId: string): ParseContext | undefined {
    const account = this.accounts.get(accountId);
    const contract = this.contract(contractId);
    if (!account || !contract || !this.#instruments.has(contract.root)) return undefined;
    return { accountName: account.name, contract, tickSize: this.#instruments.get(contract.root).tickSize };
  }
}
