import type { BrokerConnection, BrokerOrder, OrderAck, SignalResult, Source } from '@tradenova/core';

/**
 * Follower orders found at their brokers during start-up recovery, by account and client
 * order id. A connection wrapped with `wrap` answers a placement of one of them with the
 * order it already holds instead of sending it again: the engine then learns of the copy
 * (so the leader's later modify and cancel reach it) without a second order, whether or
 * not the broker itself refuses a repeated client order id.
 */
export class AdoptedOrders {
  readonly #orders = new Map<string, BrokerOrder>();

  adopt(accountId: string, clientOrderId: string, order: BrokerOrder): void {
    this.#orders.set(`${accountId}\u0000${clientOrderId}`, order);
  }

  get size(): number {
    return this.#orders.size;
  }

  /** The connection with placements of adopted orders answered from what was found. */
  wrap(connection: BrokerConnection): BrokerConnection {
    const orders = this.#orders;
    return new Proxy(connection, {
      get(target, prop) {
        if (prop === 'placeOrder') {
          return (request: Parameters<BrokerConnection['placeOrder']>[0]): Promise<OrderAck> => {
            const key = `${request.accountId}\u0000${request.clientOrderId}`;
            const found = orders.get(key);
            if (!found) return target.placeOrder(request);
            // Once: a later placement with this id (there should be none) goes to the broker's own guard.
            orders.delete(key);
            return Promise.resolve({
              orderId: found.orderId,
              clientOrderId: request.clientOrderId,
              status: found.status,
              time: Date.now(),
            });
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
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
