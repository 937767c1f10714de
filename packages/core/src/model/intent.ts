import { hash } from 'node:crypto';
import type { Contract } from '../instruments/contract.js';
import type { Ticks } from '../money/price.js';
import type { OrderType, Side, TimeInForce } from './common.js';

/** Which part of a follower's reaction to one signal an intent is. */
export type IntentLeg =
  /** the scaled copy of a new leader order */
  | 'entry'
  /** the closing half of a reversal split into close-then-open */
  | 'close'
  /** the opening half of a reversal */
  | 'open'
  /** bracket children when the engine places them itself */
  | 'stop-loss'
  | 'take-profit'
  /** change or cancel a follower order */
  | 'modify'
  | 'cancel'
  /** close a follower position (leader flatten, auto-flatten by a risk rule) */
  | 'flatten'
  /** an order reconciliation places to bring a follower in line */
  | 'reconcile';

/** Absolute bracket prices in ticks for the follower's order. */
export interface IntentBracket {
  stopLossTicks?: Ticks;
  takeProfitTicks?: Ticks;
}

/** What one follower must do for one signal. */
export interface OrderIntent {
  /** Pure function of (signalId, follower, leg): a retry or restart reuses it. Sent as the client order id. */
  intentId: string;
  signalId: string;
  follower: string;
  broker: string;
  accountId: string;
  leg: IntentLeg;
  action: 'place' | 'modify' | 'cancel' | 'flatten';
  contract: Contract;
  side: Side;
  qty: number;
  orderType: OrderType;
  limitTicks?: Ticks;
  stopTicks?: Ticks;
  timeInForce?: TimeInForce;
  bracket?: IntentBracket;
  /** For modify and cancel: the intent id of the follower order being changed. */
  targetIntentId?: string;
  /** True when the order only reduces the follower's position (never blocked by entry rules). */
  reducing: boolean;
  /** Virtual or wall-clock time the intent was made (ms). */
  createdAt: number;
}

/**
 * The deterministic id of a follower's intent: `tn` + 22 base32 characters of
 * SHA-256(signalId, follower, leg). Short and alphanumeric so it fits every
 * broker's client-order-id field (FIX ClOrdID, Rithmic user_tag, OIF order id).
 */
export function intentId(signalId: string, follower: string, leg: IntentLeg | string): string {
  // The one-shot hash is twice as fast as createHash for inputs this small; this runs per follower per signal.
  const digest = hash('sha256', `${signalId}\u0000${follower}\u0000${leg}`, 'buffer');
  // Only the 22 characters kept are encoded, straight into one flat string: built with `+=` and
  // sliced, each id was a concatenation over a slice of the whole 51-character encoding (136 bytes
  // of heap instead of 40), and engines keep hundreds of thousands of ids in their bounded windows.
  const codes = new Array<number>(ID_LENGTH);
  codes[0] = 116; // t
  codes[1] = 110; // n
  let bits = 0;
  let value = 0;
  let byte = 0;
  for (let at = 2; at < ID_LENGTH; at++) {
    if (bits < 5) {
      value = (value << 8) | (digest[byte++] as number);
      bits += 8;
    }
    codes[at] = ALPHABET_CODES[(value >>> (bits - 5)) & 31] as number;
    bits -= 5;
    value &= (1 << bits) - 1;
  }
  return String.fromCharCode(...codes);
}

/** `tn` and 22 base32 characters (110 of the digest's bits, most significant first). */
const ID_LENGTH = 24;
const ALPHABET_CODES = Array.from('0123456789abcdefghjkmnpqrstvwxyz', (c) => c.charCodeAt(0));
