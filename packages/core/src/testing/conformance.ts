import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  BrokerConnection,
  BrokerEvent,
  BrokerFill,
  BrokerOrder,
  BrokerOrderStatus,
  ConnectionState,
  OrderAck,
  PlaceOrderRequest,
} from '../adapter/contract.js';
import { systemClock } from '../clock/clock.js';
import { ErrorCode, TradeNovaError } from '../errors.js';
import { type Contract, contractKey, sameContract } from '../instruments/contract.js';
import { defaultInstruments } from '../instruments/registry.js';
import { LeaderSignalSource } from '../leader/leader-source.js';
import { parseSignal } from '../model/parse-signal.js';
import type { NewOrderSignal, OrderLeg, TradeSignal } from '../model/signal.js';
import { type Ticks, ticksToPrice } from '../money/price.js';

/** A market snapshot in ticks that the harness pushes to its simulated exchange. */
export interface ConformanceMarket {
  bidTicks: Ticks;
  askTicks: Ticks;
  lastTicks?: Ticks;
}

/**
 * One running broker simulator with an adapter connection to it. The suite calls
 * `connect()` itself; the hooks let it move the market and break things.
 */
export interface ConformanceHarness {
  /** A connection that has not been connected yet. */
  connection: BrokerConnection;
  /** The account the suite trades (in the adapter's own naming). */
  accountId: string;
  /** The contract the suite trades; MNQ December of next year when absent. */
  contract?: Contract;
  /** Sets the top of book (and last trade) at the simulated exchange; resting orders match against it. */
  setMarket(contract: Contract, market: ConformanceMarket): void | Promise<void>;
  /** Cuts the adapter's streaming connection(s) at the server, as a network failure would. Omit to skip the reconnect case. */
  cutConnection?(): void | Promise<void>;
  /** Fault injection. */
  faults: {
    /** The next placement is rejected by the broker. */
    rejectNext(reason?: string): void;
    /** The next request gets the broker's rate-limit answer. */
    rateLimitNext(): void;
    /** The next placement is carried out but its answer is lost (connection cut before the reply). */
    loseNextResponse?(): void;
  };
  /** The simulator's token lifetime in ms when it is short enough to test renewal (a few seconds). */
  tokenLifetimeMs?: number;
  /** Logins and renewals the simulator served, to tell a renewal from a fresh login. */
  authStats?(): { logins: number; renewals: number };
  /**
   * An account of this connection to act as the leader in the leader-mode case: the suite
   * places orders on it through the connection (as the leader's own platform would) and
   * checks the signals `LeaderSignalSource` makes of its events. It may be `accountId`; a
   * different account also checks that other accounts' events are ignored. Omit to skip
   * the case. The bracket part runs only when `capabilities.brackets` is true. An adapter
   * without `capabilities.leaderFillStream` may still name one: the case then checks the
   * events of orders placed through the connection, not what a leader's own platform shows.
   */
  leaderAccountId?: string;
  /** The exchange fills in several chunks (so partial fills can be asserted). */
  partialFills?: boolean;
  /** Stops the simulator. */
  stop(): Promise<void>;
}

/** The cases of the suite, by name, so an adapter can skip one with a reason. */
export type ConformanceCase =
  | 'connect'
  | 'token-renewal'
  | 'market-order'
  | 'limit-order'
  | 'stop-order'
  | 'stop-limit-order'
  | 'bracket'
  | 'modify'
  | 'cancel'
  | 'partial-fills'
  | 'flatten'
  | 'queries'
  | 'reconnect'
  | 'idempotent-retry'
  | 'reject'
  | 'rate-limit'
  | 'leader-signals';

/** Options of `runConformanceSuite`. */
export interface ConformanceSuiteOptions {
  /** Shown in the describe block, e.g. `tradovate`. */
  name: string;
  /** Starts a fresh simulator and an unconnected connection; called before every case. */
  start: () => Promise<ConformanceHarness>;
  /** Cases to skip, with the reason (printed in the test name). */
  skip?: Partial<Record<ConformanceCase, string>>;
  /** How long to wait for an expected event, ms (default 5 000). */
  eventTimeoutMs?: number;
}

