import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answersOrRefuses, fuzz } from '../../../core/test/fuzz/harness.js';
import { decodeMessage, encodeMessage, frame, type MessageName, TEMPLATES, unframe } from '../../src/wire.js';

/**
 * protobufjs answers a malformed message with its own errors ("index out of range", "invalid wire
 * type"), which the plant and the simulator catch and log. A TypeError or a stack overflow would
 * be a bug of ours.
 */
const protobufError = (e: unknown) =>
  e instanceof Error && !(e instanceof TypeError) && !/Maximum call stack/.test(e.message);

const names = Object.values(TEMPLATES) as MessageName[];

/** A valid message of any template in either framing, then cut, flipped or extended. */
const mutatedFrame = fc
  .tuple(
    fc.constantFrom(...names),
    fc.constantFrom('prefixed' as const, 'raw' as const),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    fc.nat({ max: 64 }),
    fc.uint8Array({ maxLength: 16 }),
  )
  .map(([name, framing, flips, cut, tail]) => {
    const bytes = Uint8Array.from(frame(encodeMessage(name, { user_msg: ['fuzz'] }), framing));
    for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
    const kept = bytes.subarray(0, Math.max(0, bytes.length - cut));
    return Uint8Array.from([...kept, ...tail]);
  });

describe('fuzz: Rithmic protobuf frames (both framings)', () => {
  it('a valid message comes back from either framing', () => {
    for (const name of names) {
      for (const framing of ['prefixed', 'raw'] as const) {
        const { payload, framing: seen } = unframe(frame(encodeMessage(name, {}), framing));
        expect(decodeMessage(payload).name).toBe(name);
        if (framing === 'prefixed') expect(seen).toBe('prefixed');
      }
    }
  });

  it('random and mutated bytes decode or are refused by protobuf, never a TypeError', () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 256 }), mutatedFrame);
    fuzz('rithmic-frames', bytes, (data) => {
      answersOrRefuses(() => decodeMessage(unframe(data).payload), protobufError);
    });
  });
});
