import { ErrorCode, parseSignal, type SignalDefaults, SignalError, type TradeSignal } from '@tradenova/core';
import { ENVELOPE_VERSION } from './envelope.js';

/** What one `trade.signals` message turned out to be. */
export type DecodedSignal =
  | { kind: 'signal'; signal: TradeSignal }
  /** A well-formed message that is not a signal (our own `signal-completed` events share the topic). */
  | { kind: 'other'; type: string }
  | { kind: 'invalid'; signalId?: string; field: string; code: string; message: string };

/**
 * Reads one message of `trade.signals`: either our envelope (`{ v: 1, type: 'signal-received', signal }`)
 * or a bare signal object from any other producer. Never throws: what cannot be used is
 * `invalid` with the field and reason, for `order.errors`.
 */
export function decodeSignalMessage(value: string | null, defaults: SignalDefaults): DecodedSignal {
  if (value === null) return invalid('(value)', 'empty message');
  let body: unknown;
  try {
    body = JSON.parse(value);
  } catch (error) {
    return invalid('(value)', `not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid('(value)', 'expected a JSON object');
  }
  const record = body as Record<string, unknown>;
  const signalId = typeof record.signalId === 'string' ? record.signalId : undefined;
  let raw: unknown = body;
  if ('v' in record) {
    if (record.v !== ENVELOPE_VERSION)
      return invalid('v', `unsupported envelope version ${JSON.stringify(record.v)}`);
    if (record.type !== 'signal-received') return { kind: 'other', type: String(record.type) };
    raw = record.signal;
  }
  try {
    return { kind: 'signal', signal: parseSignal(raw, defaults) };
  } catch (error) {
    if (error instanceof SignalError) return invalid(error.field, error.message, signalIdOf(raw) ?? signalId);
    throw error;
  }
}

function invalid(field: string, message: string, signalId?: string): DecodedSignal {
  return {
    kind: 'invalid',
    field,
    code: ErrorCode.SignalInvalid,
    message,
    ...(signalId === undefined ? {} : { signalId }),
  };
}

function signalIdOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const id = (raw as Record<string, unknown>).signalId;
  return typeof id === 'string' ? id : undefined;
}
