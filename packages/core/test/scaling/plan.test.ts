import { describe, expect, it } from 'vitest';
import { RiskReason } from '../../src/risk/reasons.js';
import type { PlanInput, ScaleResult } from '../../src/scaling/index.js';
import { classifyLeaderMove, planFollowerOrder, reductionTarget } from '../../src/scaling/index.js';

/** NQ → MNQ at ×10, uncapped. */
const times10 = (leaderQty: number): ScaleResult => ({ ok: true, qty: leaderQty * 10 });
const cannotSize = (): ScaleResult => ({ ok: false, reason: RiskReason.ScaledToZero, message: 'too small' });

function plan(over: Partial<PlanInput> & Pick<PlanInput, 'leaderBefore' | 'leaderDelta'>) {
  return planFollowerOrder({
    followerPosition: 0,
    inverse: false,
    reversal: 'split',
    rounding: 'round',
    scaleEntry: times10,
    ...over,
  });
}

describe('classifyLeaderMove', () => {
  it('tells entries, reductions and reversals apart', () => {
    expect(classifyLeaderMove(0, 2)).toBe('entry');
    expect(classifyLeaderMove(0, -2)).toBe('entry');
    expect(classifyLeaderMove(2, 1)).toBe('entry');
    expect(classifyLeaderMove(-2, -1)).toBe('entry');
    expect(classifyLeaderMove(3, -1)).toBe('reduction');
    expect(classifyLeaderMove(3, -3)).toBe('reduction');
    expect(classifyLeaderMove(-3, 3)).toBe('reduction');
    expect(classifyLeaderMove(3, -5)).toBe('reversal');
    expect(classifyLeaderMove(-3, 4)).toBe('reversal');
  });
});

describe('reductionTarget', () => {
  it('is the rounded share of what the leader keeps, and exactly 0 when the leader is flat', () => {
    expect(reductionTarget(10, 4, 2, 'round')).toBe(5);
    expect(reductionTarget(2, 3, 2, 'round')).toBe(1);
    expect(reductionTarget(2, 3, 2, 'ceil')).toBe(2);
    expect(reductionTarget(-7, -3, -1, 'floor')).toBe(-2);
    expect(reductionTarget(7, 3, 0, 'ceil')).toBe(0);
  });
});

describe('planFollowerOrder: entries', () => {
  it('opens from flat on the leader side, sized by scaleEntry', () => {
    expect(plan({ leaderBefore: 0, leaderDelta: 2 })).toEqual({
      legs: [{ leg: 'entry', side: 'buy', qty: 20, reducing: false }],
    });
    expect(plan({ leaderBefore: 0, leaderDelta: -1 })).toEqual({
      legs: [{ leg: 'entry', side: 'sell', qty: 10, reducing: false }],
    });
  });

  it('adds to a position by the scaled order size, not by the position', () => {
    expect(plan({ leaderBefore: 2, leaderDelta: 1, followerPosition: 20 })).toEqual({
      legs: [{ leg: 'entry', side: 'buy', qty: 10, reducing: false }],
    });
  });

  it('skips with the scaling reason when the entry cannot be sized', () => {
    expect(plan({ leaderBefore: 0, leaderDelta: 1, scaleEntry: cannotSize })).toEqual({
      legs: [],
      skipped: { reason: RiskReason.ScaledToZero, message: 'too small' },
    });
  });

  it('plans nothing for a zero-size order', () => {
    expect(plan({ leaderBefore: 2, leaderDelta: 0, followerPosition: 20 })).toEqual({ legs: [] });
  });
});

