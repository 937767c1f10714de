/**
 * The adapter's picture of orders and positions, built only from what Rithmic
 * pushes: 351 (order-plant lifecycle), 352 (exchange reports and fills) and 450
 * (PnL plant positions). Each push becomes zero or more contract events.
 */
import {
  type BrokerEvent,
  type BrokerOrder,
  type BrokerPosition,
  type Contract,
  contractKey,
  type InstrumentRegistry,
  parseMoney,
} from '@tradenova/core';
import {
  isTerminalStatus,
  messageTime,
  orderTypeFromWire,
  priceFields,
  sideFromWire,
  wireToAverageTicks,
  wireToTicks,
} from './parse.js';
import { fromRithmicSymbol } from './symbols.js';
import { ExchangeNotify, num, OrderNotify, type RithmicMessage, str } from './wire.js';

/** One order as far as we know it. */
interface Tracked {
  order: BrokerOrder;
  fillIds: Set<string>;
  /**
   * Modifies the order plant accepted (315) whose outcome (351 MODIFIED or
   * MODIFICATION_FAILED) has not arrived yet. While any is open, other notifications
   * may carry the terms from before them and must not restate the order.
   */
  modifiesInFlight: number;
}

/** Orders keyed by `basket_id`, client order ids by `user_tag`, positions by account and contract. */
export class RithmicState {
  readonly #registry: InstrumentRegistry;
  readonly #now: () => number;
  readonly #orders = new Map<string, Tracked>();
  readonly #byTag = new Map<string, string>();
  readonly #positions = new Map<string, BrokerPosition>();
  /** Latest `ssboe` of a fill seen, so a replay after a reconnect can start there. */
  lastFillSsboe: number | undefined;

  constructor(registry: InstrumentRegistry, now: () => number) {
    this.#registry = registry;
    this.#now = now;
  }

  /** The order with this basket id. */
  order(basketId: string): BrokerOrder | undefined {
    const tracked = this.#orders.get(basketId);
    return tracked ? { ...tracked.order } : undefined;
  }

  /** The order this account placed with this `user_tag`. */
  orderByTag(accountId: string, userTag: string): BrokerOrder | undefined {
    const basketId = this.#byTag.get(tagKey(accountId, userTag));
    return basketId === undefined ? undefined : this.order(basketId);
  }

