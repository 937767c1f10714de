import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intentId } from '../../src/index.js';

describe('intent ids', () => {
  it('are a pure function of signal, follower and leg', () => {
    expect(intentId('s1', 'f1', 'entry')).toBe(intentId('s1', 'f1', 'entry'));
    expect(intentId('s1', 'f1', 'entry')).not.toBe(intentId('s1', 'f1', 'close'));
    expect(intentId('s1', 'f1', 'entry')).not.toBe(intentId('s1', 'f2', 'entry'));
  });

  it('fit every broker client-order-id field: 24 lowercase alphanumerics', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (s, f, l) =>
        /^tn[0-9a-z]{22}$/.test(intentId(s, f, l)),
      ),
    );
  });

  it('do not collide when parts shift between fields', () => {
    expect(intentId('ab', 'c', 'entry')).not.toBe(intentId('a', 'bc', 'entry'));
  });
});
