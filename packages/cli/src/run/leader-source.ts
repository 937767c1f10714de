import {
  type BrokerConnection,
  type BrokerEvent,
  type BrokerFill,
  type BrokerOrder,
  type Clock,
  contractKey,
  defaultInstruments,
  type InstrumentRegistry,
  type Logger,
  type NewOrderSignal,
  type OrderLeg,
  type SignalResult,
  type Source,
  silentLogger,
  systemClock,
  type TradeSignal,
  ticksToPrice,
} from '@tradenova/core';

/** Something the leader did, for the dashboard's leader panel. */
export interface LeaderActivity {
  kind: 'order' | 'fill' | 'cancel' | 'modify';
  time: number;
  text: string;
}

/** Options of `BrokerLeaderSource`. */
export interface BrokerLeaderSourceOptions {
  connection: BrokerConnection;
  /** The leader's account id at its broker. */
  accountId: string;
  /** Every leader fill, after the signal of its order was submitted (the engine scales exits against it). */
  onLeaderFill: (fill: BrokerFill) => void;
  onActivity?: (activity: LeaderActivity) => void;
  clock?: Clock;
  instruments?: InstrumentRegistry;
  logger?: Logger;
}

interface Tracked {
  order: BrokerOrder;
  announced: boolean;
  /** Fills that arrived before the order's signal was submitted. */
  pendingFills: BrokerFill[];
  children: { stopLoss?: string; takeProfit?: string };
  modifies: number;
}

const TERMINAL = new Set(['filled', 'cancelled', 'rejected']);

/**
 * Turns the leader account's own broker events into signals: a new order
 * becomes `new` (with its bracket children's prices and, for a market order,
 * its fill price), a price or quantity change `modify`, a cancel `cancel`.
 *
 * This is the CLI's stand-in until core's `LeaderSignalSource` lands; it reads
 * the same `BrokerEvent` stream and keeps the one rule that matters for
 * scaling: a leader fill is applied only after the signal of its order was
 * submitted, so the engine reads the leader position from before the fill.
 */
