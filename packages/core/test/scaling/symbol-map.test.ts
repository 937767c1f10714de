import { describe, expect, it } from 'vitest';
import { mapSymbol } from '../../src/scaling/index.js';

describe('mapSymbol', () => {
  const map = { NQ: { to: 'MNQ', ratio: 10 }, ES: { to: 'MES', ratio: 10 } };

  it('maps a root to its follower root and ratio', () => {
    expect(mapSymbol('NQ', map)).toEqual({ root: 'MNQ', ratio: 10 });
    expect(mapSymbol('ES', map)).toEqual({ root: 'MES', ratio: 10 });
  });

  it('copies an unmapped root as is with ratio 1', () => {
    expect(mapSymbol('CL', map)).toEqual({ root: 'CL', ratio: 1 });
    expect(mapSymbol('NQ', {})).toEqual({ root: 'NQ', ratio: 1 });
  });

  it('ignores Object.prototype members', () => {
    expect(mapSymbol('constructor', map)).toEqual({ root: 'constructor', ratio: 1 });
  });
});
