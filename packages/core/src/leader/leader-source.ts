/**
 * Leader mode: the leader account's own order and fill events, read from its
 * broker connection, turned into `TradeSignal`s for the engine.
 *
 * Rules, per broker event of the leader account (events of other accounts on the
 * same connection are ignored):
 *
 * - **Market order** → `new` on its first fill, with `fillPrice` = that fill's price:
 *   followers copy what the broker did, not what was asked. `qty` is the order's qty.
 * - **Limit, stop, stop-limit order** → `new` when the broker reports it working (or,
 *   if it never showed working, when it is first reported (partly) filled, then with
 *   `fillPrice`). A pending or rejected order is no signal.
 * - **Bracket** (orders with `parentOrderId`): a child is a `stop-loss` leg when its type
 *   is stop or stop-limit, a `take-profit` leg when it is limit. Children the source
 *   knows when the parent's `new` goes out ride on it as `bracket` prices. The `new` is
 *   held until the end of the current burst of events (a microtask), so children the
 *   broker reports right after their parent, in the same burst, are known. A child that
 *   appears later becomes a `modify` of its leg, addressed to the parent's id.
 * - **Change** of a working order's price or quantity → `modify` (leg `entry`) with the
 *   fields that changed. A child's price change → `modify` of its leg. A child's quantity
 *   is not copied: it follows the entry's fills and the OCO sibling's fills, and each
 *   follower's broker sizes its own children.
 * - **Cancel** of an order the followers were told about → `cancel` (leg `entry`, or the
 *   child's leg). Not a signal: a child cancelled because its OCO sibling filled, a child
 *   cancelled with its parent (the parent's `cancel` carries it), an order never copied.
 *   Whether a child's cancel is one of these is decided at the end of the burst, so the
 *   order in which a broker reports parent, sibling and child does not matter.
 * - **Fill** → `onLeaderFill` (the engine's `applyLeaderFill`), once per broker fill id,
 *   in event order but always after the `new` of its order: the engine reads the leader
 *   position from before the order.
 * - Every signal has `detectedAt` = the broker's time on the event (`updatedAt`, or the
 *   fill's `time`) and `receivedAt` = `clock.now()` when the event arrived.
 * - `signalId` = `leader:<account>:<broker order id>:<new|modify|cancel>:<n>`, `n` counting
 *   signals of that kind for that order. A replay of events (a reconnect, a resync) cannot
 *   produce a second signal: fills are de-duplicated by fill id; an order event is dropped
 *   when its broker time is older than the newest one handled for that order, when it
 *   repeats a version (status, qty, filled qty, prices) already seen at no later time, or
 *   when the order already ended. A signal is emitted only for a difference from what the
 *   followers were last told, so a snapshot of an unchanged order says nothing.
 * - Orders already open when the source starts are not copied (their fills still reach
 *   `onLeaderFill`): the source never places follower orders from a view older than itself;
 *   unless `copyOpenAtStart` (start-up recovery) asks for them, with their first `new` id.
 * - After a reconnect the leader's open orders are read back and handled like events, so a
 *   change made while the stream was down is still copied once.
 * - A leader flatten arrives as cancels and a market order; it is copied as those (a
 *   `flatten` signal is never produced: a broker does not say why an order was cancelled).
 */
import type {
  BrokerConnection,
  BrokerEvent,
  BrokerFill,
  BrokerOrder,
  BrokerPosition,
} from '../adapter/contract.js';
import type { Clock } from '../clock/clock.js';
import type { SignalResult, Source } from '../engine/api.js';
import { contractKey } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import type { OrderLeg, TradeSignal } from '../model/signal.js';
import { type Ticks, ticksToPrice } from '../money/price.js';
import { type Logger, silentLogger } from '../util/logger.js';

/** Something the leader did, for a dashboard's leader panel. */
export interface LeaderActivity {
  kind: 'order' | 'fill' | 'cancel' | 'modify';
  time: number;
  text: string;
}