export class BrokerLeaderSource implements Source {
  readonly name = 'leader';
  readonly #options: BrokerLeaderSourceOptions;
  readonly #clock: Clock;
  readonly #instruments: InstrumentRegistry;
  readonly #log: Logger;
  readonly #orders = new Map<string, Tracked>();
  #submit: ((signal: unknown) => Promise<SignalResult>) | undefined;
  #off: (() => void) | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: BrokerLeaderSourceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#instruments = options.instruments ?? defaultInstruments;
    this.#log = options.logger ?? silentLogger;
  }

  async start(submit: (signal: unknown) => Promise<SignalResult>): Promise<void> {
    this.#submit = submit;
    this.#off = this.#options.connection.onEvent((event) => this.#onEvent(event));
  }

  async stop(): Promise<void> {
    this.#off?.();
    this.#off = undefined;
    // Orders seen but not yet announced are announced now: the engine rejects them
    // as "stopping" with an event, so none vanishes without a record.
    for (const [id, t] of this.#orders) if (!t.announced && !t.order.parentOrderId) this.#announce(id);
    this.#submit = undefined;
    await Promise.allSettled([...this.#inFlight]);
  }

  #onEvent(event: BrokerEvent): void {
    if (event.type === 'order-updated' && event.order.accountId === this.#options.accountId) {
      this.#onOrder(event.order);
    } else if (event.type === 'order-filled' && event.fill.accountId === this.#options.accountId) {
      this.#onFill(event.fill);
    }
  }

  #onOrder(order: BrokerOrder): void {
    const known = this.#orders.get(order.orderId);
    if (order.parentOrderId !== undefined) {
      this.#onChild(order, known);
      return;
    }
    if (!known || known.order.qty === 0) {
      const pendingFills = known?.pendingFills ?? [];
      this.#orders.set(order.orderId, {
        order,
        announced: false,
        pendingFills,
        children: known?.children ?? {},
        modifies: 0,
      });
      if (order.status === 'rejected') return;
      // Children of a bracket arrive right after their parent: announce once they are in.
      setImmediate(() => this.#announce(order.orderId));
      return;
    }
    const before = known.order;
    known.order = order;
    if (!known.announced || TERMINAL.has(before.status)) return;
    if (order.status === 'cancelled') {
      this.#send({ action: 'cancel', leaderOrderId: order.orderId }, order, `cancel ${describe(order)}`);
    } else if (
      !TERMINAL.has(order.status) &&
      (before.limitTicks !== order.limitTicks ||
        before.stopTicks !== order.stopTicks ||
        before.qty !== order.qty)
    ) {
      this.#sendModify(known, order.orderId, 'entry', order, before);
    }
  }

  #onChild(order: BrokerOrder, known: Tracked | undefined): void {
    const parentId = order.parentOrderId!;
    let parent = this.#orders.get(parentId);
    if (!parent) {
      // A child before its parent (possible over a socket): keep a stub the parent fills in.
      parent = { order: { ...order, qty: 0 }, announced: false, pendingFills: [], children: {}, modifies: 0 };
      this.#orders.set(parentId, parent);
    }
    const leg: OrderLeg =
      order.orderType === 'stop' || order.orderType === 'stop-limit' ? 'stop-loss' : 'take-profit';
    if (leg === 'stop-loss') parent.children.stopLoss = order.orderId;
    else parent.children.takeProfit = order.orderId;
    this.#orders.set(order.orderId, {
      order,
      announced: true,
      pendingFills: [],
      children: {},
      modifies: known?.modifies ?? 0,
    });
    const before = known?.order;
    if (!before || !parent.announced || TERMINAL.has(before.status)) return;
    if (order.status === 'cancelled') {
      // A sibling's fill (OCO) or the entry's cancel cancels a child by itself; followers' brokers do the same.
      const sibling = leg === 'stop-loss' ? parent.children.takeProfit : parent.children.stopLoss;
      const siblingFilled = sibling !== undefined && this.#orders.get(sibling)?.order.status === 'filled';
      if (siblingFilled || parent.order.status === 'cancelled') return;
      this.#send({ action: 'cancel', leaderOrderId: parentId, leg }, order, `cancel ${leg} of ${parentId}`);
    } else if (
      !TERMINAL.has(order.status) &&
      (before.limitTicks !== order.limitTicks || before.stopTicks !== order.stopTicks)
    ) {
      const tracked = this.#orders.get(order.orderId)!;
      this.#sendModify(tracked, parentId, leg, order, before);
    }
  }

  #onFill(fill: BrokerFill): void {
    const t = this.#orders.get(fill.orderId);
    this.#activity(
      'fill',
      `${fill.side} ${fill.qty} ${contractKey(fill.contract)} @ ${this.#price(fill.contract.root, fill.priceTicks)}`,
    );
    if (t && !t.announced) {
      t.pendingFills.push(fill);
      return;
    }
    if (!t) {
      // A fill before any order update: hold it until the order shows up.
      this.#orders.set(fill.orderId, {
        order: {
          orderId: fill.orderId,
          accountId: fill.accountId,
          contract: fill.contract,
          side: fill.side,
          qty: 0,
          filledQty: 0,
          orderType: 'market',
          status: 'pending',
          updatedAt: fill.time,
        },
        announced: false,
        pendingFills: [fill],
        children: {},
        modifies: 0,
      });
      return;
    }
    this.#options.onLeaderFill(fill);
  }

  #announce(orderId: string): void {
    const t = this.#orders.get(orderId);
    if (!t || t.announced || t.order.qty === 0) return;
    t.announced = true;
    const o = t.order;
    const root = o.contract.root;
    const stopLoss = t.children.stopLoss ? this.#orders.get(t.children.stopLoss)?.order.stopTicks : undefined;
    const takeProfit = t.children.takeProfit
      ? this.#orders.get(t.children.takeProfit)?.order.limitTicks
      : undefined;
    const firstFill = t.pendingFills[0];
    const signal: Omit<NewOrderSignal, 'signalId' | 'leaderAccount' | 'detectedAt' | 'receivedAt'> = {
      action: 'new',
      leaderOrderId: orderId,
      instrument: contractKey(o.contract),
      side: o.side,
      qty: o.qty,
      orderType: o.orderType,
      ...(o.limitTicks !== undefined ? { limitPrice: this.#price(root, o.limitTicks) } : {}),
      ...(o.stopTicks !== undefined ? { stopPrice: this.#price(root, o.stopTicks) } : {}),
      ...(o.orderType === 'market' && firstFill
        ? { fillPrice: this.#price(root, firstFill.priceTicks) }
        : {}),
      ...(stopLoss !== undefined || takeProfit !== undefined
        ? {
            bracket: {
              ...(stopLoss !== undefined ? { stopLoss: { price: this.#price(root, stopLoss) } } : {}),
              ...(takeProfit !== undefined ? { takeProfit: { price: this.#price(root, takeProfit) } } : {}),
            },
          }
        : {}),
    };
    this.#send(signal, o, describe(o, this.#price(root, o.limitTicks ?? o.stopTicks)));
    // The signal has read the leader position; now the fills may move it.
    for (const fill of t.pendingFills.splice(0)) this.#options.onLeaderFill(fill);
  }

  #sendModify(
    t: Tracked,
    leaderOrderId: string,
    leg: OrderLeg,
    order: BrokerOrder,
    before: BrokerOrder,
  ): void {
    t.modifies++;
    const root = order.contract.root;
    const fields = {
      ...(order.qty !== before.qty && leg === 'entry' ? { qty: order.qty } : {}),
      ...(order.limitTicks !== undefined && order.limitTicks !== before.limitTicks
        ? { limitPrice: this.#price(root, order.limitTicks) }
        : {}),
      ...(order.stopTicks !== undefined && order.stopTicks !== before.stopTicks
        ? { stopPrice: this.#price(root, order.stopTicks) }
        : {}),
    };
    this.#send(
      { action: 'modify', leaderOrderId, leg, ...fields },
      order,
      `move ${leg} of ${leaderOrderId} to ${fields.stopPrice ?? fields.limitPrice ?? `qty ${order.qty}`}`,
      `:m${t.modifies}:${order.orderId}`,
    );
  }

  #send(body: Record<string, unknown>, order: BrokerOrder, text: string, suffix = ''): void {
    const submit = this.#submit;
    const action = body.action as TradeSignal['action'];
    this.#activity(action === 'new' ? 'order' : action === 'cancel' ? 'cancel' : 'modify', text);
    if (!submit) return;
    const id = action === 'new' ? '' : action === 'cancel' ? `:c:${order.orderId}` : suffix;
    const signal = {
      ...body,
      signalId: `leader:${(body.leaderOrderId as string | undefined) ?? order.orderId}${id}`,
      leaderAccount: this.#options.accountId,
      detectedAt: order.updatedAt,
      receivedAt: this.#clock.now(),
    };
    const p = submit(signal).catch((error: unknown) =>
      this.#log.error({ err: error }, 'leader signal failed'),
    );
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  #activity(kind: LeaderActivity['kind'], text: string): void {
    this.#options.onActivity?.({ kind, time: this.#clock.now(), text });
  }

  #price(root: string, ticks: number | undefined): string {
    if (ticks === undefined) return '';
    return ticksToPrice(ticks, this.#instruments.get(root).tickSize);
  }
}

function describe(o: BrokerOrder, price = ''): string {
  return `${o.side} ${o.qty} ${contractKey(o.contract)} ${o.orderType}${price ? ` ${price}` : ''} (${o.orderId})`;
}
