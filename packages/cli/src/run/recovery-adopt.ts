import {
  type BrokerConnection,
  type BrokerEvent,
  type BrokerOrder,
  BrokerUnavailableError,
  type OrderAck,
  type SignalResult,
  type Source,
} from '@tradenova/core';

/** One follower's working copy of one leader order, found at its broker during recovery. */
interface FoundCopy {
  accountId: string;
  /** Where a copy the engine does not claim is cancelled. */
  connection: BrokerConnection;
  /** The orders found (one, or the close and open of a reversal), each answered once. */
  orders: BrokerOrder[];
  claimed: Set<string>;
}

/**
 * Follower orders found at their brokers during start-up recovery, each a working copy of
 * a leader order that still works. Recovery re-signals that leader order under its first
 * ids; a connection wrapped with `wrap` answers the engine's placement of a copy with the
 * order the follower already holds instead of sending a second one, so the engine learns
 * of the copy (and the leader's later moves and cancels reach it).
 *
 * The order found need not carry the id the engine places under now: a copy re-planned
 * after the leader's position moved works under `<signal>~replan-<n>`, while the re-signal
 * plans under the first ids. So a copy is matched by what it is (side and quantity still
 * open), not by its id, and its events are then told to the engine under the engine's id.
 * A copy the engine does not want as it is now (another side or size, or nothing at all)
 * is cancelled before anything new is placed: never two working copies of one order.
 */
export class AdoptedOrders {
  /** account + an id the engine may place the copy under → the copy found. */
  readonly #copies = new Map<string, FoundCopy>();
  /** Broker order id → the engine's id for it, where the two differ. */
  readonly #engineIdOf = new Map<string, string>();
  /** account + the engine's id → the id the broker knows the order by, where the two differ. */
  readonly #brokerIdOf = new Map<string, string>();
  readonly #all: FoundCopy[] = [];
  /** account + a first id the re-signal may place a copy under, where no copy was found. */
  readonly #reused = new Set<string>();

  /**
   * A copy found working: `engineIds` are every id the engine may place it under (the first
   * ids of the leader order's entry, close and open legs), `orders` what the broker holds,
   * `connection` the one serving the account.
   */
  adopt(
    accountId: string,
    engineIds: readonly string[],
    orders: readonly BrokerOrder[],
    connection: BrokerConnection,
  ): void {
    const copy: FoundCopy = { accountId, connection, orders: [...orders], claimed: new Set() };
    for (const id of engineIds) this.#copies.set(`${accountId}\u0000${id}`, copy);
    this.#all.push(copy);
  }

  /**
   * A copy of a still-working leader order that the follower's broker holds only as cancelled
   * under its first ids (a re-plan cancelled it, and the copy that replaced it was lost with a
   * kill -9's last journal writes): the re-signal's placement under those ids fails instead of
   * going out, since a broker may answer a repeated id with the cancelled order, and the
   * engine's recovery places the copy again under a fresh id.
   */
  refuse(accountId: string, engineIds: readonly string[], connection: BrokerConnection): void {
    this.adopt(accountId, engineIds, [], connection);
  }

  /**
   * The first ids of a still-working leader order's copy that start-up recovery found no live
   * copy under (the lookup may not see an ended order: Sierra Chart reads only open orders).
   * A broker that answers a repeated client order id with the order it names (Sierra Chart,
   * Rithmic) then answers the re-signal's placement with a copy it cancelled before the
   * restart: that placement fails instead of counting as the copy, and the engine's recovery
   * places the copy again under a fresh id. A filled answer is the copy, filled.
   */
  expectNew(accountId: string, engineIds: readonly string[]): void {
    for (const id of engineIds) this.#reused.add(`${accountId}\u0000${id}`);
  }

  get size(): number {
    return this.#all.reduce((n, c) => n + c.orders.length, 0);
  }

