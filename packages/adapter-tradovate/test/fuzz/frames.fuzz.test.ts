import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answersOrRefuses, errorOf, fuzz, jsonish } from '../../../core/test/fuzz/harness.js';
import { decodeClientFrame, decodeServerFrame } from '../../src/wire.js';

/** Frames as the socket carries them: a kind letter, then JSON (or debris). */
const serverFrame = fc.oneof(
  fc.tuple(fc.constantFrom('o', 'h', 'a', 'c', 'x', ''), jsonish()).map(([k, body]) => `${k}${body}`),
  fc
    .array(
      fc.oneof(
        fc.constant(null),
        fc.integer(),
        fc.string(),
        fc.record(
          { i: fc.integer(), s: fc.integer(), e: fc.string(), d: fc.jsonValue() },
          { requiredKeys: [] },
        ),
      ),
      { maxLength: 4 },
    )
    .map((m) => `a${JSON.stringify(m)}`),
  fc.string({ unit: 'binary', maxLength: 100 }),
);

describe('fuzz: Tradovate socket frames', () => {
  it('a server frame decodes to its documented shape or is a SyntaxError', () => {
    fuzz('tradovate-server-frame', serverFrame, (text) => {
      answersOrRefuses(() => {
        const frame = decodeServerFrame(text);
        // The client reads `e`, `i`, `s`, `d` of every message: each must be an object.
        if (frame.type === 'data')
          for (const m of frame.messages)
            expect(typeof m === 'object' && m !== null && !Array.isArray(m)).toBe(true);
      }, errorOf(SyntaxError));
    });
  });

  it('a client frame decodes or is a SyntaxError', () => {
    const clientFrame = fc.oneof(
      fc
        .array(fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String), jsonish()), { maxLength: 5 })
        .map((p) => p.join('\n')),
      fc.string({ unit: 'binary', maxLength: 100 }),
    );
    fuzz('tradovate-client-frame', clientFrame, (text) => {
      answersOrRefuses(() => decodeClientFrame(text), errorOf(SyntaxError));
    });
  });

  it('regression: an "a" frame holding a non-object is refused, not handed to the client', () => {
    expect(() => decodeServerFrame('a[null]')).toThrow(SyntaxError);
    expect(() => decodeServerFrame('a[1,{"i":1}]')).toThrow(SyntaxError);
    expect(decodeServerFrame('a[{"i":1,"s":200}]')).toEqual({ type: 'data', messages: [{ i: 1, s: 200 }] });
  });
});
