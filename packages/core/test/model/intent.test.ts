import { hash } from 'node:crypto';
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

  it('are the ids of earlier versions (journals and brokers hold them): known values', () => {
    expect(intentId('s1', 'f1', 'entry')).toBe('tnfvcsbt1kspee1rt3j2qq12');
    expect(intentId('s-001.7', 'SIM-F12 alpha', 'stopLoss')).toBe('tnp9kwwzrme4322z93pa4b1c');
    expect(intentId('', '', '')).toBe('tnjth9dmh4ya2wcyzejf1gz2');
  });

  it('are the ids of earlier versions: the former encoding (the whole digest in base32, cut to 22)', () => {
    const former = (s: string, f: string, l: string) => {
      const digest = hash('sha256', `${s}\u0000${f}\u0000${l}`, 'buffer');
      let out = '';
      let bits = 0;
      let value = 0;
      for (const byte of digest) {
        value = (value << 8) | byte;
        bits += 8;
        while (bits >= 5) {
          out += '0123456789abcdefghjkmnpqrstvwxyz'[(value >>> (bits - 5)) & 31];
          bits -= 5;
        }
        value &= (1 << bits) - 1;
      }
      return `tn${out.slice(0, 22)}`;
    };
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (s, f, l) => intentId(s, f, l) === former(s, f, l)),
    );
  });
});
