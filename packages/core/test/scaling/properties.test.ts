import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScalingConfig } from '../../src/config/schema.js';
import type { FollowerOrderPlan, PlanInput, ScaleInput } from '../../src/scaling/index.js';
import {
  classifyLeaderMove,
  legDelta,
  mapSymbol,
  planFollowerOrder,
  scaleEntryQty,
} from '../../src/scaling/index.js';

const rounding = fc.constantFrom('floor' as const, 'round' as const, 'ceil' as const);
const whenZero = fc.constantFrom('skip' as const, 'min1' as const);
const reversal = fc.constantFrom('split' as const, 'net' as const);
/** Whole dollars as config writes them: a number or a decimal string. */
const moneyInput = fc
  .integer({ min: 1, max: 10_000_000 })
  .chain((dollars) => fc.constantFrom<number | string>(dollars, String(dollars), `${dollars}.5`));

const scalingConfig: fc.Arbitrary<ScalingConfig> = fc.oneof(
  fc.record({ mode: fc.constant('fixed' as const), qty: fc.integer({ min: 1, max: 100 }) }),
  fc.record({
    mode: fc.constant('multiplier' as const),
    factor: fc.double({ min: 0.01, max: 50, noNaN: true, noDefaultInfinity: true }),
  }),
  fc.record(
    { mode: fc.constant('equity' as const), leaderEquity: moneyInput, followerEquity: moneyInput },
    { requiredKeys: ['mode', 'leaderEquity'] },
  ),
  fc.record(
    {
      mode: fc.constant('risk' as const),
      amount: moneyInput,
      defaultStopTicks: fc.integer({ min: 1, max: 200 }),
    },
    { requiredKeys: ['mode', 'amount'] },
  ),
  fc.record(
    {
      mode: fc.constant('risk' as const),
      percent: fc.double({ min: 0.01, max: 100, noNaN: true }),
      defaultStopTicks: fc.integer({ min: 1, max: 200 }),
    },
    { requiredKeys: ['mode', 'percent'] },
  ),
);

const scaleInput: fc.Arbitrary<ScaleInput> = fc.record(
  {
    leaderQty: fc.integer({ min: 1, max: 500 }),
    scaling: scalingConfig,
    ratio: fc.oneof(fc.constantFrom(1, 10, 0.1, 2.5), fc.double({ min: 0.01, max: 100, noNaN: true })),
    rounding,
    whenZero,
    minQty: fc.integer({ min: 1, max: 50 }),
    maxQty: fc.integer({ min: 1, max: 50 }),
    followerEquity: fc.integer({ min: -1_000_000_000, max: 10_000_000_000 }),
    // 0 stands for "no usable stop"; a real stop is at least a fraction of a tick away.
    stopDistanceTicks: fc.oneof(fc.constant(0), fc.double({ min: 0.25, max: 500, noNaN: true })),
    tickValue: fc.constantFrom(500, 1250, 5000, 12_500, 15_625),
  },
  { requiredKeys: ['leaderQty', 'scaling', 'ratio', 'rounding', 'whenZero', 'followerEquity', 'tickValue'] },
);

/** A follower's entry sizing as the engine binds it: a multiplier with optional caps. */
const scaleEntry = fc
  .record({
    factor: fc.constantFrom(0.1, 0.5, 1, 2, 10),
    rounding,
    whenZero,
    maxQty: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
  })
  .map(
    (cfg) => (leaderQty: number) =>
      scaleEntryQty({
        leaderQty,
        scaling: { mode: 'multiplier', factor: cfg.factor },
        ratio: 1,
        rounding: cfg.rounding,
        whenZero: cfg.whenZero,
        maxQty: cfg.maxQty,
        followerEquity: 0,
        tickValue: 500,
      }),
  );

const position = fc.integer({ min: -200, max: 200 });
const nonZero = position.filter((n) => n !== 0);

const planInput: fc.Arbitrary<PlanInput> = fc.record({
  leaderBefore: position,
  leaderDelta: nonZero,
  followerPosition: position,
  inverse: fc.boolean(),
  reversal,
  rounding,
  scaleEntry,
});

/** Follower position after every leg of a plan fills. */
function followerAfter(start: number, plan: FollowerOrderPlan): number {
  return plan.legs.reduce((pos, leg) => pos + legDelta(leg), start);
}