/** Options of `LeaderSignalSource`. */
export interface LeaderSignalSourceOptions {
  /** The connection serving the leader account. The source subscribes; it does not connect. */
  connection: BrokerConnection;
  /** The leader's account id at its broker; events of other accounts are ignored. */
  accountId: string;
  /** Stamps `receivedAt`. */
  clock: Clock;
  /** Tick sizes, to write ticks as exact decimal prices. */
  instruments: InstrumentRegistry;
  /** Every leader fill, once, after the `new` of its order was submitted (the engine's `applyLeaderFill`). */
  onLeaderFill: (fill: BrokerFill) => void;
  /** What the leader did, as text, for a dashboard. */
  onActivity?: (activity: LeaderActivity) => void;
  /**
   * The leader's positions as its broker reports them when the source starts (the
   * engine's `seedLeaderPosition`), so a run started mid-trade scales exits right.
   */
  onLeaderPositions?: (positions: BrokerPosition[]) => void;
  logger?: Logger;
  /** Finished orders remembered for de-duplication (default 10 000); older ones are forgotten. */
  rememberOrders?: number;
  /**
   * Copy the orders already working when the source starts, as if they had just been
   * placed (default: no, they are left alone). Their `new` gets the id it had before
   * (`...:new:1`), so a follower that holds the copy from an earlier run is found by its
   * client order id instead of getting a second one: start-up recovery turns this on.
   */
  copyOpenAtStart?: boolean;
}

type Copied = 'no' | 'pending' | 'yes';

/** What the source knows of one leader order. */
interface Tracked {
  orderId: string;
  order?: BrokerOrder;
  /** Newest broker time handled for this order. */
  newestAt: number;
  /** Versions (status, qty, filled, prices) already handled. */
  versions: Set<string>;
  /** De-duplicated fills, in arrival order. */
  fills: BrokerFill[];
  /** Whether followers were told of this order: no, a `new` waits in the outbox, yes. */
  copied: Copied;
  /** Open when the source started: never copied. */
  baseline: boolean;
  /** Ended: later events are replays. */
  done: boolean;
  /** What followers were last told (qty and prices); a modify is the difference from it. */
  told?: { qty: number; limitTicks?: Ticks; stopTicks?: Ticks };
  children: { stopLoss?: string; takeProfit?: string };
  /** Signals of each kind so far, for the signal id. */
  counters: { new: number; modify: number; cancel: number };
}

/** A signal before its id is given: ids are numbered at flush, in the order signals go out. */
type Draft =
  | {
      action: 'new';
      orderId: string;
      detectedAt: number;
      receivedAt: number;
      /** Queued by the order's first fill: the signal carries that fill's price. */
      onFill: boolean;
      snapshot?: BrokerOrder;
    }
  | {
      action: 'modify';
      orderId: string;
      leaderOrderId: string;
      leg: OrderLeg;
      detectedAt: number;
      receivedAt: number;
      fields: { qty?: number; limitPrice?: string; stopPrice?: string };
    }
  | {
      action: 'cancel';
      orderId: string;
      leaderOrderId: string;
      leg: OrderLeg;
      detectedAt: number;
      receivedAt: number;
    };

type OutboxItem = { kind: 'signal'; draft: Draft } | { kind: 'fill'; fill: BrokerFill };

const TERMINAL = new Set(['filled', 'cancelled', 'rejected']);

/**
 * A `Source` that copies the leader account's own activity at its broker: see the
 * module comment for the event → signal rules.
 */
export class LeaderSignalSource implements Source {
  readonly name = 'leader';
  readonly #options: LeaderSignalSourceOptions;
  readonly #log: Logger;
  readonly #remember: number;
  readonly #orders = new Map<string, Tracked>();
  readonly #fillIds = new Set<string>();
  /** Finished orders, oldest first, so memory stays bounded on a long session. */
  readonly #finished: string[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  #outbox: OutboxItem[] = [];
  #flushScheduled = false;
  #flushed: Promise<void> = Promise.resolve();
  #submit: ((signal: unknown) => Promise<SignalResult>) | undefined;
  #off: (() => void) | undefined;
  #wasDown = false;

  constructor(options: LeaderSignalSourceOptions) {
    this.#options = options;
    this.#log = (options.logger ?? silentLogger).child({ source: 'leader', account: options.accountId });
    this.#remember = options.rememberOrders ?? 10_000;
  }

