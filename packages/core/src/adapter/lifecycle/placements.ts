import { BrokerError, ErrorCode } from '../../errors.js';
import type { BrokerOrder, OrderAck, PlaceOrderRequest } from '../contract.js';

/** Errors after which a placement may or may not exist at the broker. */
export function isUnknownOutcome(error: unknown): boolean {
  return (
    error instanceof BrokerError &&
    (error.code === ErrorCode.BrokerTimeout || error.code === ErrorCode.BrokerDisconnected)
  );
}

/** What a placement guard needs from its connection. */
export interface PlacementGuardOptions {
  /** Looks an order up by the client order id it was placed with. */
  find(accountId: string, clientOrderId: string): Promise<BrokerOrder | undefined>;
  now(): number;
  /** Acknowledgements kept for repeated calls (oldest dropped first); default 10 000. */
  remember?: number;
}

/**
 * The contract's promise that a retried placement with the same intent id gives one
 * order, kept once for every adapter: a caller asking while the same (account, client
 * order id) is in flight joins that placement; one asking after it was acknowledged gets
 * the same ack; and after an unknown outcome (timeout, dropped connection) the broker is
 * asked for the order before anything is sent again.
 */
export class PlacementGuard {
  readonly #options: PlacementGuardOptions;
  readonly #inflight = new Map<string, Promise<OrderAck>>();
  readonly #acks = new Map<string, OrderAck>();
  readonly #unknown = new Set<string>();

  constructor(options: PlacementGuardOptions) {
    this.#options = options;
  }

  /**
   * Places through `send` at most once per (account, client order id). `fromFound` turns
   * an order found after an unknown outcome into the ack (it may throw, e.g. for a
   * rejected one); by default the order's id and status.
   */
  place(
    request: PlaceOrderRequest,
    send: () => Promise<OrderAck>,
    fromFound: (order: BrokerOrder) => OrderAck = (order) => this.ackOf(request, order),
  ): Promise<OrderAck> {
    const key = `${request.accountId}\u0000${request.clientOrderId}`;
    const inflight = this.#inflight.get(key);
    if (inflight) return inflight;
    const placing = this.#run(request, key, send, fromFound).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, placing);
    return placing;
  }

  /** The ack of an order the broker already holds for this request. */
  ackOf(request: PlaceOrderRequest, order: BrokerOrder): OrderAck {
    return ackOfFound(request, order, this.#options.now());
  }

  async #run(
    request: PlaceOrderRequest,
    key: string,
    send: () => Promise<OrderAck>,
    fromFound: (order: BrokerOrder) => OrderAck,
  ): Promise<OrderAck> {
    const known = this.#acks.get(key);
    if (known) return { ...known };
    if (this.#unknown.has(key)) {
      const found = await this.#options.find(request.accountId, request.clientOrderId);
      if (found) {
        this.#unknown.delete(key);
        return this.#remember(key, fromFound(found));
      }
    }
    let ack: OrderAck;
    try {
      ack = await send();
    } catch (error) {
      // A timeout or a dropped connection may still have placed the order: look it up before resending.
      if (isUnknownOutcome(error)) this.#unknown.add(key);
      throw error;
    }
    this.#unknown.delete(key);
    return this.#remember(key, ack);
  }

  #remember(key: string, ack: OrderAck): OrderAck {
    this.#acks.set(key, ack);
    if (this.#acks.size > (this.#options.remember ?? 10_000))
      this.#acks.delete(this.#acks.keys().next().value!);
    return { ...ack };
  }
}

/** The ack of `order`, which the broker already holds for `request` (found by its client order id), at `now`. */
export function ackOfFound(request: PlaceOrderRequest, order: BrokerOrder, now: number): OrderAck {
  return { orderId: order.orderId, clientOrderId: request.clientOrderId, status: order.status, time: now };
}
