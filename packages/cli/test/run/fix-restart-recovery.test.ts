import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FixSimulator, startFixSimulator } from '@tradenova/adapter-others/fix/simulator';
import { startTradovateSimulator, type TradovateSimulator } from '@tradenova/adapter-tradovate/simulator';
import { defaultInstruments, parseContract, SimulatedExchange, systemClock } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, copierRuns, leaderBuyLimit } from '../services/cli-process.js';

const LEADER = 'LEADER';
const FOLLOWERS = ['FIX1', 'FIX2'];

/**
 * Issue 14 on FIX: the copier (`run`, a child process of the built CLI) copies the
 * leader's limit orders to two accounts behind a FIX 4.4 gateway (the simulator in this
 * process, which outlives the copier), is killed, the leader cancels one order while
 * it is down, and the copier started again on the same journal and sequence store
 * must find its FIX copies at the gateway: cancel the copy of the ended order, adopt
 * the other, place nothing twice.
 */
describe.skipIf(!BUILT)('run on FIX followers: start-up recovery after kill -9', () => {
  let dir: string;
  let leaderSim: TradovateSimulator;
  let fixSim: FixSimulator;
  const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: 'fix-' });
  const contract = parseContract('MNQH7', { registry: defaultInstruments });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tn-fix-recovery-'));
    leaderSim = await startTradovateSimulator({ accounts: [{ id: 700_001, name: LEADER }] });
    fixSim = await startFixSimulator({ version: '4.4', exchange, accounts: FOLLOWERS });
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'version: 1',
        `leader: { name: leader, broker: tradovate, connection: lead, account: ${LEADER} }`,
        'connections:',
        `  lead: { broker: tradovate, options: { baseUrl: "${leaderSim.url}", wsUrl: "${leaderSim.wsUrl}", username: sim, password: sim, accounts: [${LEADER}] } }`,
        `  gateway: { broker: fix, options: { host: 127.0.0.1, port: ${fixSim.port}, version: '4.4', senderCompId: TRADENOVA, targetCompId: FIXSIM, storeDirectory: fix-store, accounts: [${FOLLOWERS.join(', ')}] } }`,
        'followers:',
        ...FOLLOWERS.map(
          (a) =>
            `  - { name: f-${a}, broker: fix, connection: gateway, account: ${a}, scaling: { mode: fixed, qty: 1 } }`,
        ),
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    killAll();
    await fixSim?.close();
    await leaderSim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const { start, show, recovered, killAll } = copierRuns(() => dir);
  /** The follower copies of the leader's `n`th order at the FIX gateway's exchange (by its limit), statuses. */
  const copies = (n: number) =>
    FOLLOWERS.flatMap((a) =>
      exchange
        .getOrders(a)
        .filter((o) => o.limitTicks === 60_000 + n)
        .map((o) => o.status),
    );
  const leaderLimit = (n: number) =>
    leaderBuyLimit(leaderSim.exchange, LEADER, contract, 60_000 + n, `lead-${n}`);

  it('cancels the copies of a leader order that ended while it was down and adopts the others', async () => {
    const first = start();
    await waitFor(() => recovered(first), {
      message: 'the first run to recover',
      timeout: 60_000,
      context: show,
    });
    const ended = await leaderLimit(1);
    await leaderLimit(2);
    await waitFor(() => copies(1).length + copies(2).length === 4 || undefined, {
      message: 'both orders copied to both followers',
      timeout: 60_000,
      context: show,
    });
    first.child.kill('SIGKILL');
    await first.exited;
    await leaderSim.exchange.cancelOrder({ accountId: LEADER, orderId: ended });

    const second = start();
    const line = await waitFor(() => recovered(second), {
      message: 'the second run to recover',
      timeout: 60_000,
      context: show,
    });
    expect(line).toMatchObject({ placed: 0, adopted: 2, cancelled: 2 });
    // The kill may come before the journal's last batch is written: a copy of the ended order
    // whose row it took is cancelled all the same, as a working order the journal does not hold.
    for (const s of (line as { skipped: { reason: string }[] }).skipped)
      expect(s.reason).toBe(
        "a working order under this copier's id that the journal does not hold: cancelled",
      );
    // Nothing placed twice: still one copy of each leader order per follower.
    expect(copies(1)).toEqual(['cancelled', 'cancelled']);
    expect(copies(2)).toEqual(['working', 'working']);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});
