import { type BrokerOrder, defaultInstruments, parseContract } from '@tradenova/core';
import { describe, expect, it } from 'vitest';
import { checkFollower } from '../../src/chaos/check.js';
import { FAULT_KINDS, parseFaultList, planRun, runSeed } from '../../src/chaos/plan.js';
import { connectionsDown } from '../../src/chaos/run.js';
import { type LeaderOrderCopies, type Lookup, planRecovery } from '../../src/run/recovery-plan.js';

const contract = parseContract('MNQH7', { registry: defaultInstruments });
const order = (id: string, extra: Partial<BrokerOrder> = {}): BrokerOrder => ({
  orderId: id,
  accountId: 'A',
  contract,
  side: 'buy',
  qty: 1,
  filledQty: 0,
  orderType: 'limit',
  limitTicks: 100,
  status: 'working',
  updatedAt: 1,
  ...extra,
});
const found = (o: BrokerOrder): Lookup => ({ state: 'found', order: o });
const copies = (leader: BrokerOrder, byFollower: Record<string, Lookup>): LeaderOrderCopies => ({
  order: leader,
  signalId: `leader:L:${leader.orderId}:new:1`,
  byFollower: new Map(
    Object.entries(byFollower).map(([f, lookup]) => [
      f,
      [{ leg: 'entry', intentId: `${f}-${leader.orderId}`, lookup }],
    ]),
  ),
});

describe('planRecovery', () => {
  it('adopts copies a follower holds, places the missing ones, moves a copy off the leader price', () => {
    const plan = planRecovery({
      policy: 'align',
      pending: [],
      orphans: [],
      leaderOrders: [
        copies(order('L1', { limitTicks: 120 }), {
          a: found(order('x', { limitTicks: 100 })),
          b: { state: 'absent' },
          c: found(order('y', { limitTicks: 120 })),
        }),
      ],
    });
    expect(plan.adopt.map((a) => a.follower)).toEqual(['a', 'c']);
    expect(plan.place).toEqual([{ follower: 'b', leaderOrderId: 'L1', intentId: 'b-L1' }]);
    expect(plan.modify).toEqual([{ leaderOrderId: 'L1', followers: ['a'], limitTicks: 120 }]);
    expect(plan.skipped).toEqual([]);
  });

  it('never places a copy again that the follower holds filled, and says why', () => {
    const plan = planRecovery({
      policy: 'align',
      pending: [],
      orphans: [],
      leaderOrders: [copies(order('L1'), { a: found(order('x', { status: 'filled' })) })],
    });
    expect(plan.place).toEqual([]);
    expect(plan.skipped[0]?.reason).toContain('filled');
  });

  it('settles pending intents: found is placed, absent is not-placed with a reason unless it is placed again', () => {
    const plan = planRecovery({
      policy: 'align',
      leaderOrders: [copies(order('L1'), { a: { state: 'absent' } })],
      orphans: [],
      pending: [
        {
          intent: {
            intentId: 'a-L1',
            signalId: 's1',
            follower: 'a',
            leg: 'entry',
            action: 'place',
            leaderOrderId: 'L1',
            signalAction: 'new',
          },
          lookup: { state: 'absent' },
        },
        {
          intent: {
            intentId: 'b-L0',
            signalId: 's0',
            follower: 'b',
            leg: 'entry',
            action: 'place',
            leaderOrderId: 'L0',
            signalAction: 'new',
          },
          lookup: { state: 'absent' },
        },
        {
          intent: {
            intentId: 'c-L0',
            signalId: 's0',
            follower: 'c',
            leg: 'entry',
            action: 'place',
            leaderOrderId: 'L0',
            signalAction: 'new',
          },
          lookup: found(order('z')),
        },
        {
          intent: { intentId: 'd-L0', signalId: 's0', follower: 'd', leg: 'entry', action: 'place' },
          lookup: { state: 'unknown', reason: 'down' },
        },
      ],
    });
    expect(plan.settled).toEqual([
      { intentId: 'a-L1', follower: 'a', outcome: 'not-placed' },
      { intentId: 'b-L0', follower: 'b', outcome: 'not-placed' },
      { intentId: 'c-L0', follower: 'c', outcome: 'placed', orderId: 'z' },
    ]);
    expect(plan.place.map((p) => p.intentId)).toEqual(['a-L1']);
    expect(plan.skipped.map((s) => s.intentId)).toEqual(['b-L0', 'd-L0']);
  });

  it('cancels a working copy of a leader order that ended; alert only reports', () => {
    const orphan = {
      intent: {
        intentId: 'a-L9',
        signalId: 's9',
        follower: 'a',
        leg: 'entry',
        action: 'place',
        leaderOrderId: 'L9',
        signalAction: 'new',
      },
      lookup: found(order('w')),
    };
    const inputs = {
      pending: [],
      leaderOrders: [copies(order('L1'), { a: { state: 'absent' } as Lookup })],
      orphans: [orphan],
    };
    expect(planRecovery({ policy: 'align', ...inputs }).cancel).toEqual([
      { follower: 'a', intentId: 'a-L9', orderId: 'w' },
    ]);
    const alert = planRecovery({ policy: 'alert', ...inputs });
    expect(alert.cancel).toEqual([]);
    expect(alert.place).toEqual([]);
    expect(alert.skipped.map((s) => s.reason)).toEqual([
      'alert: the copy of a working leader order is missing',
      'alert: the copy is working though the leader order ended',
    ]);
  });
});

