import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney, parseMoney, priceToTicks, priceToTicksRounded, ticksToPrice } from '../../src/index.js';

describe('money', () => {
  it('parses amounts to exact mils and formats them back', () => {
    expect(parseMoney('1250.50')).toBe(1_250_500);
    expect(parseMoney(15.625)).toBe(15_625);
    expect(parseMoney('-3')).toBe(-3000);
    expect(formatMoney(1_250_500)).toBe('1250.50');
    expect(formatMoney(15_625)).toBe('15.625');
    expect(formatMoney(-500)).toBe('-0.50');
  });

  it('refuses more than three decimals, naming the field', () => {
    expect(() => parseMoney('1.0001', 'dailyLossLimit')).toThrow(/dailyLossLimit: more than 3 decimals/);
    expect(() => parseMoney('abc', 'x')).toThrow(/x: not a number/);
  });

  it('round-trips any amount of mils', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (mils) => parseMoney(formatMoney(mils)) === mils),
    );
  });
});

describe('prices in ticks', () => {
  it('converts exactly where floats would drift', () => {
    // 0.1 + 0.2 style drift: 21000.30 on a 0.1 tick, 110.015625 on ZN's 1/64.
    expect(priceToTicks('2100.3', '0.1')).toBe(21003);
    expect(priceToTicks('110.015625', '0.015625')).toBe(7041);
    expect(ticksToPrice(7041, '0.015625')).toBe('110.015625');
    expect(ticksToPrice(84001, '0.25')).toBe('21000.25');
  });

  it('refuses a price off the tick, naming the field', () => {
    expect(() => priceToTicks('21000.10', '0.25', 'limitPrice')).toThrow(
      /limitPrice: 21000.10 is not a multiple of the tick size 0.25/,
    );
  });

  it('rounds to a coarser tick in the direction asked', () => {
    expect(priceToTicksRounded('21000.10', '0.25', 'floor')).toBe(84000);
    expect(priceToTicksRounded('21000.10', '0.25', 'ceil')).toBe(84001);
    expect(priceToTicksRounded('21000.125', '0.25', 'nearest')).toBe(84001);
  });

  it('round-trips ticks on every tick size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.constantFrom('0.25', '0.1', '0.01', '0.005', '0.015625', '0.00005', '1'),
        (t, size) => priceToTicks(ticksToPrice(t, size), size) === t,
      ),
    );
  });
});
