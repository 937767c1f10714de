import { describe, expect, it } from 'vitest';
import { diffJson } from '../src/replay/expect.js';

const actual = {
  accounts: [
    {
      name: 'a',
      positions: [
        { contract: 'MESZ25', netQty: 0 },
        { contract: 'MNQZ25', netQty: 2 },
      ],
    },
    { name: 'b', positions: [{ contract: 'MNQZ25', netQty: 1 }] },
  ],
  fills: [1, 2, 3],
  blocked: [],
};

describe('--expect matching', () => {
  it('matches named objects by key, partially, at any depth', () => {
    expect(
      diffJson({ accounts: [{ name: 'b', positions: [{ contract: 'MNQZ25', netQty: 1 }] }] }, actual),
    ).toEqual([]);
    expect(
      diffJson({ accounts: [{ name: 'a', positions: [{ contract: 'MNQZ25', netQty: 3 }] }] }, actual),
    ).toEqual([{ path: 'accounts[name=a].positions[contract=MNQZ25].netQty', expected: 3, actual: 2 }]);
  });

  it('names an expected element that is not there', () => {
    expect(diffJson({ accounts: [{ name: 'zz' }] }, actual)).toEqual([
      { path: 'accounts[name=zz]', expected: 'an element with name "zz"', actual: 'none' },
    ]);
  });

  it('compares other arrays element by element, with their length ([] means none)', () => {
    expect(diffJson({ fills: [1, 2] }, actual)).toEqual([{ path: 'fills.length', expected: 2, actual: 3 }]);
    expect(diffJson({ blocked: [] }, actual)).toEqual([]);
    expect(diffJson({ accounts: [] }, actual)).toEqual([{ path: 'accounts.length', expected: 0, actual: 2 }]);
  });
});
