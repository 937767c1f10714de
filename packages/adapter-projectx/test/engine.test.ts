import {
  type BrokerConnection,
  type Contract,
  createEngine,
  defaultInstruments,
  type Engine,
  type EngineConfigInput,
  type EngineEvent,
  LeaderSignalSource,
  type OrderAck,
  type PlaceOrderRequest,
  systemClock,
} from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectXSimulator, SimAccountSpec } from '../src/simulator/index.js';
import { toProjectXContractId } from '../src/symbols.js';
import { startPair } from './helpers.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: new Date().getUTCFullYear() + 1 };
const CONTRACT_ID = toProjectXContractId(MNQ);
/** MNQ's tick is 0.25: 21 000.00 is tick 84 000. */
const MID = 84_000;

/** Engine events that mean a follower order did not go through as asked. */
const FAILED = new Set<EngineEvent['type']>([
  'order-failed',
  'order-blocked',
  'order-rejected',
  'order-timed-out',
]);

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
});

async function until(what: string, check: () => boolean, timeout = 20_000): Promise<void> {
  await waitFor(check, { message: what, timeout });
}

const net = (engine: Engine, follower: string) =>
  engine.positions(follower).find((p) => p.contract.root === MNQ.root)?.netQty ?? 0;

/** The exchange's net position of a ProjectX account (by name). */
const brokerNet = (sim: ProjectXSimulator, account: string) =>
  sim.exchange.getPositions(account).reduce((s, p) => s + p.netQty, 0);