  async start(submit: (signal: unknown) => Promise<SignalResult>): Promise<void> {
    this.#submit = submit;
    this.#off = this.#options.connection.onEvent((event) => this.#onEvent(event));
    if (this.#options.connection.health().state !== 'connected') return;
    try {
      const open = await this.#options.connection.getOpenOrders(this.#options.accountId);
      for (const order of open) {
        // Handled like an event: one that came in while we asked is newer and wins on its time.
        if (this.#options.copyOpenAtStart) {
          this.#onOrder(order);
          continue;
        }
        // An event that came in while we asked is newer than this snapshot: keep what it said.
        if (this.#orders.has(order.orderId)) continue;
        const t = this.#track(order.orderId);
        t.baseline = true;
        t.order = order;
        t.newestAt = order.updatedAt;
      }
    } catch (error) {
      this.#log.warn({ err: error }, 'could not read the leader open orders at start');
    }
    const onPositions = this.#options.onLeaderPositions;
    if (onPositions) {
      try {
        onPositions(await this.#options.connection.getPositions(this.#options.accountId));
      } catch (error) {
        this.#log.warn({ err: error }, 'could not read the leader positions at start');
      }
    }
  }

  async stop(): Promise<void> {
    this.#off?.();
    this.#off = undefined;
    // What is in the outbox goes out now: the engine records it (as stopping) rather than it vanishing.
    this.#flush();
    this.#submit = undefined;
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Resolves when every event handled so far has been submitted and the engine has answered. */
  async settled(): Promise<void> {
    for (;;) {
      await this.#flushed;
      if (this.#inFlight.size === 0 && !this.#flushScheduled) return;
      // A resync or a submission may queue more before it settles.
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  /** Reads the leader's open orders back and handles them like events: what changed while the stream was down. */
  async resync(): Promise<void> {
    const open = await this.#options.connection.getOpenOrders(this.#options.accountId);
    for (const order of open) this.#onOrder(order);
  }

  // ── events ──────────────────────────────────────────────────────────────

  #onEvent(event: BrokerEvent): void {
    try {
      switch (event.type) {
        case 'order-updated':
          if (event.order.accountId === this.#options.accountId) this.#onOrder(event.order);
          break;
        case 'order-filled':
          if (event.fill.accountId === this.#options.accountId) this.#onFill(event.fill);
          break;
        case 'connection-changed':
          this.#onConnection(event.state);
          break;
        case 'position-updated':
          break;
      }
    } catch (error) {
      // One malformed event must not stop the leader stream.
      this.#log.error({ err: error, event: event.type }, 'leader event not handled');
    }
  }

  #onConnection(state: string): void {
    if (state === 'reconnecting' || state === 'disconnected') {
      this.#wasDown = true;
      return;
    }
    if (state === 'connected' && this.#wasDown) {
      this.#wasDown = false;
      const p = this.resync().catch((error: unknown) =>
        this.#log.warn({ err: error }, 'leader resync after reconnect failed'),
      );
      this.#hold(p);
    }
  }

  #onFill(fill: BrokerFill): void {
    if (this.#fillIds.has(fill.fillId)) return;
    this.#fillIds.add(fill.fillId);
    const t = this.#track(fill.orderId);
    t.fills.push(fill);
    const receivedAt = this.#options.clock.now();
    // The order's `new` goes ahead of its first fill, so the engine sizes it on the position before it.
    // An order not reported yet keeps its place too; at flush it is dropped if it never showed up.
    if (t.copied === 'no' && !t.baseline && !t.done && t.order?.parentOrderId === undefined) {
      this.#queueNew(t, fill.time, receivedAt, t.order, true);
    }
    this.#enqueue({ kind: 'fill', fill });
  }

  #onOrder(order: BrokerOrder): void {
    const t = this.#track(order.orderId);
    if (t.done || !this.#isNewVersion(t, order)) return;
    t.order = order;
    const receivedAt = this.#options.clock.now();
    if (order.parentOrderId !== undefined) this.#onChild(t, order, receivedAt);
    else if (!t.baseline) this.#onParent(t, order, receivedAt);
    if (TERMINAL.has(order.status)) this.#finish(t);
  }

  /** Records the version and says whether the event is news (not a replay). */
  #isNewVersion(t: Tracked, order: BrokerOrder): boolean {
    const version = [
      order.status,
      order.qty,
      order.filledQty,
      order.limitTicks ?? '',
      order.stopTicks ?? '',
    ].join('|');
    if (order.updatedAt < t.newestAt) return false;
    if (t.versions.has(version) && order.updatedAt <= t.newestAt) return false;
    t.versions.add(version);
    t.newestAt = order.updatedAt;
    return true;
  }

  #onParent(t: Tracked, order: BrokerOrder, receivedAt: number): void {
    if (t.copied === 'no') {
      if (order.status === 'pending' || order.status === 'rejected' || order.status === 'cancelled') return;
      if (order.orderType === 'market') {
        // Copied on the broker's fill, not on the request: wait for the fill (it has the price).
        if (t.fills.length > 0) this.#queueNew(t, order.updatedAt, receivedAt, order);
        return;
      }
      this.#queueNew(t, order.updatedAt, receivedAt, order);
      return;
    }
    const told = t.told;
    if (order.status === 'cancelled') {
      this.#queueSignal({
        action: 'cancel',
        orderId: order.orderId,
        leaderOrderId: order.orderId,
        leg: 'entry',
        detectedAt: order.updatedAt,
        receivedAt,
      });
      return;
    }
    if (TERMINAL.has(order.status) || told === undefined) return;
    const fields: { qty?: number; limitPrice?: string; stopPrice?: string } = {};
    if (order.qty !== told.qty) fields.qty = order.qty;
    if (order.limitTicks !== undefined && order.limitTicks !== told.limitTicks)
      fields.limitPrice = this.#price(order, order.limitTicks);
    if (order.stopTicks !== undefined && order.stopTicks !== told.stopTicks)
      fields.stopPrice = this.#price(order, order.stopTicks);
    if (Object.keys(fields).length === 0) return;
    t.told = { qty: order.qty, limitTicks: order.limitTicks, stopTicks: order.stopTicks };
    this.#queueSignal({
      action: 'modify',
      orderId: order.orderId,
      leaderOrderId: order.orderId,
      leg: 'entry',
      detectedAt: order.updatedAt,
      receivedAt,
      fields,
    });
  }

  #onChild(t: Tracked, order: BrokerOrder, receivedAt: number): void {
    const parentId = order.parentOrderId!;
    const parent = this.#track(parentId);
    const leg = legOf(order);
    if (leg === undefined) return;
    if (leg === 'stop-loss') parent.children.stopLoss = order.orderId;
    else parent.children.takeProfit = order.orderId;
    // Until the parent's `new` is out, a child only shapes the bracket that `new` will carry.
    if (t.baseline || parent.baseline || parent.copied !== 'yes') return;
    const ticks = leg === 'stop-loss' ? order.stopTicks : order.limitTicks;
    if (order.status === 'cancelled') {
      if (t.told !== undefined)
        this.#queueSignal({
          action: 'cancel',
          orderId: order.orderId,
          leaderOrderId: parentId,
          leg,
          detectedAt: order.updatedAt,
          receivedAt,
        });
      return;
    }
    if (TERMINAL.has(order.status) || ticks === undefined) return;
    if (t.told !== undefined && (leg === 'stop-loss' ? t.told.stopTicks : t.told.limitTicks) === ticks)
      return;
    // A child that appears after the parent's `new` went out, or a moved child: a modify of its leg.
    t.told = { qty: order.qty, ...(leg === 'stop-loss' ? { stopTicks: ticks } : { limitTicks: ticks }) };
    const price = this.#price(order, ticks);
    this.#queueSignal({
      action: 'modify',
      orderId: order.orderId,
      leaderOrderId: parentId,
      leg,
      detectedAt: order.updatedAt,
      receivedAt,
      fields: leg === 'stop-loss' ? { stopPrice: price } : { limitPrice: price },
    });
  }

  // ── the outbox ──────────────────────────────────────────────────────────

  #queueNew(
    t: Tracked,
    detectedAt: number,
    receivedAt: number,
    snapshot: BrokerOrder | undefined,
    onFill = false,
  ): void {
    t.copied = 'pending';
    if (snapshot)
      t.told = { qty: snapshot.qty, limitTicks: snapshot.limitTicks, stopTicks: snapshot.stopTicks };
    this.#queueSignal({
      action: 'new',
      orderId: t.orderId,
      detectedAt,
      receivedAt,
      onFill,
      ...(snapshot ? { snapshot } : {}),
    });
  }

  #queueSignal(draft: Draft): void {
    this.#enqueue({ kind: 'signal', draft });
  }

  #enqueue(item: OutboxItem): void {
    this.#outbox.push(item);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // The end of this burst of events: children reported right after their parent are in by then.
    this.#flushed = new Promise((resolve) =>
      queueMicrotask(() => {
        this.#flush();
        resolve();
      }),
    );
  }

  /** Sends the outbox in order: signals to the engine, fills to `onLeaderFill`. */
  #flush(): void {
    this.#flushScheduled = false;
    const items = this.#outbox;
    this.#outbox = [];
    for (const item of items) {
      try {
        if (item.kind === 'fill') this.#sendFill(item.fill);
        else {
          const signal = this.#finalize(item.draft);
          if (signal) this.#sendSignal(signal);
        }
      } catch (error) {
        // An unknown instrument, say: log it and keep the rest of the burst flowing.
        this.#log.error({ err: error }, 'leader event could not be turned into a signal');
      }
    }
  }

  /** Turns a draft into the signal, with its id; undefined when, by now, it is no signal after all. */
  #finalize(draft: Draft): TradeSignal | undefined {
    const t = this.#orders.get(draft.orderId);
    if (!t) return undefined;
    const base = (kind: 'new' | 'modify' | 'cancel') => ({
      signalId: `leader:${this.#options.accountId}:${draft.orderId}:${kind}:${++t.counters[kind]}`,
      leaderAccount: this.#options.accountId,
      detectedAt: draft.detectedAt,
      receivedAt: draft.receivedAt,
    });
    switch (draft.action) {
      case 'new':
        return this.#finalizeNew(t, draft, base);
      case 'modify':
        return {
          ...base('modify'),
          action: 'modify',
          leaderOrderId: draft.leaderOrderId,
          leg: draft.leg,
          ...draft.fields,
        };
      case 'cancel': {
        if (draft.leg !== 'entry') {
          const parent = this.#orders.get(draft.leaderOrderId);
          const parentGone = parent?.order?.status === 'cancelled' || parent?.order?.status === 'rejected';
          const sibling = this.#sibling(parent, draft.leg);
          // The OCO pair or the parent's cancel did it; each follower's broker does the same by itself.
          if (parentGone || (sibling !== undefined && sibling.fills.length > 0)) return undefined;
        }
        return { ...base('cancel'), action: 'cancel', leaderOrderId: draft.leaderOrderId, leg: draft.leg };
      }
    }
  }

  #finalizeNew(
    t: Tracked,
    draft: Extract<Draft, { action: 'new' }>,
    base: (kind: 'new') => {
      signalId: string;
      leaderAccount: string;
      detectedAt: number;
      receivedAt: number;
    },
  ): TradeSignal | undefined {
    const order = draft.snapshot ?? t.order;
    if (order === undefined || order.parentOrderId !== undefined || t.baseline) {
      // Only fills were ever seen (or it is a child): nothing to copy yet.
      t.copied = 'no';
      return undefined;
    }
    t.told ??= { qty: order.qty, limitTicks: order.limitTicks, stopTicks: order.stopTicks };
    const firstFill = t.fills[0];
    const latest = t.order ?? order;
    const withFill =
      firstFill !== undefined && (order.orderType === 'market' || draft.onFill || latest.filledQty > 0);
    const bracket = this.#bracketOf(t);
    t.copied = 'yes';
    return {
      ...base('new'),
      action: 'new',
      leaderOrderId: order.orderId,
      instrument: contractKey(order.contract),
      side: order.side,
      qty: order.qty,
      orderType: order.orderType,
      ...(order.limitTicks !== undefined && usesLimit(order.orderType)
        ? { limitPrice: this.#price(order, order.limitTicks) }
        : {}),
      ...(order.stopTicks !== undefined && usesStop(order.orderType)
        ? { stopPrice: this.#price(order, order.stopTicks) }
        : {}),
      ...(withFill ? { fillPrice: this.#price(order, firstFill.priceTicks) } : {}),
      ...(bracket ? { bracket } : {}),
    };
  }

  /** The prices of the parent's live children, marking them as told. */
  #bracketOf(parent: Tracked): { stopLoss?: { price: string }; takeProfit?: { price: string } } | undefined {
    const out: { stopLoss?: { price: string }; takeProfit?: { price: string } } = {};
    for (const leg of ['stop-loss', 'take-profit'] as const) {
      const id = leg === 'stop-loss' ? parent.children.stopLoss : parent.children.takeProfit;
      const child = id === undefined ? undefined : this.#orders.get(id);
      const order = child?.order;
      if (!child || !order || order.status === 'cancelled' || order.status === 'rejected') continue;
      const ticks = leg === 'stop-loss' ? order.stopTicks : order.limitTicks;
      if (ticks === undefined) continue;
      child.told = {
        qty: order.qty,
        ...(leg === 'stop-loss' ? { stopTicks: ticks } : { limitTicks: ticks }),
      };
      if (leg === 'stop-loss') out.stopLoss = { price: this.#price(order, ticks) };
      else out.takeProfit = { price: this.#price(order, ticks) };
    }
    return out.stopLoss || out.takeProfit ? out : undefined;
  }

  #sibling(parent: Tracked | undefined, leg: OrderLeg): Tracked | undefined {
    const id = leg === 'stop-loss' ? parent?.children.takeProfit : parent?.children.stopLoss;
    return id === undefined ? undefined : this.#orders.get(id);
  }

  #sendSignal(signal: TradeSignal): void {
    this.#activity(signal);
    const submit = this.#submit;
    if (!submit) return;
    const p = submit(signal).then(
      (result) => {
        if (!result.ok)
          this.#log.warn({ signalId: signal.signalId, error: result.error }, 'leader signal refused');
      },
      (error: unknown) => this.#log.error({ err: error, signalId: signal.signalId }, 'leader signal failed'),
    );
    this.#hold(p);
  }

  #sendFill(fill: BrokerFill): void {
    this.#options.onActivity?.({
      kind: 'fill',
      time: this.#options.clock.now(),
      text: `${fill.side} ${fill.qty} ${contractKey(fill.contract)} @ ${this.#price(fill, fill.priceTicks)}`,
    });
    try {
      this.#options.onLeaderFill(fill);
    } catch (error) {
      this.#log.error({ err: error, fillId: fill.fillId }, 'onLeaderFill threw');
    }
  }

  #activity(signal: TradeSignal): void {
    const on = this.#options.onActivity;
    if (!on) return;
    const time = this.#options.clock.now();
    switch (signal.action) {
      case 'new': {
        const price = signal.fillPrice ?? signal.limitPrice ?? signal.stopPrice;
        on({
          kind: 'order',
          time,
          text: `${signal.side} ${signal.qty} ${signal.instrument} ${signal.orderType}${price ? ` ${price}` : ''} (${signal.leaderOrderId})`,
        });
        break;
      }
      case 'modify':
        on({
          kind: 'modify',
          time,
          text: `move ${signal.leg ?? 'entry'} of ${signal.leaderOrderId} to ${signal.stopPrice ?? signal.limitPrice ?? `qty ${signal.qty}`}`,
        });
        break;
      case 'cancel':
        on({ kind: 'cancel', time, text: `cancel ${signal.leg ?? 'entry'} of ${signal.leaderOrderId}` });
        break;
      case 'flatten':
        break;
    }
  }

  // ── bookkeeping ─────────────────────────────────────────────────────────

  #track(orderId: string): Tracked {
    let t = this.#orders.get(orderId);
    if (!t) {
      t = {
        orderId,
        newestAt: Number.NEGATIVE_INFINITY,
        versions: new Set(),
        fills: [],
        copied: 'no',
        baseline: false,
        done: false,
        children: {},
        counters: { new: 0, modify: 0, cancel: 0 },
      };
      this.#orders.set(orderId, t);
    }
    return t;
  }

  #finish(t: Tracked): void {
    t.done = true;
    this.#finished.push(t.orderId);
    while (this.#finished.length > this.#remember) {
      const old = this.#orders.get(this.#finished.shift()!);
      if (!old) continue;
      for (const fill of old.fills) this.#fillIds.delete(fill.fillId);
      this.#orders.delete(old.orderId);
    }
  }

  #hold(p: Promise<unknown>): void {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  #price(on: { contract: { root: string } }, ticks: Ticks): string {
    return ticksToPrice(ticks, this.#options.instruments.get(on.contract.root).tickSize);
  }
}

/** The leg a bracket child plays, by its type: a stop protects, a limit takes profit. */
function legOf(order: BrokerOrder): 'stop-loss' | 'take-profit' | undefined {
  if (order.orderType === 'stop' || order.orderType === 'stop-limit') return 'stop-loss';
  if (order.orderType === 'limit') return 'take-profit';
  return undefined;
}

function usesLimit(type: BrokerOrder['orderType']): boolean {
  return type === 'limit' || type === 'stop-limit';
}

function usesStop(type: BrokerOrder['orderType']): boolean {
  return type === 'stop' || type === 'stop-limit';
}