  /**
   * Cancels every found order no placement claimed (the engine planned nothing for it, or
   * something else): called once the re-signalled leader orders went through. Returns how
   * many were cancelled; one a broker refuses to cancel is reported through `onError`.
   */
  async cancelUnclaimed(onError: (order: BrokerOrder, error: unknown) => void): Promise<number> {
    let n = 0;
    for (const copy of this.#all) n += await this.#cancelUnclaimed(copy, onError);
    this.#copies.clear();
    this.#reused.clear();
    return n;
  }

  /** The connection with placements of found copies answered from what was found. */
  wrap(connection: BrokerConnection): BrokerConnection {
    const self = this;
    return new Proxy(connection, {
      get(target, prop) {
        switch (prop) {
          case 'placeOrder':
            return (request: Parameters<BrokerConnection['placeOrder']>[0]) => self.#place(target, request);
          case 'onEvent':
            return (listener: Parameters<BrokerConnection['onEvent']>[0]) =>
              target.onEvent((event) => listener(self.#toEngine(event)));
          case 'getOpenOrders':
            return async (accountId: string) =>
              (await target.getOpenOrders(accountId)).map((o) => self.#orderToEngine(o));
          case 'findOrderByClientId':
            if (!target.findOrderByClientId) return undefined;
            return async (accountId: string, clientOrderId: string) => {
              const brokerId = self.#brokerIdOf.get(`${accountId}\u0000${clientOrderId}`) ?? clientOrderId;
              const found = await target.findOrderByClientId!(accountId, brokerId);
              return found && self.#orderToEngine(found);
            };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  async #place(
    target: BrokerConnection,
    request: Parameters<BrokerConnection['placeOrder']>[0],
  ): Promise<OrderAck> {
    const key = `${request.accountId}\u0000${request.clientOrderId}`;
    const copy = this.#copies.get(key);
    if (!copy) {
      if (!this.#reused.delete(key)) return target.placeOrder(request);
      const ack = await target.placeOrder(request);
      if (ack.status !== 'cancelled') return ack;
      throw new BrokerUnavailableError(
        target.broker,
        'the broker answered with the copy it cancelled before the restart (the same client order id): placed again under a fresh id',
      );
    }
    // Each id is answered once: a later placement with it goes to the broker's own guard.
    this.#copies.delete(key);
    const open = copy.orders.filter((o) => !copy.claimed.has(o.orderId));
    const fits = (o: BrokerOrder) => o.side === request.side && o.qty - o.filledQty === request.qty;
    const found = open.find((o) => o.clientOrderId === request.clientOrderId && fits(o)) ?? open.find(fits);
    if (!found) {
      // What the follower holds is not the copy the engine plans now: it goes. The new one is
      // not sent under this id: the first copy was placed under it before it was re-planned, and
      // a broker may answer a repeated id with that ended order (or refuse it). The placement
      // fails instead, and the engine's recovery places the copy again under a fresh id, as after
      // any failed placement of a working leader order's copy.
      await this.#cancelUnclaimed(copy, () => undefined);
      throw new BrokerUnavailableError(
        target.broker,
        'the copy found at start-up is not the one planned now: it was cancelled, and is placed again under a fresh id',
      );
    }
    copy.claimed.add(found.orderId);
    if (found.clientOrderId !== request.clientOrderId) {
      this.#engineIdOf.set(found.orderId, request.clientOrderId);
      if (found.clientOrderId !== undefined)
        this.#brokerIdOf.set(`${request.accountId}\u0000${request.clientOrderId}`, found.clientOrderId);
    }
    return {
      orderId: found.orderId,
      clientOrderId: request.clientOrderId,
      status: found.status,
      time: Date.now(),
    };
  }

  async #cancelUnclaimed(
    copy: FoundCopy,
    onError: (order: BrokerOrder, error: unknown) => void,
  ): Promise<number> {
    let n = 0;
    for (const order of copy.orders) {
      if (copy.claimed.has(order.orderId)) continue;
      copy.claimed.add(order.orderId);
      try {
        await copy.connection.cancelOrder({ accountId: copy.accountId, orderId: order.orderId });
        n++;
      } catch (error) {
        onError(order, error);
      }
    }
    return n;
  }

  #toEngine(event: BrokerEvent): BrokerEvent {
    if (this.#engineIdOf.size === 0) return event;
    if (event.type === 'order-updated') {
      const order = this.#orderToEngine(event.order);
      return order === event.order ? event : { ...event, order };
    }
    if (event.type === 'order-filled') {
      const id = this.#engineIdOf.get(event.fill.orderId);
      return id === undefined ? event : { ...event, fill: { ...event.fill, clientOrderId: id } };
    }
    return event;
  }

  #orderToEngine(order: BrokerOrder): BrokerOrder {
    const id = this.#engineIdOf.get(order.orderId);
    return id === undefined ? order : { ...order, clientOrderId: id };
  }
}

/**
 * Holds a source's submissions, and the leader fills that go with them, until `open()`:
 * recovery settles what the journal left unfinished before anything new is copied.
 *
 * Order is the point. The engine plans a leader order against the leader position at the
 * moment its signal arrives, so a leader fill must reach the engine after the signal of
 * its order, never before. Held submissions and fills therefore wait in one queue, and
 * once open both go through at once, in the caller's own turn: a submission deferred by
 * even a microtask let the fill that followed it overtake it (a market exit then planned
 * from the position after itself: an entry the other way, found by `tradenova chaos`).
 * `drained()` resolves when every submission made so far has been answered.
 */
export class SourceGate {
  #isOpen = false;
  #held: (() => void)[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();

  /** Lets everything held through, in the order it came, then everything later at once. */
  open(): void {
    if (this.#isOpen) return;
    this.#isOpen = true;
    const held = this.#held;
    this.#held = [];
    for (const run of held) run();
  }

  wrap(source: Source): Source {
    return {
      name: source.name,
      start: (submit) =>
        source.start((signal: unknown) => {
          const p = this.#pass(() => submit(signal));
          this.#inFlight.add(p);
          void p.finally(() => this.#inFlight.delete(p)).catch(() => undefined);
          return p;
        }),
      stop: () => source.stop(),
    };
  }

  /**
   * A leader fill's application, in its place among held submissions: run now when open,
   * else when the submissions before it are let through. `apply` reports its own errors.
   */
  fill(apply: () => void): void {
    if (this.#isOpen) apply();
    else
      this.#held.push(() => {
        try {
          apply();
        } catch {
          // `apply` logs what it cannot do; one fill must not stop the rest of the queue.
        }
      });
  }

  async drained(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #pass(work: () => Promise<SignalResult>): Promise<SignalResult> {
    if (this.#isOpen) return work();
    return new Promise((resolve, reject) => {
      this.#held.push(() => {
        try {
          work().then(resolve, reject);
        } catch (error) {
          reject(error);
        }
      });
    });
  }
}
