import { DTC_PROTOCOL_VERSION, type DtcMessage, DtcType } from '../protocol.js';

/**
 * Splits a TCP byte stream into NUL-terminated JSON messages. TCP gives no message
 * boundaries: one read may end mid-message or carry many, so bytes are kept until the
 * terminating 0x00 arrives. Bytes, not strings, are buffered so a UTF-8 character split
 * across two reads is decoded whole.
 */
export class NulFramer {
  #chunks: Buffer[] = [];
  #size = 0;
  /** Refuse a peer that never terminates a message instead of buffering without bound. */
  readonly #maxBytes: number;

  constructor(maxBytes = 1 << 20) {
    this.#maxBytes = maxBytes;
  }

  /** Adds bytes; returns every message now complete, in order (empty frames skipped). */
  push(data: Buffer): string[] {
    const out: string[] = [];
    let start = 0;
    for (let i = data.indexOf(0); i !== -1; i = data.indexOf(0, start)) {
      const tail = data.subarray(start, i);
      const whole =
        this.#size === 0 ? tail : Buffer.concat([...this.#chunks, tail], this.#size + tail.length);
      this.#chunks = [];
      this.#size = 0;
      if (whole.length > 0) out.push(whole.toString('utf8'));
      start = i + 1;
    }
    if (start < data.length) {
      const rest = data.subarray(start);
      this.#chunks.push(rest);
      this.#size += rest.length;
      if (this.#size > this.#maxBytes) throw new RangeError('DTC message longer than the frame limit');
    }
    return out;
  }

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.#size;
  }
}

/** One message in the JSON encoding, NUL-terminated. */
export function encodeJson(message: DtcMessage): Buffer {
  return Buffer.from(`${JSON.stringify(message)}\u0000`, 'utf8');
}

/** Parses one JSON frame; undefined when it is not a DTC message (no numeric `Type`). */
export function decodeJson(frame: string): DtcMessage | undefined {
  try {
    const value = JSON.parse(frame) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as DtcMessage).Type === 'number') {
      return value as DtcMessage;
    }
  } catch {
    // A malformed frame is dropped, as a DTC peer ignores what it cannot read.
  }
  return undefined;
}

/** Size of ENCODING_REQUEST / ENCODING_RESPONSE in the binary encoding. */
export const ENCODING_MESSAGE_SIZE = 16;

/**
 * The binary 16-byte ENCODING_REQUEST (type 6) or ENCODING_RESPONSE (type 7): Size u16,
 * Type u16, ProtocolVersion i32, Encoding i32, ProtocolType "DTC\0", little-endian.
 */
export function encodeEncodingMessage(type: 6 | 7, encoding: number): Buffer {
  const buffer = Buffer.alloc(ENCODING_MESSAGE_SIZE);
  buffer.writeUInt16LE(ENCODING_MESSAGE_SIZE, 0);
  buffer.writeUInt16LE(type, 2);
  buffer.writeInt32LE(DTC_PROTOCOL_VERSION, 4);
  buffer.writeInt32LE(encoding, 8);
  buffer.write('DTC', 12, 'ascii');
  return buffer;
}

/** Reads a binary encoding message from the start of `data`; undefined until 16 bytes are there. */
export function decodeEncodingMessage(
  data: Buffer,
): { type: number; size: number; protocolVersion: number; encoding: number } | undefined {
  if (data.length < 4) return undefined;
  const size = data.readUInt16LE(0);
  const type = data.readUInt16LE(2);
  if (size < 12 || data.length < size) return undefined;
  return { type, size, protocolVersion: data.readInt32LE(4), encoding: data.readInt32LE(8) };
}

/** Whether a binary header is an encoding message at all (anything else before JSON is a protocol error). */
export function isEncodingType(type: number): boolean {
  return type === DtcType.EncodingRequest || type === DtcType.EncodingResponse;
}