describe('planFollowerOrder: reductions follow the position', () => {
  it('closes toward the share of what the leader keeps', () => {
    // Leader halves 4 → 2; a follower at 10 (drifted from 40) halves to 5, not down by 20.
    expect(plan({ leaderBefore: 4, leaderDelta: -2, followerPosition: 10 })).toEqual({
      legs: [{ leg: 'close', side: 'sell', qty: 5, reducing: true }],
    });
    expect(plan({ leaderBefore: -4, leaderDelta: 1, followerPosition: -8 })).toEqual({
      legs: [{ leg: 'close', side: 'buy', qty: 2, reducing: true }],
    });
  });

  it('rounds the remaining share by the policy and plans nothing when it rounds back to the position', () => {
    expect(plan({ leaderBefore: 3, leaderDelta: -1, followerPosition: 2, rounding: 'floor' }).legs).toEqual([
      { leg: 'close', side: 'sell', qty: 1, reducing: true },
    ]);
    expect(plan({ leaderBefore: 3, leaderDelta: -1, followerPosition: 2, rounding: 'ceil' })).toEqual({
      legs: [],
    });
  });

  it('closes everything when the leader goes flat', () => {
    expect(plan({ leaderBefore: 3, leaderDelta: -3, followerPosition: 7, rounding: 'ceil' })).toEqual({
      legs: [{ leg: 'close', side: 'sell', qty: 7, reducing: true }],
    });
  });

  it('closes a follower drifted to the other side when the leader goes flat', () => {
    expect(plan({ leaderBefore: 4, leaderDelta: -4, followerPosition: -3 })).toEqual({
      legs: [{ leg: 'close', side: 'buy', qty: 3, reducing: true }],
    });
  });

  it('leaves a flat follower, or one on the other side of a partial reduction, alone', () => {
    expect(plan({ leaderBefore: 4, leaderDelta: -2, followerPosition: 0 })).toEqual({ legs: [] });
    expect(plan({ leaderBefore: 4, leaderDelta: -2, followerPosition: -3 })).toEqual({ legs: [] });
  });
});

describe('planFollowerOrder: reversals', () => {
  it("split: closes the follower's whole position, then opens the scaled new side", () => {
    expect(plan({ leaderBefore: 2, leaderDelta: -5, followerPosition: 17 })).toEqual({
      legs: [
        { leg: 'close', side: 'sell', qty: 17, reducing: true },
        { leg: 'open', side: 'sell', qty: 30, reducing: false },
      ],
    });
  });

  it('split: only opens when the follower holds nothing of the old side', () => {
    expect(plan({ leaderBefore: 2, leaderDelta: -5, followerPosition: 0 }).legs).toEqual([
      { leg: 'open', side: 'sell', qty: 30, reducing: false },
    ]);
    expect(plan({ leaderBefore: 2, leaderDelta: -5, followerPosition: -4 }).legs).toEqual([
      { leg: 'open', side: 'sell', qty: 30, reducing: false },
    ]);
  });

  it('net: one order of the close plus the scaled new side', () => {
    expect(plan({ leaderBefore: 2, leaderDelta: -5, followerPosition: 17, reversal: 'net' })).toEqual({
      legs: [{ leg: 'entry', side: 'sell', qty: 47, reducing: false }],
    });
  });

  it('still closes the old side when the new side cannot be sized, in either mode', () => {
    const skipped = { reason: RiskReason.ScaledToZero, message: 'too small' };
    const close = { leg: 'close', side: 'buy', qty: 20, reducing: true };
    for (const reversal of ['split', 'net'] as const) {
      expect(
        plan({ leaderBefore: -2, leaderDelta: 3, followerPosition: -20, reversal, scaleEntry: cannotSize }),
      ).toEqual({ legs: [close], skipped });
    }
  });
});

describe('planFollowerOrder: inverse', () => {
  it('copies the opposite side of entries and reduces the mirrored position', () => {
    expect(plan({ leaderBefore: 2, leaderDelta: 1, followerPosition: -20, inverse: true }).legs).toEqual([
      { leg: 'entry', side: 'sell', qty: 10, reducing: false },
    ]);
    expect(plan({ leaderBefore: 2, leaderDelta: -1, followerPosition: -20, inverse: true }).legs).toEqual([
      { leg: 'close', side: 'buy', qty: 10, reducing: true },
    ]);
  });
});

describe('planFollowerOrder: input checks', () => {
  it('rejects fractional positions and order sizes', () => {
    expect(() => plan({ leaderBefore: 1.5, leaderDelta: 1 })).toThrow(RangeError);
    expect(() => plan({ leaderBefore: 1, leaderDelta: 1, followerPosition: 0.5 })).toThrow(RangeError);
  });
});