describe('50 followers under one ProjectX API key', () => {
  const FOLLOWERS = 50;
  /** 50 practice accounts on one login: the simulator opens whatever accounts it is given. */
  const accounts: SimAccountSpec[] = Array.from({ length: FOLLOWERS }, (_, i) => ({
    id: 7_000 + i,
    name: `PRAC-V2-77777-${String(i + 1).padStart(5, '0')}`,
  }));
  /** Low enough that 50 orders at once cannot fit in one window. */
  const limit = { requests: 40, perMs: 1_000 };

  async function start() {
    const { sim, connection } = await startPair(
      { rateLimit: limit, accounts },
      { rateLimit: limit, reservedRequests: 15 },
    );
    cleanup.push(() => sim.close());
    sim.exchange.updateQuote(MNQ, { bidTicks: MID - 1, askTicks: MID });
    // Count the placements the engine hands to the adapter, and how many it had handed over when the first answer came back.
    let handed = 0;
    let handedAtFirstAck: number | undefined;
    const place = connection.placeOrder.bind(connection);
    connection.placeOrder = async (request: PlaceOrderRequest): Promise<OrderAck> => {
      handed++;
      const ack = await place(request);
      handedAtFirstAck ??= handed;
      return ack;
    };
    const config: EngineConfigInput = {
      leader: { account: 'LEAD' },
      followers: accounts.map((a, i) => ({
        name: `f${i + 1}`,
        broker: 'projectx',
        account: a.name,
        scaling: { mode: 'fixed', qty: 1 },
      })),
    };
    const engine = createEngine(config, { clock: systemClock, connections: { projectx: connection } });
    const events: EngineEvent[] = [];
    engine.on((e) => events.push(e));
    await engine.start();
    cleanup.push(() => engine.stop());
    return {
      sim,
      connection,
      engine,
      events,
      handed: () => handed,
      handedAtFirstAck: () => handedAtFirstAck,
    };
  }

  const signal = {
    signalId: 'burst-1',
    action: 'new',
    leaderOrderId: 'L-1',
    instrument: `MNQZ${MNQ.year % 10}`,
    side: 'buy',
    qty: 1,
    orderType: 'market',
    fillPrice: '21000',
  } as const;

  it('every follower gets its order, no 429 is earned, and the engine budget did the queueing', async () => {
    const { sim, connection, engine, events, handed, handedAtFirstAck } = await start();
    // The adapter declares the key's limit less what it keeps back for itself.
    expect(connection.budget).toEqual({ requests: 25, perMs: 1_000 });
    const placesBefore = sim.stats().byEndpoint['Order/place'] ?? 0;

    const result = await engine.submit({ ...signal, time: Date.now() });
    expect(result.ok).toBe(true);
    engine.applyLeaderFill({ contract: MNQ, side: 'buy', qty: 1, priceTicks: MID });
    await engine.idle();

    // Every follower's order was placed once, and every one filled.
    expect(handed()).toBe(FOLLOWERS);
    expect((sim.stats().byEndpoint['Order/place'] ?? 0) - placesBefore).toBe(FOLLOWERS);
    await until('every follower long 1 in the engine', () =>
      engine.followers.every((f) => net(engine, f) === 1),
    );
    for (const a of accounts) expect(brokerNet(sim, a.name)).toBe(1);
    expect(events.filter((e) => e.type === 'order-filled')).toHaveLength(FOLLOWERS);
    expect(events.some((e) => FAILED.has(e.type))).toBe(false);
    // Not one rate-limited answer, although 50 orders do not fit in one window of the key.
    expect(sim.stats().rateLimited).toBe(0);
    // The engine held orders back: when the first answer arrived it had handed the adapter no more
    // than its budget, not all 50 (the adapter's own limiter is only the safety net below it).
    expect(handedAtFirstAck()).toBeDefined();
    expect(handedAtFirstAck()!).toBeLessThanOrEqual(connection.budget.requests);
  }, 60_000);

  it('the same 50 orders sent at once by a bare client earn 429s at this limit', async () => {
    const { sim } = await startPair({ rateLimit: limit, accounts });
    cleanup.push(() => sim.close());
    sim.exchange.updateQuote(MNQ, { bidTicks: MID - 1, askTicks: MID });
    const post = (endpoint: string, body: object, token?: string) =>
      fetch(`${sim.url}/api/${endpoint}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const login = (await (await post('Auth/loginKey', { userName: 'naive', apiKey: 'k' })).json()) as {
      token: string;
    };
    const statuses = await Promise.all(
      accounts.map(async (a) => {
        const res = await post(
          'Order/place',
          { accountId: a.id, contractId: CONTRACT_ID, type: 2, side: 0, size: 1 },
          login.token,
        );
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(sim.stats().rateLimited).toBeGreaterThan(0);
  });
});

describe('ProjectX leader mode end to end', () => {
  const LEADER: SimAccountSpec = { id: 900, name: 'PRAC-V2-LEADER-00001' };
  const FOLLOWER_A: SimAccountSpec = { id: 901, name: 'PRAC-V2-FOLLOW-00001' };
  const FOLLOWER_B: SimAccountSpec = { id: 902, name: 'PRAC-V2-FOLLOW-00002' };

  /** The leader's own platform: a second login that trades through the Gateway REST API. */
  function userClient(sim: ProjectXSimulator) {
    let token: string | undefined;
    const post = async (endpoint: string, body: object): Promise<Record<string, unknown>> => {
      const res = await fetch(`${sim.url}/api/${endpoint}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as Record<string, unknown>;
      expect(answer.success, `${endpoint}: ${String(answer.errorMessage)}`).toBe(true);
      return answer;
    };
    return {
      login: async () => {
        token = String((await post('Auth/loginKey', { userName: 'leader-ui', apiKey: 'ui-key' })).token);
      },
      place: async (body: Record<string, unknown>) =>
        Number(
          (await post('Order/place', { accountId: LEADER.id, contractId: CONTRACT_ID, ...body })).orderId,
        ),
      modify: (body: Record<string, unknown>) => post('Order/modify', { accountId: LEADER.id, ...body }),
      cancel: (orderId: number) => post('Order/cancel', { accountId: LEADER.id, orderId }),
    };
  }

  it("copies the leader's own market and limit orders, a price change and a cancel to followers", async () => {
    const { sim, connection } = await startPair({ accounts: [LEADER, FOLLOWER_A, FOLLOWER_B] });
    cleanup.push(() => sim.close());
    sim.exchange.updateQuote(MNQ, { bidTicks: MID - 1, askTicks: MID });
    // One connection serves the leader and both followers, as the CLI plans it for one key.
    const connections: Record<string, BrokerConnection> = { projectx: connection };
    const engine = createEngine(
      {
        leader: { account: LEADER.name, broker: 'projectx' },
        followers: [
          { name: 'a', broker: 'projectx', account: FOLLOWER_A.name, scaling: { mode: 'fixed', qty: 1 } },
          {
            name: 'b',
            broker: 'projectx',
            account: FOLLOWER_B.name,
            scaling: { mode: 'multiplier', factor: 2 },
          },
        ],
      },
      { clock: systemClock, connections },
    );
    const events: EngineEvent[] = [];
    engine.on((e) => events.push(e));
    const source = new LeaderSignalSource({
      connection,
      accountId: LEADER.name,
      clock: systemClock,
      instruments: defaultInstruments,
      onLeaderFill: (fill) => engine.applyLeaderFill(fill),
      onLeaderPositions: (held) => {
        for (const p of held) engine.seedLeaderPosition(p.contract, p.netQty);
      },
    });
    engine.addSource(source);
    await engine.start();
    cleanup.push(() => engine.stop());
    const ui = userClient(sim);
    await ui.login();
    const workingOf = (account: string) =>
      sim.exchange.getOpenOrders(account).filter((o) => o.orderType === 'limit');

    // A market buy of 2 on the leader's platform: followers buy 2 (fixed 1 → 1) and 4 (×2).
    await ui.place({ type: 2, side: 0, size: 2 });
    await until('followers long', () => net(engine, 'a') === 1 && net(engine, 'b') === 4);
    expect(brokerNet(sim, FOLLOWER_A.name)).toBe(1);
    expect(brokerNet(sim, FOLLOWER_B.name)).toBe(4);
    expect([...engine.leaderPositions().values()]).toEqual([2]);

    // A resting limit buy: followers get a working limit at the same price; a move follows; a cancel ends them.
    const limitId = await ui.place({ type: 1, side: 0, size: 1, limitPrice: 20_990 });
    await until(
      'follower limits working',
      () => workingOf(FOLLOWER_A.name).length === 1 && workingOf(FOLLOWER_B.name).length === 1,
    );
    expect(workingOf(FOLLOWER_B.name)[0]).toMatchObject({ qty: 2, limitTicks: 83_960 });
    await ui.modify({ orderId: limitId, limitPrice: 20_985 });
    await until('follower limits moved', () =>
      [FOLLOWER_A, FOLLOWER_B].every((f) => workingOf(f.name)[0]?.limitTicks === 83_940),
    );
    await ui.cancel(limitId);
    await until(
      'follower limits cancelled',
      () => workingOf(FOLLOWER_A.name).length === 0 && workingOf(FOLLOWER_B.name).length === 0,
    );

    // The leader sells its 2: every follower ends flat, at the broker and in the engine.
    await ui.place({ type: 2, side: 1, size: 2 });
    await until('followers flat', () => net(engine, 'a') === 0 && net(engine, 'b') === 0);
    expect(brokerNet(sim, LEADER.name)).toBe(0);
    expect(brokerNet(sim, FOLLOWER_A.name)).toBe(0);
    expect(brokerNet(sim, FOLLOWER_B.name)).toBe(0);
    // Nothing was blocked or failed, and the leader's own account got no copy of its orders.
    expect(events.some((e) => FAILED.has(e.type))).toBe(false);
    expect(
      events.filter(
        (e) => e.type === 'order-filled' && 'execution' in e && e.execution.accountId === LEADER.name,
      ),
    ).toEqual([]);
  }, 60_000);
});
