import { describe, expect, it } from 'vitest';
import {
  type EngineConfigInput,
  type EngineEvent,
  parseEngineConfig,
  parseReplay,
  type ReplayReport,
  runReplay,
} from '../../src/index.js';

/**
 * The leader's whole order life on paper, as `tradenova replay` runs it: working orders
 * cancelled and modified, and a follower contract fed by two leader instruments. Each
 * case is one of the defects a new user met (issue 13); the followers must end where
 * their rules put them against the leader.
 */

const t = (s: number) => new Date(Date.parse('2025-11-24T14:30:00.000Z') + s * 1000).toISOString();

interface Line {
  [field: string]: unknown;
}

async function replay(
  lines: Line[],
  followers: EngineConfigInput['followers'],
): Promise<{ report: ReplayReport; events: EngineEvent[] }> {
  const text = lines.map((l, i) => JSON.stringify({ time: t(i), ...l })).join('\n');
  const { records, errors } = parseReplay(text, 'jsonl');
  expect(errors).toEqual([]);
  const config = parseEngineConfig({
    leader: { account: 'LEAD' },
    paper: { latencyMs: 0, jitterMs: 0 },
    followers,
  });
  const events: EngineEvent[] = [];
  const report = await runReplay({ config, records, onEvent: (e) => events.push(e) });
  return { report, events };
}

const quote = (instrument: string, bid: string, ask: string): Line => ({
  type: 'quote',
  instrument,
  bid,
  ask,
});
const market = (id: string, side: string, qty: number, fill: string, instrument = 'MNQZ5'): Line => ({
  signalId: `s-${id}`,
  action: 'new',
  leaderOrderId: id,
  instrument,
  side,
  qty,
  orderType: 'market',
  fillPrice: fill,
});
const limit = (id: string, side: string, qty: number, price: string, instrument = 'MNQZ5'): Line => ({
  signalId: `s-${id}`,
  action: 'new',
  leaderOrderId: id,
  instrument,
  side,
  qty,
  orderType: 'limit',
  limitPrice: price,
});

/** Net position per contract of one account in the report (flat contracts left out). */
function held(report: ReplayReport, name: string): Record<string, number> {
  const account = report.accounts.find((a) => a.name === name);
  if (!account) throw new Error(`no account ${name}`);
  return Object.fromEntries(
    account.positions.filter((p) => p.netQty !== 0).map((p) => [p.contract, p.netQty]),
  );
}

function leader(report: ReplayReport): Record<string, number> {
  return Object.fromEntries(report.leader.positions.map((p) => [p.contract, p.netQty]));
}

const followers: EngineConfigInput['followers'] = [
  { name: 'one', account: 'F1', scaling: { mode: 'multiplier', factor: 1 } },
  { name: 'two', account: 'F2', scaling: { mode: 'multiplier', factor: 2 } },
  { name: 'inverse', account: 'F3', scaling: { mode: 'multiplier', factor: 1 }, inverse: true },
];

