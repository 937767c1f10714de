import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerOrder, defaultInstruments, frontMonth } from '@tradenova/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { HostedSimulator } from '../../src/chaos/hosted.js';
import { BUILT, type CliProcess, leaderBuyLimit, startCli, waitFor } from '../services/cli-process.js';

const LEADER = 'LEADER';
/** Followers at the broker that goes down, and one at a broker that stays up (a control). */
const DOWN = ['D0', 'D1', 'D2', 'D3'];
const UP = 'U0';
const MARKET = 84_000;
/** Leader orders working before the outage, placed during it, and one after it (a barrier). */
const BEFORE = 2;
const DURING = 3;

/**
 * Issue 14, situation 2, against the real processes: the copier is the built CLI's `run`
 * (a child process, JSON lines); the leader and the control follower are accounts at a
 * Tradovate simulator, the other followers at a Sierra Chart (DTC) simulator hosted in
 * this process. That simulator's server is stopped (every socket drops, new ones are
 * refused) while the leader places working limit orders, then started again on the same
 * port in front of the same exchange (orders kept, as a real broker keeps them). Before,
 * the copies that failed during the outage were recorded as failures and never placed
 * again, although the leader's orders were still working. Checked at the simulators'
 * own exchanges, by client order id.
 */
describe.skipIf(!BUILT).each<{ breaker: string; engine: Record<string, unknown>; cancelDuring?: boolean }>([
  // Fewer failures than the breaker's threshold: the connection's breaker stays closed.
  { breaker: 'a breaker that does not open during the outage', engine: { breakerThreshold: 100 } },
  // The defaults: the failures during the outage open the connection's breaker, and the broker is
  // back before the breaker half-opens (10 s). The recovery on reconnect is refused by the open
  // breaker ("circuit open", logged as `recovery failed`) and, its flag cleared, never runs again.
  { breaker: 'the engine defaults (the breaker opens during the outage)', engine: {} },
  // A leader cancel while the broker is away: the cancel of the copy fails, and when the broker is
  // back nothing cancels it (recovery re-plans only copies of leader orders still working).
  {
    breaker: 'a leader order cancelled during the outage',
    engine: { breakerThreshold: 100 },
    cancelDuring: true,
  },
])('run: a follower broker down, then back, with $breaker', ({ engine, cancelDuring = false }) => {
  let dir: string;
  let leaderSim: HostedSimulator;
  let downSim: HostedSimulator;
  let copier: CliProcess | undefined;
  const contract = frontMonth(defaultInstruments.get('MNQ'), Date.now());
  let placedAtLeader = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tn-outage-'));
    leaderSim = await HostedSimulator.start('tradovate', [LEADER, UP]);
    downSim = await HostedSimulator.start('sierrachart', DOWN);
    for (const sim of [leaderSim, downSim]) sim.exchange.updateTrade(contract, MARKET);
    writeFileSync(
      join(dir, 'config.yaml'),
      stringify({
        version: 1,
        leader: { name: 'leader', broker: 'tradovate', connection: 'lead', account: LEADER },
        connections: {
          lead: { broker: 'tradovate', options: leaderSim.adapterOptions([LEADER]) },
          up: { broker: 'tradovate', options: leaderSim.adapterOptions([UP]) },
          down: { broker: 'sierrachart', options: downSim.adapterOptions(DOWN) },
        },
        followers: [
          ...DOWN.map((account) => ({
            name: account.toLowerCase(),
            broker: 'sierrachart',
            connection: 'down',
            account,
            scaling: { mode: 'fixed', qty: 1 },
          })),
          {
            name: 'u0',
            broker: 'tradovate',
            connection: 'up',
            account: UP,
            scaling: { mode: 'fixed', qty: 1 },
          },
        ],
        engine,
        services: { journal: { enabled: true, url: join(dir, 'journal') } },
      }),
    );
  });

  afterAll(async () => {
    if (copier && copier.child.exitCode === null) copier.child.kill('SIGKILL');
    await downSim?.close();
    await leaderSim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const show = () =>
    copier
      ? `exit=${copier.child.exitCode}\nlast lines:\n${copier.lines
          .slice(-25)
          .map((l) => JSON.stringify(l))
          .join('\n')}\nstderr:\n${copier.stderr().slice(-2000)}`
      : '';

  /** A resting buy limit far below the market, each at a price of its own: its copies are found by it. */
  const leaderLimit = async () => {
    const n = ++placedAtLeader;
    await leaderBuyLimit(leaderSim.exchange, LEADER, contract, MARKET - 400 - n, `lead-${n}`);
    return MARKET - 400 - n;
  };

  const simOf = (account: string) => (DOWN.includes(account) ? downSim : leaderSim);
  /** Every order a follower's broker holds for it (not bracket children), whatever its state. */
  const ordersOf = (account: string): BrokerOrder[] =>
    simOf(account)
      .exchange.getOrders(account)
      .filter((o) => o.parentOrderId === undefined);
  /** Whether each follower holds one working copy of each of these leader prices. */
  const allCopied = (prices: readonly number[]) =>
    [...DOWN, UP].every((account) => {
      const working = simOf(account).exchange.getOpenOrders(account);
      return prices.every((p) => working.some((o) => o.limitTicks === p));
    })
      ? true
      : undefined;

  it('places the copies that failed while the broker was down once it is back, exactly once each', async () => {
    copier = startCli(['run', '-c', 'config.yaml', '--json'], dir);
    await waitFor(
      'the copier to start',
      () => copier!.lines.find((l) => l.type === 'recovered'),
      90_000,
      show,
    );

    const prices: number[] = [];
    for (let i = 0; i < BEFORE; i++) prices.push(await leaderLimit());
    await waitFor('the copies of the orders before the outage', () => allCopied(prices), 60_000, show);

    await downSim.stop();
    await waitFor(
      'the copier to see the Sierra Chart connection drop',
      () =>
        copier!.lines.find(
          (l) => l.type === 'connection-status' && l.broker === 'sierrachart' && l.state !== 'connected',
        ),
      60_000,
      show,
    );
    // With `cancelDuring`: the leader cancels its first order while the follower broker is away.
    const cancelled: number[] = [];
    if (cancelDuring) {
      const first = leaderSim.exchange.getOpenOrders(LEADER).find((o) => o.limitTicks === prices[0])!;
      await leaderSim.exchange.cancelOrder({ accountId: LEADER, orderId: first.orderId });
      cancelled.push(prices.shift()!);
    }
    const failedBefore = failures(copier.lines).length;
    for (let i = 0; i < DURING; i++) prices.push(await leaderLimit());
    // Every copy at the broker that is down went wrong: an outcome for each (failed, timed out, blocked).
    await waitFor(
      'the copies during the outage to fail',
      () => (failures(copier!.lines).length - failedBefore >= DURING * DOWN.length ? true : undefined),
      120_000,
      show,
    );
    // The leader's orders are still working, and the follower that stayed up copied them.
    expect(leaderSim.exchange.getOpenOrders(LEADER)).toHaveLength(BEFORE + DURING - cancelled.length);
    expect(
      prices.every((p) => leaderSim.exchange.getOpenOrders(UP).some((o) => o.limitTicks === p)),
      show(),
    ).toBe(true);

    await downSim.resume();
    await waitFor(
      'every follower to hold a copy of every leader order',
      () => allCopied(prices),
      120_000,
      show,
    );
    // A barrier: one more leader order goes through each follower's queue after anything the
    // return queued before it, so a late second copy would be placed before this one is.
    prices.push(await leaderLimit());
    await waitFor('the copies of the order after the outage', () => allCopied(prices), 60_000, show);
    const stillWorking = () =>
      [...DOWN, UP].filter((a) =>
        simOf(a)
          .exchange.getOpenOrders(a)
          .some((o) => cancelled.includes(o.limitTicks ?? 0)),
      );
    await waitFor(
      'the copies of the leader order cancelled during the outage to be cancelled',
      () => (stillWorking().length === 0 ? true : undefined),
      60_000,
      () => `still working at ${stillWorking().join(', ')}\n${show()}`,
    );
    copier.child.kill('SIGTERM');
    expect(await copier.exited, show()).toBe(0);
    expect(copier.lines.at(-1), show()).toMatchObject({ type: 'session-stopped', unaccounted: [] });

    // At the simulators themselves: per follower, one order per leader order (by its price),
    // each working, each with a client order id of its own; nothing else.
    for (const account of [...DOWN, UP]) {
      const orders = ordersOf(account);
      const perPrice = prices.map((p) => orders.filter((o) => o.limitTicks === p).length);
      expect({ account, perPrice }, show()).toEqual({ account, perPrice: prices.map(() => 1) });
      expect(orders.filter((o) => prices.includes(o.limitTicks ?? 0)).map((o) => o.status)).toEqual(
        prices.map(() => 'working'),
      );
      // A copy of a cancelled leader order: placed once, cancelled.
      const ofCancelled = orders.filter((o) => cancelled.includes(o.limitTicks ?? 0));
      expect(ofCancelled.map((o) => o.status)).toEqual(cancelled.map(() => 'cancelled'));
      expect(orders).toHaveLength(prices.length + cancelled.length);
      const ids = orders.map((o) => o.clientOrderId);
      expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
      expect(new Set(ids).size).toBe(orders.length);
    }
  }, 300_000);
});

/** The copier's lines that say a follower order did not get placed. */
function failures(lines: readonly Record<string, unknown>[]) {
  return lines.filter(
    (l) =>
      (l.type === 'order-failed' || l.type === 'order-timed-out' || l.type === 'order-blocked') &&
      DOWN.includes(String((l.intent as { accountId?: string } | undefined)?.accountId)),
  );
}