describe('scaling properties', () => {
  it('an entry is always a positive integer and never exceeds maxQty', () => {
    fc.assert(
      fc.property(scaleInput, (input) => {
        const result = scaleEntryQty(input);
        if (!result.ok) return;
        expect(Number.isSafeInteger(result.qty)).toBe(true);
        expect(result.qty).toBeGreaterThan(0);
        if (input.maxQty !== undefined) expect(result.qty).toBeLessThanOrEqual(input.maxQty);
        if (input.minQty !== undefined) {
          expect(result.qty).toBeGreaterThanOrEqual(Math.min(input.minQty, input.maxQty ?? input.minQty));
        }
      }),
    );
  });

  it('mapping qty q through an integer ratio r gives q·r with multiplier 1 and no caps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 100 }),
        rounding,
        whenZero,
        (q, r, policy, zero) => {
          const { root, ratio } = mapSymbol('NQ', { NQ: { to: 'MNQ', ratio: r } });
          expect(root).toBe('MNQ');
          const result = scaleEntryQty({
            leaderQty: q,
            scaling: { mode: 'multiplier', factor: 1 },
            ratio,
            rounding: policy,
            whenZero: zero,
            followerEquity: 0,
            tickValue: 500,
          });
          expect(result).toEqual({ ok: true, qty: q * r });
        },
      ),
    );
  });

  it('every planned leg is a positive integer qty', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        for (const leg of planFollowerOrder(input).legs) {
          expect(Number.isSafeInteger(leg.qty)).toBe(true);
          expect(leg.qty).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('inverse of inverse is identity: an inverse follower of the mirrored leader plans like a plain one', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const plain = planFollowerOrder({ ...input, inverse: false });
        const doubled = planFollowerOrder({
          ...input,
          leaderBefore: -input.leaderBefore,
          leaderDelta: -input.leaderDelta,
          inverse: true,
        });
        expect(doubled).toEqual(plain);
      }),
    );
  });

  it('inverse mirrors every leg: same qty and role, opposite side', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const plain = planFollowerOrder({ ...input, inverse: false });
        const inverse = planFollowerOrder({
          ...input,
          followerPosition: -input.followerPosition,
          inverse: true,
        });
        expect(inverse.legs.map((leg) => -legDelta(leg))).toEqual(plain.legs.map(legDelta));
        expect(inverse.skipped).toEqual(plain.skipped);
      }),
    );
  });

  it('when the leader goes flat the follower ends flat', () => {
    fc.assert(
      fc.property(planInput, nonZero, (input, before) => {
        const plan = planFollowerOrder({ ...input, leaderBefore: before, leaderDelta: -before });
        expect(followerAfter(input.followerPosition, plan)).toBe(0);
        expect(plan.skipped).toBeUndefined();
      }),
    );
  });

  it('a reduction never crosses zero nor grows the follower position, and only uses reducing legs', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const before = input.inverse ? -input.leaderBefore : input.leaderBefore;
        const delta = input.inverse ? -input.leaderDelta : input.leaderDelta;
        fc.pre(classifyLeaderMove(before, delta) === 'reduction');
        const plan = planFollowerOrder(input);
        const start = input.followerPosition;
        const end = followerAfter(start, plan);
        expect(Math.abs(end)).toBeLessThanOrEqual(Math.abs(start));
        expect(end * start).toBeGreaterThanOrEqual(0);
        expect(plan.legs.every((leg) => leg.reducing && leg.leg === 'close')).toBe(true);
        expect(plan.legs.length).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('a split reversal leaves the old side completely before opening the new one', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const plan = planFollowerOrder({ ...input, inverse: false, reversal: 'split' });
        fc.pre(classifyLeaderMove(input.leaderBefore, input.leaderDelta) === 'reversal');
        const [first] = plan.legs;
        const oldSide = Math.sign(input.leaderBefore);
        if (Math.sign(input.followerPosition) === oldSide) {
          expect(first).toMatchObject({ leg: 'close', reducing: true });
          expect(input.followerPosition + (first ? legDelta(first) : 0)).toBe(0);
        }
        const open = plan.legs.find((leg) => leg.leg === 'open');
        if (open) expect(Math.sign(legDelta(open))).toBe(-oldSide);
        else expect(plan.skipped).toBeDefined();
      }),
    );
  });
});
