/**
 * WebSocket message framing of R|Protocol (protocol notes §2). Rithmic's own samples
 * disagree: the Python samples put a 4-byte big-endian length before each protobuf
 * message, the 2025 Node sample sends the bare protobuf. We read both and write
 * the form the config names.
 */

/** How protobuf messages are put into WebSocket binary messages. */
export type Framing = 'prefixed' | 'raw';

/** Puts one protobuf message into a WebSocket message in the given framing. */
export function frame(payload: Uint8Array, framing: Framing): Uint8Array {
  if (framing === 'raw') return payload;
  const out = new Uint8Array(payload.length + 4);
  new DataView(out.buffer).setInt32(0, payload.length, false);
  out.set(payload, 4);
  return out;
}

/** The protobuf message inside a WebSocket message, and which framing carried it. */
export interface Unframed {
  payload: Uint8Array;
  framing: Framing;
}

/**
 * Takes the protobuf message out of a WebSocket message. A bare Rithmic message starts
 * with a tag byte, never 0x00; a prefixed one starts with 0x00 for any message under
 * 16 MiB, so the prefix is stripped only when byte 0 is 0x00 and the length matches.
 */
export function unframe(data: Uint8Array): Unframed {
  if (data.length >= 4 && data[0] === 0x00) {
    const length = new DataView(data.buffer, data.byteOffset, data.byteLength).getInt32(0, false);
    if (length === data.length - 4) return { payload: data.subarray(4), framing: 'prefixed' };
  }
  return { payload: data, framing: 'raw' };
}

/** A WebSocket message as bytes, whatever `ws` handed over (Buffer, ArrayBuffer or fragments). */
export function toBytes(data: ArrayBuffer | Uint8Array | readonly Uint8Array[]): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const total = data.reduce((n, part) => n + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of data) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
