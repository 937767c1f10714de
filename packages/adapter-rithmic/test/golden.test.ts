import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, frame, unframe } from '../src/wire.js';

/**
 * Golden bytes: frames written by hand from the documented field numbers (tag =
 * field << 3 | wire type, as a varint), so a wrong number in a .proto file cannot
 * hide behind encoding and decoding with the same wrong definition.
 */
const hex = (s: string) =>
  Uint8Array.from(
    s
      .trim()
      .split(/\s+/)
      .map((b) => Number.parseInt(b, 16)),
  );
/** Bytes as spaced upper-case hex, so a mismatch reads like the frames above. */
const show = (b: Uint8Array) => [...b].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');

describe('golden bytes', () => {
  it('RequestHeartbeat (18): user_msg 132760 → C2 E9 40, template_id 154467 → 98 B6 4B', () => {
    const expected = hex(`
      C2 E9 40 01 61
      98 B6 4B 12`);
    expect(show(encodeMessage('RequestHeartbeat', { user_msg: ['a'] }))).toBe(show(expected));
  });

  it('RequestPnLPositionUpdates (400): request is field 100000 (80 EA 30)', () => {
    const expected = hex(`
      80 EA 30 01
      C2 99 4B 01 41
      98 B6 4B 90 03`);
    expect(show(encodeMessage('RequestPnLPositionUpdates', { request: 1, account_id: 'A' }))).toBe(
      show(expected),
    );
  });

  it('RequestNewOrder (312): symbol, price as a double, quantity, user_tag', () => {
    const expected = hex(`
      A2 E1 35 05 4D 4E 51 5A 35
      91 EE 35 00 00 00 00 10 88 D3 40
      A0 D8 36 02
      BA A0 4B 02 69 31
      98 B6 4B B8 02`);
    expect(
      show(
        encodeMessage('RequestNewOrder', { symbol: 'MNQZ5', price: 20000.25, quantity: 2, user_tag: 'i1' }),
      ),
    ).toBe(show(expected));
  });

  it('ResponseLogin (11): rp_code 132766 → F2 E9 40, heartbeat_interval 153633 as a double', () => {
    const expected = hex(`
      F2 E9 40 01 30
      89 82 4B 00 00 00 00 00 00 4E 40
      98 B6 4B 0B`);
    expect(show(encodeMessage('ResponseLogin', { rp_code: ['0'], heartbeat_interval: 60 }))).toBe(
      show(expected),
    );
  });

  it('decodes a hand-built ExchangeOrderNotification (352) FILL, template id first as servers send it', () => {
    const bytes = hex(`
      98 B6 4B E0 02
      C8 81 4B 05
      A0 EE 35 03
      BA EE 35 02 66 37`);
    const { name, message } = decodeMessage(bytes);
    expect(name).toBe('ExchangeOrderNotification');
    expect(message).toMatchObject({ template_id: 352, notify_type: 5, fill_size: 3, fill_id: 'f7' });
  });

  it('prefixed framing is a 4-byte big-endian length; both forms are read back', () => {
    const payload = hex('98 B6 4B 12');
    expect(frame(payload, 'prefixed')).toEqual(hex('00 00 00 04 98 B6 4B 12'));
    expect(unframe(hex('00 00 00 04 98 B6 4B 12'))).toEqual({ payload, framing: 'prefixed' });
    expect(unframe(payload)).toEqual({ payload, framing: 'raw' });
  });

  it('repeated bools are unpacked, one tag per element (proto2, as captured from the gateway)', () => {
    const bytes = encodeMessage('ResponseRithmicSystemInfo', {
      system_name: ['a'],
      has_aggregated_quotes: [true, false],
    });
    // system_name 153628 → E2 81 4B; has_aggregated_quotes 153649 → 88 83 4B, once per value.
    expect(show(bytes)).toBe('E2 81 4B 01 61 88 83 4B 01 88 83 4B 00 98 B6 4B 11');
  });
});
