import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_INSTRUMENTS,
  defaultInstruments,
  formatContract,
  frontMonth,
  nextContract,
  parseContract,
} from '../../src/index.js';
import { MONTH_CODES, monthCode, monthNumber, rollDate, thirdFriday } from '../../src/instruments/index.js';

const at = Date.parse('2025-11-24T15:00:00Z');

describe('contracts', () => {
  it('parses every written form of one contract to the same thing', () => {
    const expected = { root: 'MNQ', month: 'Z', year: 2025 };
    for (const text of ['MNQZ5', 'MNQZ25', 'MNQZ2025', 'MNQ 12-25', 'mnqz5']) {
      expect(parseContract(text, { at })).toEqual(expected);
    }
  });

  it('formats in each style', () => {
    const c = parseContract('MNQZ25');
    expect(formatContract(c, 'short')).toBe('MNQZ5');
    expect(formatContract(c, 'long')).toBe('MNQZ25');
    expect(formatContract(c, 'ninja')).toBe('MNQ 12-25');
  });

  it('finds roots that contain digits or are prefixes of others', () => {
    expect(parseContract('M2KH6', { at }).root).toBe('M2K');
    expect(parseContract('6EZ5', { at }).root).toBe('6E');
    expect(parseContract('NQZ5', { at }).root).toBe('NQ');
    expect(parseContract('MNQZ5', { at }).root).toBe('MNQ');
  });

  it('reads a one-digit year as the nearest one not in the past', () => {
    expect(parseContract('ESH6', { at }).year).toBe(2026);
    expect(parseContract('ESZ4', { at }).year).toBe(2024);
    expect(parseContract('ESH3', { at }).year).toBe(2033);
  });

  it('round-trips every product, month and year through every style', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BUILTIN_INSTRUMENTS.map((s) => s.root)),
        fc.constantFrom(...MONTH_CODES),
        fc.integer({ min: 2020, max: 2029 }),
        fc.constantFrom('short', 'long', 'ninja' as const),
        (root, month, year, style) => {
          const c = { root, month, year };
          expect(parseContract(formatContract(c, style), { at: Date.UTC(year, 0, 2) })).toEqual(c);
        },
      ),
    );
  });

  it('names the problem in a bad symbol', () => {
    expect(() => parseContract('XYZZ5')).toThrow(/unknown instrument in "XYZZ5"/);
    expect(() => parseContract('MNQA5')).toThrow(/"A" is not a month code/);
    expect(() => parseContract('MNQ 13-25')).toThrow(/month 13 is not 01-12/);
  });

  it('maps month codes both ways', () => {
    expect(MONTH_CODES.map((c) => monthNumber(c))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(monthCode(3)).toBe('H');
    expect(() => monthCode(13)).toThrow(RangeError);
  });
});

describe('the front month', () => {
  const es = defaultInstruments.get('ES');
  const cl = defaultInstruments.get('CL');

  it('rolls equity index futures 8 days before the third Friday', () => {
    expect(thirdFriday(2025, 12).toISOString().slice(0, 10)).toBe('2025-12-19');
    expect(rollDate(es, { root: 'ES', month: 'Z', year: 2025 }).toISOString().slice(0, 10)).toBe(
      '2025-12-11',
    );
    expect(frontMonth(es, Date.parse('2025-12-10T12:00:00Z'))).toEqual({
      root: 'ES',
      month: 'Z',
      year: 2025,
    });
    expect(frontMonth(es, Date.parse('2025-12-11T12:00:00Z'))).toEqual({
      root: 'ES',
      month: 'H',
      year: 2026,
    });
  });

  it('rolls monthly crude in the month before delivery', () => {
    expect(frontMonth(cl, Date.parse('2025-11-10T00:00:00Z'))).toEqual({
      root: 'CL',
      month: 'Z',
      year: 2025,
    });
    expect(frontMonth(cl, Date.parse('2025-11-20T00:00:00Z'))).toEqual({
      root: 'CL',
      month: 'F',
      year: 2026,
    });
  });

  it('resolves a bare root to the front month at the time given', () => {
    expect(parseContract('MNQ', { at })).toEqual({ root: 'MNQ', month: 'Z', year: 2025 });
  });

  it('steps to the next listed month across the year end', () => {
    expect(nextContract(es, { root: 'ES', month: 'Z', year: 2025 })).toEqual({
      root: 'ES',
      month: 'H',
      year: 2026,
    });
  });
});

describe('the registry', () => {
  it('holds the products the copier needs, with exact tick values', () => {
    const expectMils = {
      ES: 12_500,
      MES: 1_250,
      NQ: 5_000,
      MNQ: 500,
      ZN: 15_625,
      ZB: 31_250,
      '6E': 6_250,
      SI: 25_000,
    };
    for (const [root, mils] of Object.entries(expectMils)) {
      expect(defaultInstruments.get(root).tickValue, root).toBe(mils);
    }
    expect(defaultInstruments.roots()).toEqual(
      expect.arrayContaining([
        'ES',
        'MES',
        'NQ',
        'MNQ',
        'YM',
        'MYM',
        'RTY',
        'M2K',
        'CL',
        'MCL',
        'GC',
        'MGC',
        'SI',
        'ZN',
        'ZB',
        '6E',
      ]),
    );
    expect(() => defaultInstruments.get('XYZ')).toThrow(/unknown instrument root: XYZ/);
  });
});
