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
  return `tn${base32(digest).slice(0, 22)}`;
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}
