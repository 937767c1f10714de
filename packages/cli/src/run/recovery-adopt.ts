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
 * Holds a source's submissions until `open()`: recovery settles what the journal left
 * unfinished before anything new is copied. Submissions keep their order (each waits on
 * the same promise, in the order they came). `drained()` resolves when every submission
 * made so far has been answered.
 */
export class SourceGate {
  readonly #opened: Promise<void>;
  #open!: () => void;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor() {
    this.#opened = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  open(): void {
    this.#open();
  }

  wrap(source: Source): Source {
    return {
      name: source.name,
      start: (submit) =>
        source.start((signal: unknown) => {
          const p: Promise<SignalResult> = this.#opened.then(() => submit(signal));
          this.#inFlight.add(p);
          void p.finally(() => this.#inFlight.delete(p)).catch(() => undefined);
          return p;
        }),
      stop: () => source.stop(),
    };
  }

  async drained(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}
