import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  exactAverageTicksToPrice,
  exactPriceToTicks,
  exactPriceToTicksRounded,
  exactTicksToPrice,
} from '../../src/money/exact-ticks.js';
import {
  averageTicksToPrice,
  priceToTicks,
  priceToTicksRounded,
  ticksToPrice,
} from '../../src/money/price.js';

// Every tick size of the instrument registry's kind: quarters, 32nds and 64ths, bond halves, FX.
const TICKS = [
  '0.25',
  '0.5',
  '0.03125',
  '0.015625',
  '0.0078125',
  '0.0001',
  '0.00005',
  '0.005',
  '1',
  '10',
  '0.1',
];
const tickSize = fc.constantFrom(...TICKS);
/** A decimal string such as a broker or a signal sends. */
const price = fc
  .tuple(fc.boolean(), fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 7 }))
  .map(([negative, units, scale]) => {
    const s = new Decimal(units).dividedBy(new Decimal(10).pow(scale)).toFixed(scale);
    return negative && units !== 0 ? `-${s}` : s;
  });
/** decimal.js writes a negative zero as "-0"; the exact path writes "0". */
const noNegZero = (s: string) => (s === '-0' ? '0' : s);

describe('exact tick arithmetic agrees with decimal.js', () => {
  it('ticks → price', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), tickSize, (ticks, size) => {
        const exact = exactTicksToPrice(ticks, size);
        // Past 2^53 units it declines and decimal.js answers; every real price is far below.
        if (Math.abs(ticks) <= 1e9) expect(exact).toBeDefined();
        if (exact !== undefined) expect(exact).toBe(noNegZero(new Decimal(size).times(ticks).toFixed()));
      }),
      { numRuns: 2000 },
    );
  });

  it('price → ticks, exact or refused', () => {
    fc.assert(
      fc.property(price, tickSize, (p, size) => {
        const q = new Decimal(p).dividedBy(size);
        const exact = exactPriceToTicks(p, size);
        if (q.isInteger()) expect(exact).toBe(q.toNumber() || 0);
        else expect(exact).toBeNaN();
      }),
      { numRuns: 2000 },
    );
  });

  it('price → ticks rounded down, up and to the nearest (half away from zero)', () => {
    fc.assert(
      fc.property(
        price,
        tickSize,
        fc.constantFrom('floor', 'ceil', 'nearest') as fc.Arbitrary<'floor' | 'ceil' | 'nearest'>,
        (p, size, mode) => {
          const q = new Decimal(p).dividedBy(size);
          const want =
            mode === 'floor'
              ? q.floor()
              : mode === 'ceil'
                ? q.ceil()
                : q.toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
          expect(exactPriceToTicksRounded(p, size, mode)).toBe(want.toNumber() || 0);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('average price of a position, to 10 places', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e13, max: 1e13 }),
        fc.integer({ min: 1, max: 5000 }),
        tickSize,
        (total, qty, size) => {
          // Decimal's default precision is 20 significant digits: compare with enough of them.
          const D = Decimal.clone({ precision: 60 });
          const want = new D(size).times(total).dividedBy(qty).toDecimalPlaces(10).toFixed();
          expect(exactAverageTicksToPrice(total, qty, size, 10)).toBe(noNegZero(want));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('leaves what it does not handle to decimal.js, through the same API', () => {
    expect(exactPriceToTicks('2.1e4', '0.25')).toBeUndefined();
    expect(priceToTicks('2.1e4', '0.25')).toBe(84000);
    expect(exactTicksToPrice(2 ** 53, '0.25')).toBeUndefined();
    expect(ticksToPrice(2 ** 53, '0.25')).toBe(new Decimal(2 ** 53).times('0.25').toFixed());
    expect(priceToTicks(' 21000.25 ', '0.25')).toBe(84001);
    expect(() => priceToTicks('21000.10', '0.25')).toThrow(/not a multiple of the tick size 0.25/);
    expect(() => priceToTicks('abc', '0.25')).toThrow(/not a price/);
    expect(priceToTicksRounded('21000.13', '0.25', 'nearest')).toBe(84001);
    expect(averageTicksToPrice(168001, 2, '0.25')).toBe('21000.125');
    expect(averageTicksToPrice(1, 3, '0.25')).toBe('0.0833333333');
  });
});