/** MNQ December of next year: never expired, and its one-digit year reads back the same on every broker. */
function defaultContract(): Contract {
  return { root: 'MNQ', month: 'Z', year: new Date().getUTCFullYear() + 1 };
}

/** A recorder of a connection's events with waiting helpers. */
class EventLog {
  readonly events: BrokerEvent[] = [];
  readonly #timeoutMs: number;

  constructor(connection: BrokerConnection, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    connection.onEvent((event) => this.events.push(event));
  }

  fills(orderId?: string): BrokerFill[] {
    return this.events.flatMap((e) =>
      e.type === 'order-filled' && (orderId === undefined || e.fill.orderId === orderId) ? [e.fill] : [],
    );
  }

  statuses(orderId: string): BrokerOrderStatus[] {
    return this.events.flatMap((e) =>
      e.type === 'order-updated' && e.order.orderId === orderId ? [e.order.status] : [],
    );
  }

  states(): ConnectionState[] {
    return this.events.flatMap((e) => (e.type === 'connection-changed' ? [e.state] : []));
  }

  /** Resolves when `check` holds, polling; fails the test with `what` after the timeout. */
  async until(what: string, check: () => boolean): Promise<void> {
    const deadline = Date.now() + this.#timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/**
 * Registers the adapter conformance suite (vitest `describe` / `it`) against a
 * simulator: every adapter runs the same cases. The leader-mode case runs when the
 * harness names a `leaderAccountId`.
 */
export function runConformanceSuite(options: ConformanceSuiteOptions): void {
  const timeoutMs = options.eventTimeoutMs ?? 5_000;

  describe(`adapter conformance: ${options.name}`, () => {
    let h: ConformanceHarness;
    let c: BrokerConnection;
    let log: EventLog;
    let contract: Contract;
    let n = 0;

    beforeEach(async () => {
      h = await options.start();
      c = h.connection;
      contract = h.contract ?? defaultContract();
      log = new EventLog(c, timeoutMs);
      await h.setMarket(contract, { bidTicks: 80_000, askTicks: 80_001, lastTicks: 80_000 });
      await c.connect();
    });

    afterEach(async () => {
      await c.disconnect().catch(() => {});
      await h.stop();
    });

    /** A placement with a fresh client order id. */
    const order = (
      fields: Partial<PlaceOrderRequest> & Pick<PlaceOrderRequest, 'side' | 'orderType'>,
    ): PlaceOrderRequest => ({
      accountId: h.accountId,
      clientOrderId: `conf${Date.now().toString(36)}${(++n).toString(36)}`,
      contract,
      qty: 1,
      ...fields,
    });

    const netQty = async () =>
      (await c.getPositions(h.accountId))
        .filter((p) => sameContract(p.contract, contract))
        .reduce((s, p) => s + p.netQty, 0);

    const openOrder = async (orderId: string): Promise<BrokerOrder | undefined> =>
      (await c.getOpenOrders(h.accountId)).find((o) => o.orderId === orderId);

    const filledQty = (orderId: string) => log.fills(orderId).reduce((s, f) => s + f.qty, 0);

    const positionEvent = (qty: number) => () =>
      log.events.some(
        (e) =>
          e.type === 'position-updated' &&
          sameContract(e.position.contract, contract) &&
          e.position.netQty === qty,
      );

    type Body = (ctx: { skip: (note?: string) => never }) => Promise<void>;
    const test = (name: ConformanceCase, title: string, body: Body, timeout?: number) => {
      const reason = options.skip?.[name];
      // A skip must say why: the reason is in the test's name for everyone reading the run.
      if (reason !== undefined && reason.trim() === '')
        throw new Error(`conformance: skip['${name}'] needs a reason`);
      if (reason !== undefined) it.skip(`${title} (skipped: ${reason})`, () => {});
      else it(title, (ctx) => body(ctx as unknown as { skip: (note?: string) => never }), timeout);
    };

    test('connect', 'connects, authenticates and lists the account', async () => {
      expect(c.health().state).toBe('connected');
      expect(log.states()).toContain('connected');
      const accounts = await c.listAccounts();
      expect(accounts.map((a) => a.accountId)).toContain(h.accountId);
    });

    test(
      'token-renewal',
      'token renewal: keeps working past the token lifetime without a new login',
      async () => {
        // Declared or passed: a harness without a short token lifetime must say why in `skip`.
        if (h.tokenLifetimeMs === undefined)
          throw new Error(
            "token renewal: give the harness tokenLifetimeMs (a few seconds) and authStats, or declare skip['token-renewal'] with the reason (e.g. the protocol has no tokens)",
          );
        const before = h.authStats?.();
        await new Promise((r) => setTimeout(r, Math.ceil(h.tokenLifetimeMs! * 1.6)));
        expect((await c.listAccounts()).map((a) => a.accountId)).toContain(h.accountId);
        const ack = await c.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 79_000 }));
        expect(ack.orderId).toBeTruthy();
        const after = h.authStats?.();
        if (before && after) {
          expect(after.logins).toBe(before.logins);
          expect(after.renewals).toBeGreaterThan(before.renewals);
        }
      },
      30_000,
    );

    test('market-order', 'market order: acknowledged, filled as an event, position reported', async () => {
      const ack = await c.placeOrder(order({ side: 'buy', orderType: 'market' }));
      expect(ack.orderId).toBeTruthy();
      await log.until('the market fill', () => filledQty(ack.orderId) === 1);
      const fill = log.fills(ack.orderId)[0]!;
      expect(fill.side).toBe('buy');
      expect(fill.priceTicks).toBe(80_001);
      expect(sameContract(fill.contract, contract)).toBe(true);
      await log.until('position +1', positionEvent(1));
      expect(await netQty()).toBe(1);
    });

    test(
      'limit-order',
      'limit order: rests, is queried as open, fills when the market reaches it',
      async () => {
        const ack = await c.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 79_990 }));
        await log.until('the limit order working', () => log.statuses(ack.orderId).includes('working'));
        const open = await openOrder(ack.orderId);
        expect(open).toMatchObject({ orderType: 'limit', limitTicks: 79_990, side: 'buy', qty: 1 });
        expect(filledQty(ack.orderId)).toBe(0);
        await h.setMarket(contract, { bidTicks: 79_989, askTicks: 79_990, lastTicks: 79_990 });
        await log.until('the limit fill', () => filledQty(ack.orderId) === 1);
        expect(log.fills(ack.orderId)[0]!.priceTicks).toBe(79_990);
        await log.until('filled status', () => log.statuses(ack.orderId).includes('filled'));
      },
    );

    test('stop-order', 'stop order: waits for its trigger, then fills', async () => {
      const ack = await c.placeOrder(order({ side: 'buy', orderType: 'stop', stopTicks: 80_010 }));
      await log.until('the stop working', () => log.statuses(ack.orderId).includes('working'));
      expect(await openOrder(ack.orderId)).toMatchObject({ orderType: 'stop', stopTicks: 80_010 });
      await h.setMarket(contract, { bidTicks: 80_010, askTicks: 80_011, lastTicks: 80_010 });
      await log.until('the stop fill', () => filledQty(ack.orderId) === 1);
    });

    test('stop-limit-order', 'stop-limit order: carries both prices, fills after its trigger', async () => {
      const ack = await c.placeOrder(
        order({ side: 'sell', orderType: 'stop-limit', stopTicks: 79_990, limitTicks: 79_985 }),
      );
      await log.until('the stop-limit working', () => log.statuses(ack.orderId).includes('working'));
      expect(await openOrder(ack.orderId)).toMatchObject({
        orderType: 'stop-limit',
        stopTicks: 79_990,
        limitTicks: 79_985,
      });
      await h.setMarket(contract, { bidTicks: 79_989, askTicks: 79_990, lastTicks: 79_989 });
      await log.until('the stop-limit fill', () => filledQty(ack.orderId) === 1);
      expect(log.fills(ack.orderId)[0]!.priceTicks).toBeGreaterThanOrEqual(79_985);
    });

    test(
      'bracket',
      'bracket: entry with stop-loss and take-profit; the take-profit fill cancels the stop',
      async (ctx) => {
        // A connection that declares brackets: false is never sent one: the engine holds the legs.
        if (!c.capabilities.brackets)
          return ctx.skip(
            'the connection declares capabilities.brackets: false (the engine manages the legs)',
          );
        const ack: OrderAck = await c.placeOrder(
          order({
            side: 'buy',
            orderType: 'market',
            bracket: { stopLossTicks: 79_960, takeProfitTicks: 80_040 },
          }),
        );
        expect(ack.childOrderIds?.stopLoss).toBeTruthy();
        expect(ack.childOrderIds?.takeProfit).toBeTruthy();
        const { stopLoss, takeProfit } = ack.childOrderIds!;
        await log.until('the entry fill', () => filledQty(ack.orderId) === 1);
        await log.until('both children working', () =>
          [stopLoss!, takeProfit!].every((id) => log.statuses(id).includes('working')),
        );
        const open = await c.getOpenOrders(h.accountId);
        expect(open.find((o) => o.orderId === stopLoss)).toMatchObject({
          side: 'sell',
          orderType: 'stop',
          stopTicks: 79_960,
        });
        expect(open.find((o) => o.orderId === takeProfit)).toMatchObject({
          side: 'sell',
          orderType: 'limit',
          limitTicks: 80_040,
        });
        await h.setMarket(contract, { bidTicks: 80_040, askTicks: 80_041, lastTicks: 80_040 });
        await log.until('the take-profit fill', () => filledQty(takeProfit!) === 1);
        await log.until('the stop-loss cancelled', () => log.statuses(stopLoss!).includes('cancelled'));
        await log.until('flat', positionEvent(0));
        expect(await netQty()).toBe(0);
      },
    );

    test('modify', 'modify: price and quantity of a working order change in place', async () => {
      const ack = await c.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 79_900, qty: 1 }));
      await log.until('working', () => log.statuses(ack.orderId).includes('working'));
      await c.modifyOrder({ accountId: h.accountId, orderId: ack.orderId, limitTicks: 79_950, qty: 2 });
      await log.until('the modified order event', () =>
        log.events.some(
          (e) =>
            e.type === 'order-updated' &&
            e.order.orderId === ack.orderId &&
            e.order.limitTicks === 79_950 &&
            e.order.qty === 2,
        ),
      );
      expect(await openOrder(ack.orderId)).toMatchObject({
        limitTicks: 79_950,
        qty: 2,
        clientOrderId: ack.clientOrderId,
      });
    });

    test('cancel', 'cancel: the order ends cancelled and leaves the open orders', async () => {
      const ack = await c.placeOrder(order({ side: 'sell', orderType: 'limit', limitTicks: 80_100 }));
      await log.until('working', () => log.statuses(ack.orderId).includes('working'));
      await c.cancelOrder({ accountId: h.accountId, orderId: ack.orderId });
      await log.until('cancelled', () => log.statuses(ack.orderId).includes('cancelled'));
      expect(await openOrder(ack.orderId)).toBeUndefined();
    });

    test(
      'partial-fills',
      'fills arrive as events that add up to the order (in several parts when the exchange splits them)',
      async () => {
        const ack = await c.placeOrder(order({ side: 'buy', orderType: 'market', qty: 5 }));
        await log.until('5 filled', () => filledQty(ack.orderId) === 5);
        const fills = log.fills(ack.orderId);
        expect(new Set(fills.map((f) => f.fillId)).size).toBe(fills.length);
        if (h.partialFills) {
          expect(fills.length).toBeGreaterThan(1);
          await log.until('filled', () => log.statuses(ack.orderId).includes('filled'));
          expect(log.statuses(ack.orderId)).toContain('partially-filled');
        }
        await log.until('position +5', positionEvent(5));
      },
    );

    test('flatten', 'flatten: working orders cancelled and the position closed', async () => {
      const entry = await c.placeOrder(order({ side: 'buy', orderType: 'market', qty: 2 }));
      await log.until('entry filled', () => filledQty(entry.orderId) === 2);
      const resting = await c.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 79_000 }));
      await log.until('resting', () => log.statuses(resting.orderId).includes('working'));
      await c.flatten({ accountId: h.accountId, contract });
      await log.until('flat', positionEvent(0));
      await log.until('resting cancelled', () => log.statuses(resting.orderId).includes('cancelled'));
      expect(await netQty()).toBe(0);
      expect(await c.getOpenOrders(h.accountId)).toEqual([]);
    });

    test('queries', 'positions and open orders are read back from the broker', async () => {
      expect(await c.getOpenOrders(h.accountId)).toEqual([]);
      const sell = await c.placeOrder(order({ side: 'sell', orderType: 'market', qty: 3 }));
      await log.until('sold', () => filledQty(sell.orderId) === 3);
      const resting = await c.placeOrder(
        order({ side: 'buy', orderType: 'limit', limitTicks: 79_500, qty: 2 }),
      );
      await log.until('resting', () => log.statuses(resting.orderId).includes('working'));
      const positions = (await c.getPositions(h.accountId)).filter((p) => sameContract(p.contract, contract));
      expect(positions).toHaveLength(1);
      expect(positions[0]).toMatchObject({ accountId: h.accountId, netQty: -3, avgPriceTicks: 80_000 });
      const open = await c.getOpenOrders(h.accountId);
      expect(open).toHaveLength(1);
      expect(open[0]).toMatchObject({
        orderId: resting.orderId,
        clientOrderId: resting.clientOrderId,
        accountId: h.accountId,
        side: 'buy',
        qty: 2,
        filledQty: 0,
        orderType: 'limit',
        limitTicks: 79_500,
        status: 'working',
      });
      expect(sameContract(open[0]!.contract, contract)).toBe(true);
    });

    test(
      'reconnect',
      'reconnect: after the connection is cut, orders and positions are resynced',
      async () => {
        // Declared or passed: every real broker connection can drop.
        if (!h.cutConnection)
          throw new Error(
            "reconnect: give the harness cutConnection() (the simulator drops the adapter's connections), or declare skip.reconnect with the reason",
          );
        const ack = await c.placeOrder(order({ side: 'buy', orderType: 'limit', limitTicks: 79_995 }));
        await log.until('working', () => log.statuses(ack.orderId).includes('working'));
        const seen = log.events.length;
        await h.cutConnection!();
        // The market fills the order while the stream is down: only a resync can tell the adapter.
        await h.setMarket(contract, { bidTicks: 79_994, askTicks: 79_995, lastTicks: 79_995 });
        await log.until('reconnecting then connected', () => {
          const states = log.events
            .slice(seen)
            .flatMap((e) => (e.type === 'connection-changed' ? [e.state] : []));
          return states.includes('reconnecting') && states.at(-1) === 'connected';
        });
        await log.until('the missed fill, once', () => filledQty(ack.orderId) === 1);
        await log.until('the missed position', positionEvent(1));
        expect(c.health().state).toBe('connected');
        expect(await netQty()).toBe(1);
        expect(await openOrder(ack.orderId)).toBeUndefined();
        // After the resync the stream works again.
        const next = await c.placeOrder(order({ side: 'sell', orderType: 'market' }));
        await log.until('a fill after the resync', () => filledQty(next.orderId) === 1);
        expect(filledQty(ack.orderId)).toBe(1);
      },
      20_000,
    );

    test(
      'idempotent-retry',
      'a retried placement with the same client order id gives one order',
      async () => {
        const request = order({ side: 'buy', orderType: 'limit', limitTicks: 79_800 });
        const first = await c.placeOrder(request);
        const second = await c.placeOrder({ ...request });
        expect(second.orderId).toBe(first.orderId);
        if (h.faults.loseNextResponse) {
          // The answer is lost: the outcome is unknown (never a reject), and the retry must find the order.
          const lost = order({ side: 'buy', orderType: 'limit', limitTicks: 79_700 });
          h.faults.loseNextResponse();
          const error = await c.placeOrder(lost).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(TradeNovaError);
          expect([ErrorCode.BrokerTimeout, ErrorCode.BrokerDisconnected]).toContain(
            (error as TradeNovaError).code,
          );
          const retried = await c.placeOrder({ ...lost });
          expect(retried.clientOrderId).toBe(lost.clientOrderId);
          const tagged = (await c.getOpenOrders(h.accountId)).filter(
            (o) => o.clientOrderId === lost.clientOrderId,
          );
          expect(tagged).toHaveLength(1);
          expect(tagged[0]!.orderId).toBe(retried.orderId);
        }
        const open = (await c.getOpenOrders(h.accountId)).filter(
          (o) => o.clientOrderId === request.clientOrderId,
        );
        expect(open).toHaveLength(1);
        if (c.findOrderByClientId) {
          // What a restarted engine asks before placing again.
          expect((await c.findOrderByClientId(h.accountId, request.clientOrderId))?.orderId).toBe(
            first.orderId,
          );
          expect(await c.findOrderByClientId(h.accountId, 'never-placed')).toBeUndefined();
        }
      },
    );

    test('reject', 'a broker reject arrives as BrokerRejectedError', async () => {
      h.faults.rejectNext();
      const error = await c.placeOrder(order({ side: 'buy', orderType: 'market' })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TradeNovaError);
      expect((error as TradeNovaError).code).toBe(ErrorCode.BrokerRejected);
      expect((error as TradeNovaError).disposition).toBe('not-retryable');
      // The connection is still usable.
      const ack = await c.placeOrder(order({ side: 'buy', orderType: 'market' }));
      await log.until('a fill after the reject', () => filledQty(ack.orderId) === 1);
    });

    test(
      'rate-limit',
      'a rate-limit answer arrives as BrokerRateLimitedError with a retry-after',
      async () => {
        h.faults.rateLimitNext();
        const error = await c.placeOrder(order({ side: 'buy', orderType: 'market' })).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(TradeNovaError);
        expect((error as TradeNovaError).code).toBe(ErrorCode.BrokerRateLimited);
        expect((error as TradeNovaError & { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
        expect((error as TradeNovaError).disposition).toBe('retryable');
      },
    );

    it('leader events become the right signals', async (ctx) => {
      if (options.skip?.['leader-signals'] !== undefined) return ctx.skip(options.skip['leader-signals']);
      if (h.leaderAccountId === undefined) return ctx.skip('the harness names no leaderAccountId');
      const leader = h.leaderAccountId;
      const tickSize = defaultInstruments.get(contract.root).tickSize;
      const price = (ticks: Ticks) => ticksToPrice(ticks, tickSize);
      const signals: TradeSignal[] = [];
      /** Signals and fills in the order the engine would get them. */
      const sent: string[] = [];
      const fillIds: string[] = [];
      const source = new LeaderSignalSource({
        connection: c,
        accountId: leader,
        clock: systemClock,
        instruments: defaultInstruments,
        onLeaderFill: (fill) => {
          fillIds.push(fill.fillId);
          sent.push(`fill ${fill.orderId}`);
        },
      });
      const startedAt = Date.now();
      await source.start(async (raw) => {
        const signal = raw as TradeSignal;
        signals.push(signal);
        sent.push(`${signal.action} ${'leaderOrderId' in signal ? signal.leaderOrderId : ''}`);
        return { ok: true, signalId: signal.signalId, outcomes: [] };
      });
      const place = (fields: Partial<PlaceOrderRequest> & Pick<PlaceOrderRequest, 'side' | 'orderType'>) =>
        c.placeOrder({ ...order(fields), accountId: leader });
      const find = (action: TradeSignal['action'], leaderOrderId: string, leg?: OrderLeg) =>
        signals.filter(
          (s) =>
            s.action === action &&
            'leaderOrderId' in s &&
            s.leaderOrderId === leaderOrderId &&
            (leg === undefined || ('leg' in s && s.leg === leg)),
        );
      /** A leg's price as followers were told: on the `new`'s bracket, then moved by `modify`s of the leg. */
      const legPrice = (entryId: string, leg: 'stop-loss' | 'take-profit'): string | undefined => {
        const entry = find('new', entryId)[0] as NewOrderSignal | undefined;
        let p = leg === 'stop-loss' ? entry?.bracket?.stopLoss?.price : entry?.bracket?.takeProfit?.price;
        for (const m of find('modify', entryId, leg)) {
          if (m.action === 'modify') p = m.stopPrice ?? m.limitPrice ?? p;
        }
        return p;
      };
      try {
        // Another account's order on the same connection is never the leader's.
        if (leader !== h.accountId) await c.placeOrder(order({ side: 'buy', orderType: 'market' }));

        // A market order: `new` on the broker's fill, with its price, ahead of the fill itself.
        const market = await place({ side: 'buy', orderType: 'market' });
        await log.until('the market order `new`', () => find('new', market.orderId).length === 1);
        expect(find('new', market.orderId)[0]).toMatchObject({
          leaderAccount: leader,
          instrument: contractKey(contract),
          side: 'buy',
          qty: 1,
          orderType: 'market',
          fillPrice: price(80_001),
        });
        await log.until('the leader fill', () => sent.includes(`fill ${market.orderId}`));
        expect(sent.indexOf(`new ${market.orderId}`)).toBeLessThan(sent.indexOf(`fill ${market.orderId}`));

        // A limit order: `new` when working, `modify` when moved, `cancel` when cancelled.
        const limit = await place({ side: 'buy', orderType: 'limit', limitTicks: 79_990 });
        await log.until('the limit order `new`', () => find('new', limit.orderId).length === 1);
        expect(find('new', limit.orderId)[0]).toMatchObject({
          orderType: 'limit',
          limitPrice: price(79_990),
        });
        await c.modifyOrder({ accountId: leader, orderId: limit.orderId, limitTicks: 79_980 });
        await log.until('the `modify`', () => find('modify', limit.orderId).length === 1);
        expect(find('modify', limit.orderId)[0]).toMatchObject({ leg: 'entry', limitPrice: price(79_980) });
        await c.cancelOrder({ accountId: leader, orderId: limit.orderId });
        await log.until('the `cancel`', () => find('cancel', limit.orderId).length === 1);

        // A bracket: its prices reach followers, a stop move is a stop-loss `modify`, the OCO cancel nothing.
        // Only where the connection places brackets: elsewhere the leader's platform would place the legs
        // as orders of their own, and followers' brackets are the engine's (see managed-bracket.ts).
        const brackets = c.capabilities.brackets;
        if (brackets) {
          const bracket = await place({
            side: 'buy',
            orderType: 'market',
            bracket: { stopLossTicks: 79_960, takeProfitTicks: 80_040 },
          });
          const stopLoss = bracket.childOrderIds?.stopLoss;
          expect(stopLoss).toBeTruthy();
          await log.until(
            'the bracket `new` with both leg prices',
            () =>
              find('new', bracket.orderId).length === 1 &&
              legPrice(bracket.orderId, 'stop-loss') === price(79_960) &&
              legPrice(bracket.orderId, 'take-profit') === price(80_040),
          );
          expect(find('new', bracket.orderId)[0]).toMatchObject({
            orderType: 'market',
            fillPrice: price(80_001),
          });
          await log.until('the stop-loss working', () => log.statuses(stopLoss!).includes('working'));
          await c.modifyOrder({ accountId: leader, orderId: stopLoss!, stopTicks: 79_970 });
          await log.until(
            'the stop-loss `modify`',
            () => legPrice(bracket.orderId, 'stop-loss') === price(79_970),
          );
          await h.setMarket(contract, { bidTicks: 80_040, askTicks: 80_041, lastTicks: 80_040 });
          await log.until('the OCO cancel of the stop-loss', () =>
            log.statuses(stopLoss!).includes('cancelled'),
          );
          await source.settled();
          expect(find('cancel', bracket.orderId)).toEqual([]);
        }
        await source.settled();

        // Every signal is valid as it is, stamped, and unique; every leader fill went to the engine once.
        for (const s of signals) {
          expect(parseSignal(s, { leaderAccount: leader, now: 0 })).toEqual(s);
          expect(s.leaderAccount).toBe(leader);
          expect(s.receivedAt).toBeGreaterThanOrEqual(startedAt);
          expect(s.receivedAt).toBeLessThanOrEqual(Date.now());
          expect(Number.isFinite(s.detectedAt)).toBe(true);
        }
        expect(new Set(signals.map((s) => s.signalId)).size).toBe(signals.length);
        expect(signals.map((s) => s.action).sort()).toEqual(
          brackets ? ['cancel', 'modify', 'modify', 'new', 'new', 'new'] : ['cancel', 'modify', 'new', 'new'],
        );
        const leaderFills = log.fills().filter((f) => f.accountId === leader);
        expect([...fillIds].sort()).toEqual(leaderFills.map((f) => f.fillId).sort());
      } finally {
        await source.stop();
      }
    });
  });
}
