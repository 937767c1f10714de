import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tradovate from '@tradenova/adapter-tradovate';
import { startTradovateSimulator, type TradovateSimulator } from '@tradenova/adapter-tradovate/simulator';
import {
  type BrokerConnection,
  defaultInstruments,
  intentId,
  parseContract,
  silentLogger,
  systemClock,
} from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, copierRuns, leaderBuyLimit } from '../services/cli-process.js';

const FOLLOWERS = 20;
const BURST = 5;
const LEADER = 'LEADER';
const followerAccount = (i: number) => `F${String(i).padStart(2, '0')}`;
const followerName = (i: number) => `f${String(i).padStart(2, '0')}`;

/**
 * Situation 1 of issue 14, against the real processes: the copier (`run`, embedded
 * journal) is a child process of the built CLI; the leader and its 20 followers are
 * accounts at a Tradovate simulator in this process, which outlives every kill. The
 * copier is SIGKILLed in the middle of a fan-out of 5 leader limit orders, 5 more are
 * placed while it is down, and it is started again on the same journal.
 */
describe.skipIf(!BUILT)('run: start-up recovery after kill -9 mid fan-out', () => {
  let dir: string;
  let sim: TradovateSimulator;
  const contract = parseContract('MNQH7', { registry: defaultInstruments });
  let placedAtLeader = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tn-recovery-'));
    sim = await startTradovateSimulator({
      accounts: [LEADER, ...Array.from({ length: FOLLOWERS }, (_, i) => followerAccount(i))].map(
        (name, i) => ({
          id: 800_001 + i,
          name,
        }),
      ),
      // Every request takes a while, so a fan-out of 5 × 20 orders is still going when the kill comes.
      exchangeOptions: { latencyMs: 60 },
    });
    const login = (accounts: string[]) =>
      `{ broker: tradovate, options: { baseUrl: "${sim.url}", wsUrl: "${sim.wsUrl}", username: sim, password: sim, accounts: [${accounts.join(', ')}] } }`;
    checker = tradovate.create(
      tradovate.configSchema.parse({
        baseUrl: sim.url,
        wsUrl: sim.wsUrl,
        username: 'checker',
        password: 'checker',
        accounts: [LEADER, ...Array.from({ length: FOLLOWERS }, (_, i) => followerAccount(i))],
      }),
      { clock: systemClock, logger: silentLogger, instruments: defaultInstruments },
    );
    await checker.connect();
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'version: 1',
        `leader: { name: leader, broker: tradovate, connection: lead, account: ${LEADER} }`,
        'connections:',
        `  lead: ${login([LEADER])}`,
        `  fol: ${login(Array.from({ length: FOLLOWERS }, (_, i) => followerAccount(i)))}`,
        'followers:',
        ...Array.from(
          { length: FOLLOWERS },
          (_, i) =>
            `  - { name: ${followerName(i)}, broker: tradovate, connection: fol, account: ${followerAccount(i)}, scaling: { mode: fixed, qty: 1 } }`,
        ),
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    killAll();
    await checker?.disconnect().catch(() => undefined);
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const { start, show, recovered, killAll } = copierRuns(() => dir);

  /** Resting buy limits far below any price: they stay working, so every copy has one clear state. */
  const leaderLimits = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ++placedAtLeader;
      ids.push(
        await leaderBuyLimit(
          sim.exchange,
          LEADER,
          contract,
          60_000 + placedAtLeader,
          `lead-${placedAtLeader}`,
        ),
      );
    }
    return ids;
  };

  let checker: BrokerConnection;
  /**
   * Per follower and leader order: how many working orders at the simulator carry the copy's
   * client order id, read through a login of its own (the simulator keeps the wire's
   * `clOrdId` beside the exchange's order), plus every follower's working-order count.
   */
  const copiesAtBroker = async (leaderOrderIds: readonly string[]) => {
    const counts: number[] = [];
    let working = 0;
    for (let i = 0; i < FOLLOWERS; i++) {
      const orders = await checker.getOpenOrders(followerAccount(i));
      working += orders.length;
      for (const id of leaderOrderIds) {
        const clientId = intentId(`leader:${LEADER}:${id}:new:1`, followerName(i), 'entry');
        counts.push(orders.filter((o) => o.clientOrderId === clientId).length);
      }
    }
    return { counts, working };
  };

  it('settles the interrupted fan-out, copies the orders placed while down, and a second restart places nothing', async () => {
    const first = start();
    await waitFor(() => recovered(first), {
      message: 'the first run to recover',
      timeout: 60_000,
      context: show,
    });
    const before = await leaderLimits(BURST);
    // Killed once a fifth of the 100 copies went out: the rest of the fan-out is cut off.
    await waitFor(
      () => (first.lines.filter((l) => l.type === 'order-placed').length >= 20 ? true : undefined),
      { message: 'copies to start going out', timeout: 60_000, context: show },
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const cut = first.lines.filter((l) => l.type === 'order-placed').length;
    expect(cut).toBeLessThan(BURST * FOLLOWERS);

    await leaderLimits(BURST);
    // The leader's orders by the ids its broker gives them on the wire (what signal ids carry), oldest first.
    const all = (await checker.getOpenOrders(LEADER))
      .sort((a, b) => (a.limitTicks ?? 0) - (b.limitTicks ?? 0))
      .map((o) => o.orderId);
    expect(all).toHaveLength(2 * BURST);

    const second = start();
    const line = await waitFor(() => recovered(second), {
      message: 'the second run to recover',
      timeout: 120_000,
      context: show,
    });
    expect(line).toMatchObject({ type: 'recovered', policy: 'align', leaderOrders: 2 * BURST });
    // Every copy is either adopted (it was at the broker) or placed now, once.
    expect(Number(line.placed) + Number(line.adopted)).toBe(2 * BURST * FOLLOWERS);
    expect(Number(line.placed)).toBeGreaterThanOrEqual(BURST * FOLLOWERS);
    expect(line.skipped).toEqual([]);
    // At the simulator itself: one working copy per leader order per follower, none twice.
    expect(await copiesAtBroker(all)).toEqual({
      counts: Array(2 * BURST * FOLLOWERS).fill(1),
      working: 2 * BURST * FOLLOWERS,
    });

    // A leader cancel after the restart reaches the copies of an order placed before it.
    await sim.exchange.cancelOrder({ accountId: LEADER, orderId: before[0]! });
    await waitFor(async () => (await copiesAtBroker([all[0]!])).counts.every((n) => n === 0), {
      message: 'the cancel copied',
      timeout: 60_000,
      interval: 200,
      context: show,
    });

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.lines.at(-1)).toMatchObject({ type: 'session-stopped', unaccounted: [] });

    const third = start();
    const again = await waitFor(() => recovered(third), {
      message: 'the third run to recover',
      timeout: 120_000,
      context: show,
    });
    expect(again).toMatchObject({ placed: 0, adopted: (2 * BURST - 1) * FOLLOWERS, cancelled: 0 });
    expect(await copiesAtBroker(all.slice(1))).toEqual({
      counts: Array((2 * BURST - 1) * FOLLOWERS).fill(1),
      working: (2 * BURST - 1) * FOLLOWERS,
    });
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  }, 300_000);
});