describe("the leader's working orders, cancelled and modified", () => {
  it('a cancelled working exit limit is cancelled at every follower, so nobody exits alone', async () => {
    const { report } = await replay(
      [
        quote('MNQZ5', '21000.00', '21000.25'),
        market('L1', 'buy', 2, '21000.25'),
        limit('L2', 'sell', 2, '21010.00'),
        { signalId: 's-c2', action: 'cancel', leaderOrderId: 'L2' },
        // The market goes through the old exit price: a copy left working would fill now.
        quote('MNQZ5', '21012.00', '21012.25'),
      ],
      followers,
    );
    expect(leader(report)).toEqual({ MNQZ25: 2 });
    expect(held(report, 'one')).toEqual({ MNQZ25: 2 });
    expect(held(report, 'two')).toEqual({ MNQZ25: 4 });
    expect(held(report, 'inverse')).toEqual({ MNQZ25: -2 });
    for (const a of report.accounts.filter((x) => x.name !== 'inverse'))
      expect(a.orders.cancelled, a.name).toBeGreaterThan(0);
    // An inverse copy follows a working order at its fills: nothing of L2 ever reached its broker.
    const inverse = report.events.find((e) => e.signalId === 's-L2')?.outcomes.inverse;
    expect(inverse).toBe('skipped AT_LEADER_FILL');
  });

  it('a cancelled partial exit keeps the followers at their whole share', async () => {
    const { report } = await replay(
      [
        quote('MNQZ5', '21000.00', '21000.25'),
        market('L1', 'buy', 3, '21000.25'),
        limit('L2', 'sell', 1, '21010.00'),
        { signalId: 's-c2', action: 'cancel', leaderOrderId: 'L2' },
        quote('MNQZ5', '21012.00', '21012.25'),
      ],
      followers,
    );
    expect(held(report, 'one')).toEqual({ MNQZ25: 3 });
    expect(held(report, 'two')).toEqual({ MNQZ25: 6 });
  });

  it('a reversal modified into a pure exit loses its open leg: the followers end flat with the leader', async () => {
    const { report } = await replay(
      [
        quote('MNQZ5', '21000.00', '21000.25'),
        market('L1', 'sell', 1, '21000.00'),
        limit('L2', 'buy', 3, '20990.00'),
        { signalId: 's-m2', action: 'modify', leaderOrderId: 'L2', qty: 1 },
        quote('MNQZ5', '20989.75', '20990.00'),
        quote('MNQZ5', '20985.00', '20985.25'),
      ],
      [
        ...followers,
        { name: 'net', account: 'F4', scaling: { mode: 'multiplier', factor: 1 }, reversal: 'net' },
      ],
    );
    expect(leader(report)).toEqual({});
    for (const name of ['one', 'two', 'net']) expect(held(report, name), name).toEqual({});
  });

  it('an exit modified into a reversal gains the open leg', async () => {
    const { report } = await replay(
      [
        quote('MNQZ5', '21000.00', '21000.25'),
        market('L1', 'buy', 1, '21000.25'),
        limit('L2', 'sell', 1, '21010.00'),
        { signalId: 's-m2', action: 'modify', leaderOrderId: 'L2', qty: 3 },
        quote('MNQZ5', '21010.00', '21010.25'),
      ],
      followers,
    );
    expect(leader(report)).toEqual({ MNQZ25: -2 });
    expect(held(report, 'one')).toEqual({ MNQZ25: -2 });
    expect(held(report, 'two')).toEqual({ MNQZ25: -4 });
    expect(held(report, 'inverse')).toEqual({ MNQZ25: 2 });
  });

  it('a working exit modified in size and price moves every copy to the follower share of it', async () => {
    const { report } = await replay(
      [
        quote('MNQZ5', '21000.00', '21000.25'),
        market('L1', 'buy', 4, '21000.25'),
        limit('L2', 'sell', 4, '21020.00'),
        { signalId: 's-m2', action: 'modify', leaderOrderId: 'L2', qty: 2, limitPrice: '21010.00' },
        quote('MNQZ5', '21010.00', '21010.25'),
      ],
      followers,
    );
    expect(leader(report)).toEqual({ MNQZ25: 2 });
    expect(held(report, 'one')).toEqual({ MNQZ25: 2 });
    expect(held(report, 'two')).toEqual({ MNQZ25: 4 });
    expect(held(report, 'inverse')).toEqual({ MNQZ25: -2 });
  });
});

describe('a follower contract fed by two leader instruments', () => {
  const mapped: EngineConfigInput['followers'] = [
    {
      name: 'micro',
      account: 'F1',
      scaling: { mode: 'multiplier', factor: 1 },
      symbolMap: { NQ: { to: 'MNQ', ratio: 10 } },
    },
  ];

  it('a flatten of NQ closes only the NQ share, the MNQ copy stays', async () => {
    const { report } = await replay(
      [
        quote('NQZ5', '21000.00', '21000.25'),
        quote('MNQZ5', '21000.00', '21000.25'),
        market('L1', 'buy', 1, '21000.25', 'NQZ5'),
        market('L2', 'buy', 2, '21000.25', 'MNQZ5'),
        { signalId: 's-f', action: 'flatten', instrument: 'NQZ5' },
      ],
      mapped,
    );
    expect(leader(report)).toEqual({ MNQZ25: 2 });
    expect(held(report, 'micro')).toEqual({ MNQZ25: 2 });
  });

  it('an exit of the leader MNQ leaves the NQ share alone', async () => {
    const { report } = await replay(
      [
        quote('NQZ5', '21000.00', '21000.25'),
        quote('MNQZ5', '21000.00', '21000.25'),
        market('L1', 'buy', 1, '21000.25', 'NQZ5'),
        market('L2', 'buy', 2, '21000.25', 'MNQZ5'),
        market('L3', 'sell', 2, '21000.00', 'MNQZ5'),
      ],
      mapped,
    );
    expect(leader(report)).toEqual({ NQZ25: 1 });
    expect(held(report, 'micro')).toEqual({ MNQZ25: 10 });
  });
});