  /**
   * Tracks an order the order plant accepted (313) with the terms we sent, so it can be
   * modified or cancelled at once: 313 names the basket id and nothing orders the 351/352
   * notifications after it. Notifications that already arrived win.
   */
  placed(order: BrokerOrder): void {
    if (this.#orders.has(order.orderId)) return;
    this.#orders.set(order.orderId, { order: { ...order }, fillIds: new Set(), modifiesInFlight: 0 });
    if (order.clientOrderId) this.#byTag.set(tagKey(order.accountId, order.clientOrderId), order.orderId);
  }

  /**
   * The order plant accepted a modify (315): the order's terms are now the ones sent,
   * until its 351 MODIFIED or MODIFICATION_FAILED says otherwise. The next modify
   * restates these, not the terms of older notifications.
   */
  modified(basketId: string, terms: { qty: number; limitTicks?: number; stopTicks?: number }): void {
    const tracked = this.#orders.get(basketId);
    if (!tracked || isTerminalStatus(tracked.order.status)) return;
    tracked.modifiesInFlight++;
    tracked.order.qty = terms.qty;
    if (terms.limitTicks !== undefined) tracked.order.limitTicks = terms.limitTicks;
    if (terms.stopTicks !== undefined) tracked.order.stopTicks = terms.stopTicks;
  }

  /** Orders of an account that are not final. */
  workingOrders(accountId: string): BrokerOrder[] {
    return [...this.#orders.values()]
      .filter((t) => t.order.accountId === accountId && !isTerminalStatus(t.order.status))
      .map((t) => ({ ...t.order }));
  }

  /** Positions of an account with a non-zero quantity. */
  positions(accountId: string): BrokerPosition[] {
    return [...this.#positions.values()]
      .filter((p) => p.accountId === accountId && p.netQty !== 0)
      .map((p) => ({ ...p, contract: { ...p.contract } }));
  }

  /** Applies a `RithmicOrderNotification` (351). */
  onOrderNotification(message: RithmicMessage): BrokerEvent[] {
    const tracked = this.#track(message);
    if (!tracked) return [];
    const before = signature(tracked.order);
    const notify = num(message, 'notify_type');
    const answersModify = notify === OrderNotify.MODIFIED || notify === OrderNotify.MODIFICATION_FAILED;
    if (answersModify && tracked.modifiesInFlight > 0) tracked.modifiesInFlight--;
    if (tracked.modifiesInFlight === 0) this.#restate(tracked.order, message);
    const order = tracked.order;
    switch (notify) {
      case OrderNotify.OPEN:
      case OrderNotify.MODIFIED:
      case OrderNotify.TRIGGER_PENDING:
        if (!isTerminalStatus(order.status))
          order.status = order.filledQty > 0 ? 'partially-filled' : 'working';
        break;
      case OrderNotify.COMPLETE:
        if (!isTerminalStatus(order.status)) {
          const text =
            `${str(message, 'completion_reason') ?? ''} ${str(message, 'status') ?? ''}`.toLowerCase();
          order.status =
            order.filledQty >= order.qty ? 'filled' : text.includes('reject') ? 'rejected' : 'cancelled';
          order.reason = reasonOf(message) ?? order.reason;
        }
        break;
      default:
        // Intermediate steps (received, pending, sent to exchange) leave a new order pending.
        break;
    }
    order.updatedAt = messageTime(message, this.#now());
    return signature(order) === before ? [] : [{ type: 'order-updated', order: { ...order } }];
  }

  /** Applies an `ExchangeOrderNotification` (352): fills, cancels, rejects. */
  onExchangeNotification(message: RithmicMessage): BrokerEvent[] {
    const tracked = this.#track(message);
    if (!tracked) return [];
    const order = tracked.order;
    const before = signature(order);
    const events: BrokerEvent[] = [];
    const notify = num(message, 'notify_type');
    const time = messageTime(message, this.#now());
    if (notify === ExchangeNotify.FILL) {
      const fillId =
        str(message, 'fill_id') ??
        `${order.orderId}:${str(message, 'fill_time')}:${num(message, 'fill_size')}`;
      const size = num(message, 'fill_size') ?? 0;
      const price = num(message, 'fill_price');
      // A replayed or duplicated execution must not count twice (§8.3: dedupe on fill_id).
      if (!tracked.fillIds.has(fillId) && size > 0 && price !== undefined) {
        tracked.fillIds.add(fillId);
        order.filledQty += size;
        const ssboe = num(message, 'ssboe');
        if (ssboe !== undefined) this.lastFillSsboe = Math.max(this.lastFillSsboe ?? 0, ssboe);
        events.push({
          type: 'order-filled',
          fill: {
            fillId,
            orderId: order.orderId,
            ...(order.clientOrderId ? { clientOrderId: order.clientOrderId } : {}),
            accountId: order.accountId,
            contract: { ...order.contract },
            side: order.side,
            qty: size,
            priceTicks: wireToTicks(price, order.contract, this.#registry),
            time,
          },
        });
        const total = Math.max(order.filledQty, num(message, 'total_fill_size') ?? 0);
        order.filledQty = total;
        order.status = total >= order.qty ? 'filled' : 'partially-filled';
      }
    } else if (!isTerminalStatus(order.status)) {
      if (tracked.modifiesInFlight === 0) this.#restate(order, message);
      if (notify === ExchangeNotify.CANCEL) {
        order.status = 'cancelled';
        order.reason = reasonOf(message) ?? 'cancelled';
      } else if (notify === ExchangeNotify.REJECT) {
        order.status = 'rejected';
        order.reason = reasonOf(message) ?? 'rejected';
      } else if (notify === ExchangeNotify.STATUS && message.is_snapshot === true) {
        if (str(message, 'status') === 'complete') {
          // An order-history snapshot (324) of an order that ended before this session
          // heard of it: how it ended, so a lookup by user_tag sees it was placed.
          order.filledQty = Math.max(order.filledQty, num(message, 'total_fill_size') ?? 0);
          const report = str(message, 'report_type');
          order.status =
            order.qty > 0 && order.filledQty >= order.qty
              ? 'filled'
              : report === 'reject'
                ? 'rejected'
                : 'cancelled';
          order.reason = reasonOf(message) ?? order.reason;
        } else if (order.status === 'pending') {
          // A snapshot of a working order (show orders after a reconnect) says it rests.
          order.status = order.filledQty > 0 ? 'partially-filled' : 'working';
        }
      }
    }
    order.updatedAt = time;
    if (signature(order) !== before) events.push({ type: 'order-updated', order: { ...order } });
    return events;
  }

  /** Applies an `InstrumentPnLPositionUpdate` (450). */
  onPositionUpdate(message: RithmicMessage): BrokerEvent[] {
    const accountId = str(message, 'account_id');
    const contract = this.#contractOf(message);
    if (accountId === undefined || !contract) return [];
    const netQty =
      num(message, 'net_quantity') ?? (num(message, 'buy_qty') ?? 0) - (num(message, 'sell_qty') ?? 0);
    const avg = num(message, 'avg_open_fill_price');
    const position: BrokerPosition = {
      accountId,
      contract,
      netQty,
      avgPriceTicks:
        netQty === 0 || avg === undefined ? 0 : wireToAverageTicks(avg, contract, this.#registry),
    };
    const key = `${accountId}\u0000${contractKey(contract)}`;
    const previous = this.#positions.get(key);
    this.#positions.set(key, position);
    if (previous && previous.netQty === netQty && previous.avgPriceTicks === position.avgPriceTicks)
      return [];
    return [{ type: 'position-updated', position: { ...position, contract: { ...contract } } }];
  }

  /**
   * Applies an `AccountPnLPositionUpdate` (451): the account's balance and P&L, sent as
   * decimal strings and kept exact in mils. A field that does not parse is left out.
   */
  onAccountUpdate(message: RithmicMessage, now: number): BrokerEvent[] {
    const accountId = str(message, 'account_id');
    if (accountId === undefined) return [];
    const money = (field: string): number | undefined => {
      const text = str(message, field);
      if (text === undefined || text === '') return undefined;
      try {
        return parseMoney(text, field);
      } catch {
        return undefined;
      }
    };
    const balance = money('account_balance');
    const realizedPnl = money('closed_position_pnl');
    const unrealizedPnl = money('open_position_pnl');
    return [
      {
        type: 'account-updated',
        account: {
          accountId,
          ...(balance !== undefined ? { balance } : {}),
          ...(realizedPnl !== undefined ? { realizedPnl } : {}),
          ...(unrealizedPnl !== undefined ? { unrealizedPnl } : {}),
          time: messageTime(message, now),
        },
      },
    ];
  }

  /** Finds or creates the order a notification is about; undefined when it cannot be read. */
  #track(message: RithmicMessage): Tracked | undefined {
    const basketId = str(message, 'basket_id');
    const accountId = str(message, 'account_id');
    if (basketId === undefined || accountId === undefined) return undefined;
    let tracked = this.#orders.get(basketId);
    if (!tracked) {
      const contract = this.#contractOf(message);
      if (!contract) return undefined;
      const userTag = str(message, 'user_tag');
      tracked = {
        order: {
          orderId: basketId,
          ...(userTag ? { clientOrderId: userTag } : {}),
          accountId,
          contract,
          side: sideFromWire(num(message, 'transaction_type')),
          qty: num(message, 'quantity') ?? 0,
          filledQty: 0,
          orderType: orderTypeFromWire(num(message, 'price_type')),
          status: 'pending',
          updatedAt: this.#now(),
        },
        fillIds: new Set(),
        modifiesInFlight: 0,
      };
      this.#orders.set(basketId, tracked);
      if (userTag) this.#byTag.set(tagKey(accountId, userTag), basketId);
    }
    return tracked;
  }

  /** Takes quantity, type and prices from a notification that states them (new, modified, snapshot). */
  #restate(order: BrokerOrder, message: RithmicMessage): void {
    const qty = num(message, 'quantity');
    if (qty !== undefined && qty > 0) order.qty = qty;
    const priceType = num(message, 'price_type');
    if (priceType !== undefined) order.orderType = orderTypeFromWire(priceType);
    const uses = priceFields(order.orderType);
    const price = num(message, 'price');
    const trigger = num(message, 'trigger_price');
    if (uses.limit && price !== undefined)
      order.limitTicks = wireToTicks(price, order.contract, this.#registry);
    if (uses.stop && trigger !== undefined)
      order.stopTicks = wireToTicks(trigger, order.contract, this.#registry);
  }

  #contractOf(message: RithmicMessage): Contract | undefined {
    const symbol = str(message, 'symbol');
    const exchange = str(message, 'exchange');
    if (symbol === undefined || exchange === undefined) return undefined;
    try {
      return fromRithmicSymbol(symbol, exchange, { registry: this.#registry, at: this.#now() });
    } catch {
      // An instrument we do not know (an option, an unknown product) is not ours to track.
      return undefined;
    }
  }
}

function tagKey(accountId: string, userTag: string): string {
  return `${accountId}\u0000${userTag}`;
}

function reasonOf(message: RithmicMessage): string | undefined {
  return str(message, 'text') ?? str(message, 'report_text') ?? str(message, 'completion_reason');
}

/** What makes an order-updated event worth sending: a change in any of these. */
function signature(order: BrokerOrder): string {
  return `${order.status}|${order.qty}|${order.filledQty}|${order.limitTicks}|${order.stopTicks}|${order.orderType}`;
}
