import { describe, expect, it } from 'vitest';
import { DuplicateSignalGuard } from '../../src/risk/duplicate-guard.js';

describe('DuplicateSignalGuard', () => {
  it('reports a signal id the second time', () => {
    const g = new DuplicateSignalGuard();
    expect(g.seen('s1')).toBe(false);
    expect(g.seen('s2')).toBe(false);
    expect(g.seen('s1')).toBe(true);
  });

  it('keeps only the last N ids', () => {
    const g = new DuplicateSignalGuard(3);
    for (const id of ['a', 'b', 'c', 'd']) g.seen(id);
    expect(g.size).toBe(3);
    expect(g.seen('b')).toBe(true);
    expect(g.seen('a')).toBe(false); // forgotten, so recorded again (evicting b)
    expect(g.seen('b')).toBe(false);
  });

  it('refuses a capacity below one', () => {
    expect(() => new DuplicateSignalGuard(0)).toThrow(RangeError);
  });
});