describe('drift: a follower against what its own rules make of the leader', () => {
  it('is zero for fixed, rounded, equity and percent-risk followers that copy correctly', async () => {
    const { report } = await replay(
      [
        quote('MNQZ5', '21000.00', '21000.25'),
        { ...market('L1', 'buy', 1, '21000.25'), bracket: { stopLoss: { ticks: 40 } } },
        { ...market('L2', 'buy', 1, '21000.25'), bracket: { stopLoss: { ticks: 40 } } },
        market('L3', 'sell', 1, '21000.00'),
      ],
      [
        { name: 'fixed', account: 'F1', scaling: { mode: 'fixed', qty: 2 } },
        { name: 'half', account: 'F2', scaling: { mode: 'multiplier', factor: 0.5 }, rounding: 'round' },
        {
          name: 'equity',
          account: 'F3',
          startingBalance: '25000',
          scaling: { mode: 'equity', leaderEquity: '100000' },
          whenZero: 'min1',
        },
        {
          name: 'risk',
          account: 'F4',
          startingBalance: '50000',
          scaling: { mode: 'risk', percent: 1 },
        },
      ],
    );
    expect(leader(report)).toEqual({ MNQZ25: 1 });
    for (const a of report.accounts) {
      expect(
        a.drift.filter((d) => d.follower !== d.leader),
        a.name,
      ).toEqual([]);
      expect(
        a.positions.some((p) => p.netQty !== 0),
        `${a.name} holds part of the leader's position`,
      ).toBe(true);
    }
  });
});

describe('a broker outage', () => {
  it('places what failed while the broker was away once it is back: working copies and missed entries', async () => {
    const { paperEngine, disconnectPaper, reconnectPaper, MNQ } = await import('./harness.js');
    const h = await paperEngine([
      { name: 'one', account: 'F1', scaling: { mode: 'multiplier', factor: 1 } },
      { name: 'two', account: 'F2', scaling: { mode: 'multiplier', factor: 2 } },
    ]);
    h.price(MNQ, '21000.00');
    await h.leaderMarket('1', 'buy', 1, '21000.00');
    expect([h.net('one'), h.net('two')]).toEqual([1, 2]);
    await disconnectPaper(h.engine);
    // While the broker is away: a market add (filled at the leader) and a working exit limit.
    await h.leaderMarket('2', 'buy', 1, '21000.00');
    const exit = await h.engine.submit({
      signalId: 's-exit',
      action: 'new',
      leaderOrderId: 'L-exit',
      instrument: 'MNQZ5',
      side: 'sell',
      qty: 2,
      orderType: 'limit',
      limitPrice: '21010.00',
      time: h.clock.now(),
    });
    expect(exit.ok && exit.outcomes.every((o) => o.outcome !== 'placed')).toBe(true);
    await reconnectPaper(h.engine);
    await h.engine.idle();
    await h.clock.runUntilIdle();
    // The missed add is aligned, and the exit copies work at the broker now.
    expect([h.net('one'), h.net('two')]).toEqual([2, 4]);
    const working = (account: string) =>
      h.exchange.getOpenOrders(account).map((o) => ({ side: o.side, qty: o.qty, limit: o.limitTicks }));
    expect(working('F1')).toEqual([{ side: 'sell', qty: 2, limit: 84040 }]);
    expect(working('F2')).toEqual([{ side: 'sell', qty: 4, limit: 84040 }]);
    // The leader's exit fills: so do the followers' copies, and everyone is flat.
    h.price(MNQ, '21010.25');
    h.engine.applyLeaderFill({
      contract: MNQ,
      side: 'sell',
      qty: 2,
      priceTicks: 84040 as never,
      clientOrderId: 'L-exit',
    });
    await h.clock.runUntilIdle();
    await h.engine.idle();
    expect([h.net('one'), h.net('two')]).toEqual([0, 0]);
    await h.engine.stop();
  });
});

describe('a modify after the copy already filled', () => {
  it('never places the copy again: what a leg filled counts against the re-planned size', async () => {
    const { paperEngine, MNQ } = await import('./harness.js');
    const h = await paperEngine([
      { name: 'one', account: 'F1', scaling: { mode: 'multiplier', factor: 1 } },
      { name: 'fixed', account: 'F2', scaling: { mode: 'fixed', qty: 3 } },
    ]);
    h.price(MNQ, '21005.00');
    const limit = (signalId: string, fields: object) =>
      h.engine.submit({ signalId, leaderOrderId: 'L-1', time: h.clock.now(), ...fields });
    await limit('s-1', {
      action: 'new',
      instrument: 'MNQZ5',
      side: 'buy',
      qty: 2,
      orderType: 'limit',
      limitPrice: '21000.00',
    });
    // The followers' copies fill; the leader's own order has not (no leader fill yet).
    h.price(MNQ, '20999.00');
    await h.clock.runUntilIdle();
    expect([h.net('one'), h.net('fixed')]).toEqual([2, 3]);
    await limit('s-2', { action: 'modify', limitPrice: '20995.00' });
    await limit('s-3', { action: 'modify', qty: 3 });
    await h.engine.idle();
    await h.clock.runUntilIdle();
    // The multiplier follower's copy grows by the 1 the leader added; the fixed one stays at 3.
    expect(h.exchange.getOpenOrders('F1').map((o) => o.qty - o.filledQty)).toEqual([1]);
    expect(h.exchange.getOpenOrders('F2')).toEqual([]);
    expect([h.net('one'), h.net('fixed')]).toEqual([2, 3]);
    await h.engine.stop();
  });
});