describe('chaos plans and checks', () => {
  it('a plan is a pure function of its seed; run 0 replays with the seed itself', () => {
    const a = planRun(12, { durationMs: 10_000, kinds: FAULT_KINDS });
    expect(planRun(12, { durationMs: 10_000, kinds: FAULT_KINDS })).toEqual(a);
    expect(a.faults.map((f) => f.kind)).toContain(FAULT_KINDS[12 % FAULT_KINDS.length]);
    expect(new Set(a.faults.map((f) => f.kind)).size).toBe(a.faults.length);
    expect(runSeed(11, 0)).toBe(11);
    expect(runSeed(11, 1)).not.toBe(11);
    expect(() => parseFaultList('kill9,nope')).toThrow(/unknown fault "nope"/);
  });

  it('finds a duplicate, a lost copy and drift, and accepts a recorded reason', () => {
    const base = {
      name: 'f',
      positions: new Map<string, number>(),
      targets: new Map<string, number>(),
      exchangeClientIds: ['tn00000000000000000000c1', 'tn00000000000000000000c2'],
      reasoned: new Set<string>(),
      filled: new Set<string>(),
    };
    const working = [order('1', { clientOrderId: 'c1' }), order('2', { clientOrderId: 'c1' })];
    const v = checkFollower({
      ...base,
      working,
      positions: new Map([['MNQH7', 1]]),
      expected: [
        { leaderOrderId: 'L1', ids: ['c1'] },
        { leaderOrderId: 'L2', ids: ['c2'] },
      ],
    });
    expect(v).toMatchObject({ duplicates: 1, lost: 1, drift: 1 });
    const ok = checkFollower({
      ...base,
      working: [working[0]!],
      exchangeClientIds: ['tn00000000000000000000c1'],
      reasoned: new Set(['c2']),
      expected: [
        { leaderOrderId: 'L1', ids: ['c1'] },
        { leaderOrderId: 'L2', ids: ['c2'] },
      ],
    });
    expect(ok).toMatchObject({ duplicates: 0, lost: 0, drift: 0 });
    // Two orders at the broker under one client order id: one intent placed twice.
    const twice = checkFollower({
      ...base,
      working: [],
      exchangeClientIds: ['tn00000000000000000000c1', 'tn00000000000000000000c1', 'liquidation'],
      expected: [],
    });
    expect(twice.duplicates).toBe(1);
    // An order sent just before a kill -9 whose journal row was lost is not a duplicate, only a note.
    const unrecorded = checkFollower({
      ...base,
      working: [],
      exchangeClientIds: ['tn00000000000000000000c1', 'tn00000000000000000000c9'],
      journaled: new Set(['tn00000000000000000000c1']),
      expected: [],
    });
    expect(unrecorded.duplicates).toBe(0);
    expect(unrecorded.details).toEqual(['note: f: 1 order(s) at the broker with no journaled intent']);
  });

  it('a run is not settled while a connection is still reconnecting (a simulator restart outlasting the quiet)', () => {
    const status = (connection: string, state: string) => ({ type: 'connection-status', connection, state });
    const lines = [
      status('leader', 'connecting'),
      status('px', 'connecting'),
      status('leader', 'connected'),
      status('px', 'connected'),
      status('leader', 'reconnecting'),
      { type: 'order-placed' },
    ];
    expect(connectionsDown(lines)).toEqual(['leader']);
    expect(connectionsDown([...lines, status('leader', 'connected')])).toEqual([]);
  });
});
