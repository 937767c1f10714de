import type { BrokerEvent, BrokerOrder, Contract, InstrumentRegistry } from '@tradenova/core';
import { type ParseContext, parseFill, parseOrder, parsePosition } from './parse.js';
import type { TvAccount, TvFill, TvOrder, TvOrderVersion, TvPosition, TvSyncSnapshot } from './wire.js';

/**
 * The adapter's mirror of the user's Tradovate entities, fed by the sync snapshot
 * and `props` events. It turns entity changes into `BrokerEvent`s, emitting an
 * order or position only when its normalized form changed and a fill only once
 * per fill id, so a resync after a reconnect reports exactly what was missed.
 */
export class TradovateState {
  readonly #instruments: InstrumentRegistry;
  readonly accounts = new Map<number, TvAccount>();
  readonly contracts = new Map<number, Contract>();
  readonly orders = new Map<number, TvOrder>();
  /** Latest version per order id. */
  readonly versions = new Map<number, TvOrderVersion>();
  readonly fills = new Map<number, TvFill>();
  readonly positions = new Map<number, TvPosition>();
  readonly #lastOrder = new Map<number, string>();
  readonly #lastPosition = new Map<number, string>();
  /** Fills whose order we have not seen yet: emitted when it arrives. */
  readonly #heldFills = new Map<number, TvFill[]>();

  constructor(instruments: InstrumentRegistry) {
    this.#instruments = instruments;
  }

  /** Contract ids referenced by an entity that the state cannot name yet. */
  missingContract(entity: { contractId?: number }): number | undefined {
    const id = entity.contractId;
    return id !== undefined && !this.contracts.has(id) ? id : undefined;
  }

  /** Applies a sync snapshot; returns what changed since the last one (everything, the first time). */
  applySnapshot(snapshot: TvSyncSnapshot): BrokerEvent[] {
    const events: BrokerEvent[] = [];
    for (const a of snapshot.accounts ?? []) this.accounts.set(a.id, a);
    for (const v of snapshot.orderVersions ?? []) this.#keepVersion(v);
    for (const o of snapshot.orders ?? []) this.orders.set(o.id, o);
    // Fills before orders: an order's filled quantity is the sum of its fills.
    for (const f of snapshot.fills ?? []) events.push(...this.applyFill(f));
    for (const o of snapshot.orders ?? []) events.push(...this.#orderChanged(o.id));
    for (const p of snapshot.positions ?? []) events.push(...this.applyPosition(p));
    return events;
  }

  /** Applies one `props` entity. */
  apply(entityType: string, entity: unknown): BrokerEvent[] {
    switch (entityType) {
      case 'account': {
        const a = entity as TvAccount;
        this.accounts.set(a.id, a);
        return [];
      }
      case 'order': {
        const o = entity as TvOrder;
        this.orders.set(o.id, o);
        return [...this.#releaseFills(o.id), ...this.#orderChanged(o.id)];
      }
      case 'orderVersion': {
        const v = entity as TvOrderVersion;
        this.#keepVersion(v);
        return this.#orderChanged(v.orderId);
      }
      case 'fill':
        return this.applyFill(entity as TvFill);
      case 'position':
        return this.applyPosition(entity as TvPosition);
      default:
        return [];
    }
  }

  /** Records a fill; emits it once (by fill id), and the order's new filled quantity. */
  applyFill(fill: TvFill): BrokerEvent[] {
    const seen = this.fills.has(fill.id);
    this.fills.set(fill.id, fill);
    if (seen || !fill.active) return this.#orderChanged(fill.orderId);
    const order = this.orders.get(fill.orderId);
    if (!order) {
      const held = this.#heldFills.get(fill.orderId) ?? [];
      held.push(fill);
      this.#heldFills.set(fill.orderId, held);
      return [];
    }
    return [...this.#fillEvent(fill, order), ...this.#orderChanged(fill.orderId)];
  }

  /** Records a position; emits it when its net quantity or average changed. */
  applyPosition(position: TvPosition): BrokerEvent[] {
    this.positions.set(position.id, position);
    const context = this.#context(position.accountId, position.contractId);
    if (!context) return [];
    const parsed = parsePosition(position, context);
    const key = JSON.stringify(parsed);
    if (this.#lastPosition.get(position.id) === key) return [];
    this.#lastPosition.set(position.id, key);
    return [{ type: 'position-updated', position: parsed }];
  }

  /** The normalized order, when its version, account and contract are known. */
  order(orderId: number): BrokerOrder | undefined {
    const order = this.orders.get(orderId);
    const version = this.versions.get(orderId);
    if (!order || !version) return undefined;
    const context = this.#context(order.accountId, order.contractId);
    return context ? parseOrder(order, version, this.filledQty(orderId), context) : undefined;
  }

  /** Sum of the active fills of an order. */
  filledQty(orderId: number): number {
    let qty = 0;
    for (const f of this.fills.values()) if (f.orderId === orderId && f.active) qty += f.qty;
    return qty;
  }

  /** Account name of an account id. */
  accountName(accountId: number): string | undefined {
    return this.accounts.get(accountId)?.name;
  }

  #keepVersion(version: TvOrderVersion): void {
    const current = this.versions.get(version.orderId);
    // Versions only grow: a late, older one must not undo a modification.
    if (!current || current.id <= version.id) this.versions.set(version.orderId, version);
  }

  #releaseFills(orderId: number): BrokerEvent[] {
    const held = this.#heldFills.get(orderId);
    if (!held) return [];
    this.#heldFills.delete(orderId);
    const order = this.orders.get(orderId)!;
    return held.flatMap((f) => this.#fillEvent(f, order));
  }

  #fillEvent(fill: TvFill, order: TvOrder): BrokerEvent[] {
    const context = this.#context(order.accountId, fill.contractId);
    if (!context) return [];
    const clientOrderId = this.versions.get(order.id)?.text || undefined;
    return [{ type: 'order-filled', fill: parseFill(fill, clientOrderId, context) }];
  }

  #orderChanged(orderId: number): BrokerEvent[] {
    const parsed = this.order(orderId);
    if (!parsed) return [];
    // The timestamp is the creation time on Tradovate; compare without it so only real changes are reported.
    const key = JSON.stringify({ ...parsed, updatedAt: 0 });
    if (this.#lastOrder.get(orderId) === key) return [];
    this.#lastOrder.set(orderId, key);
    return [{ type: 'order-updated', order: parsed }];
  }

  #context(accountId: number, contractId: number): ParseContext | undefined {
    const accountName = this.accountName(accountId);
    const contract = this.contracts.get(contractId);
    if (accountName === undefined || !contract || !this.#instruments.has(contract.root)) return undefined;
    return { accountName, contract, tickSize: this.#instruments.get(contract.root).tickSize };
  }
}
