import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRounding } from '../../src/scaling/index.js';

describe('applyRounding', () => {
  it('snaps float drift before rounding up', () => {
    expect(0.07 * 100).not.toBe(7);
    expect(applyRounding(0.07 * 100, 'ceil')).toBe(7);
    expect(applyRounding(0.57 * 100, 'floor')).toBe(57);
    expect(applyRounding(0.1 * 3, 'floor')).toBe(0);
    expect(applyRounding(2.9999999999999996, 'floor')).toBe(3);
  });

  it('keeps real fractions that are above the snap precision', () => {
    expect(applyRounding(7.000001, 'ceil')).toBe(8);
    expect(applyRounding(6.999999, 'floor')).toBe(6);
  });

  it('rounds half away from zero', () => {
    expect(applyRounding(2.5, 'round')).toBe(3);
    expect(applyRounding(-2.5, 'round')).toBe(-3);
    expect(applyRounding(2.4999, 'round')).toBe(2);
    expect(applyRounding(1.5, 'floor')).toBe(1);
    expect(applyRounding(1.5, 'ceil')).toBe(2);
  });

  it('never returns negative zero', () => {
    expect(Object.is(applyRounding(-0.3, 'round'), 0)).toBe(true);
    expect(Object.is(applyRounding(-0.3, 'ceil'), 0)).toBe(true);
  });

  it('rejects a non-finite quantity', () => {
    expect(() => applyRounding(Number.NaN, 'round')).toThrow(RangeError);
    expect(() => applyRounding(Number.POSITIVE_INFINITY, 'ceil')).toThrow(RangeError);
  });

  it('returns an integer within 1 of the input, ordered floor ≤ round ≤ ceil', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => {
        const floor = applyRounding(x, 'floor');
        const round = applyRounding(x, 'round');
        const ceil = applyRounding(x, 'ceil');
        for (const r of [floor, round, ceil]) {
          expect(Number.isInteger(r)).toBe(true);
          expect(Math.abs(r - x)).toBeLessThanOrEqual(1);
        }
        expect(floor).toBeLessThanOrEqual(round);
        expect(round).toBeLessThanOrEqual(ceil);
      }),
    );
  });

  it('maps an integer times a float factor back to that integer when the product is whole', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 100 }), (q, tenths) => {
        // q·(tenths/10)·10 is mathematically q·tenths, whatever float noise the steps add.
        const drifted = q * (tenths / 10) * 10;
        expect(applyRounding(drifted, 'ceil')).toBe(q * tenths);
        expect(applyRounding(drifted, 'floor')).toBe(q * tenths);
      }),
    );
  });
});
