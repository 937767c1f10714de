import type {
  BrokerConnection,
  BrokerEvent,
  BrokerFill,
  PlaceOrderRequest,
} from '../../src/adapter/contract.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import type { SignalResult } from '../../src/engine/api.js';
import { parseContract } from '../../src/instruments/contract.js';
import { defaultInstruments } from '../../src/instruments/registry.js';
import { LeaderSignalSource } from '../../src/leader/index.js';
import type { TradeSignal } from '../../src/model/signal.js';
import { priceToTicks } from '../../src/money/price.js';
import { PaperBroker } from '../../src/paper/paper-broker.js';
import { SimulatedExchange } from '../../src/paper/simulated-exchange.js';

/** Micro Nasdaq December 2025: tick 0.25. */
export const MNQ = parseContract('MNQZ25');
export const LEADER = 'LEAD';
/** Another account on the leader's connection: its events must never become signals. */
export const OTHER = 'OTHER';
/** The exchange's (the broker's) clock starts here ... */
export const BROKER_T0 = 1_000_000;
/** ... and the source's own clock here, so `detectedAt` and `receivedAt` are told apart. */
export const LOCAL_T0 = 5_000_000;

/**
 * A connection in front of a paper broker that relays its events the way a socket
 * adapter may: it can hold some events back to a later turn (a later frame), and
 * replay everything it has relayed (a resync after a reconnect).
 */
export class RelayConnection implements BrokerConnection {
  readonly broker: string;
  readonly capabilities: BrokerConnection['capabilities'];
  readonly #inner: PaperBroker;
  readonly #listeners = new Set<(event: BrokerEvent) => void>();
  readonly relayed: BrokerEvent[] = [];
  #held: BrokerEvent[] = [];
  /** Events this returns true for wait for `release()`. */
  holdIf: ((event: BrokerEvent) => boolean) | undefined;

  constructor(inner: PaperBroker) {
    this.#inner = inner;
    this.broker = inner.broker;
    this.capabilities = inner.capabilities;
    inner.onEvent((event) => {
      if (this.holdIf?.(event)) this.#held.push(event);
      else this.#relay(event);
    });
  }

  /** Delivers the held events, in order. */
  release(): void {
    const held = this.#held;
    this.#held = [];
    for (const event of held) this.#relay(event);
  }

  /** Delivers every event again, as an adapter's resync after a reconnect might. */
  replay(): void {
    for (const event of [...this.relayed]) this.#emit(event);
  }

  #relay(event: BrokerEvent): void {
    this.relayed.push(event);
    this.#emit(event);
  }

  #emit(event: BrokerEvent): void {
    for (const l of [...this.#listeners]) l(event);
  }

  connect = () => this.#inner.connect();
  disconnect = () => this.#inner.disconnect();
  listAccounts = () => this.#inner.listAccounts();
  placeOrder: BrokerConnection['placeOrder'] = (r) => this.#inner.placeOrder(r);
  modifyOrder: BrokerConnection['modifyOrder'] = (r) => this.#inner.modifyOrder(r);
  cancelOrder: BrokerConnection['cancelOrder'] = (r) => this.#inner.cancelOrder(r);
  flatten: BrokerConnection['flatten'] = (r) => this.#inner.flatten(r);
  getPositions: BrokerConnection['getPositions'] = (a) => this.#inner.getPositions(a);
  getOpenOrders: BrokerConnection['getOpenOrders'] = (a) => this.#inner.getOpenOrders(a);
  health = () => this.#inner.health();
  onEvent(listener: (event: BrokerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** Everything a leader test needs: an exchange, the leader's connection, a started source, and what it sent. */
export async function leaderSetup(
  options: {
    relay?: boolean;
    partialFills?: boolean;
    before?: (ex: SimulatedExchange) => Promise<void>;
  } = {},
) {
  const brokerClock = new VirtualClock(BROKER_T0);
  const localClock = new VirtualClock(LOCAL_T0);
  const exchange = new SimulatedExchange({
    clock: brokerClock,
    idPrefix: 'L',
    partialFills: options.partialFills ?? false,
    seed: 3,
  });
  const paper = new PaperBroker(exchange, [LEADER, OTHER]);
  const relay = options.relay ? new RelayConnection(paper) : undefined;
  const connection: BrokerConnection = relay ?? paper;
  await connection.connect();
  market('20000.00');
  await options.before?.(exchange);
  /** What reached the engine, in order: signals and leader fills interleaved. */
  const sent: ({ signal: TradeSignal } | { fill: BrokerFill })[] = [];
  const source = new LeaderSignalSource({
    connection,
    accountId: LEADER,
    clock: localClock,
    instruments: defaultInstruments,
    onLeaderFill: (fill) => sent.push({ fill }),
  });
  await source.start(async (signal): Promise<SignalResult> => {
    sent.push({ signal: signal as TradeSignal });
    return { ok: true, signalId: (signal as TradeSignal).signalId, outcomes: [] };
  });
  let n = 0;

  /** Sets the top of book at `price` (ask) and prints a trade there. */
  function market(price: string): void {
    const ticks = priceToTicks(price, '0.25');
    exchange.updateQuote(MNQ, { bidTicks: ticks - 1, askTicks: ticks });
    exchange.updateTrade(MNQ, ticks);
  }
  /** Places an order for the leader (or another account) right at the exchange, as the leader's platform would. */
  const place = (fields: Partial<PlaceOrderRequest> & Pick<PlaceOrderRequest, 'side' | 'orderType'>) =>
    exchange.placeOrder({ accountId: LEADER, clientOrderId: `ui-${++n}`, contract: MNQ, qty: 1, ...fields });
  const ticks = (price: string) => priceToTicks(price, '0.25');
  const signals = () => sent.flatMap((s) => ('signal' in s ? [s.signal] : []));
  const fills = () => sent.flatMap((s) => ('fill' in s ? [s.fill] : []));
  /** Advances both clocks and lets the source flush. */
  const settle = async (ms = 0) => {
    if (ms > 0) {
      await brokerClock.advanceBy(ms);
      await localClock.advanceBy(ms);
    }
    await source.settled();
  };
  return {
    brokerClock,
    localClock,
    exchange,
    paper,
    relay,
    connection,
    source,
    sent,
    signals,
    fills,
    place,
    market,
    ticks,
    settle,
  };
}
