import type { BrokerOrderStatus, OrderType } from '@tradenova/core';
import type { OifOrderType } from './wire.js';

/** One order-state file: `<state>;<filled qty>;<average fill price>`. */
export interface OrderStateFile {
  /** The state token as written, upper-cased. */
  state: string;
  filledQty: number;
  /** Average fill price as a number (0 when nothing filled). */
  avgPrice: number;
}

/** One position file: `<LONG|SHORT|FLAT>;<quantity>;<average entry price>`. */
export interface PositionFile {
  /** Signed: negative when SHORT. */
  netQty: number;
  avgPrice: number;
}

/** What a file name in `outgoing` says it is. */
export type OutgoingName =
  | { kind: 'position'; instrument: string; exchange: string; account: string }
  | { kind: 'other'; stem: string };

// The doc example is `ES 0914 Globex_Sim101_Position.txt`; NT8 writes `MNQ 12-25 Default_Sim101_position.txt`:
// match case-insensitively, any exchange token, and an account that may itself hold underscores.
const POSITION_NAME = /^(.+?) ([^ _]+)_(.+)_position\.txt$/i;

/** Classifies a file name in the outgoing folder. */
export function classifyOutgoingName(name: string): OutgoingName | undefined {
  if (!/\.txt$/i.test(name)) return undefined;
  const position = POSITION_NAME.exec(name);
  if (position) {
    return { kind: 'position', instrument: position[1]!, exchange: position[2]!, account: position[3]! };
  }
  return { kind: 'other', stem: name.slice(0, -4) };
}

/**
 * Parses an order-state file; undefined for text that is not one (a file caught half
 * rewritten, or a connection file). NinjaTrader rewrites these in place, so a reader
 * must expect partial content and read again.
 */
export function parseOrderStateFile(text: string): OrderStateFile | undefined {
  const parts = text.trim().split(';');
  if (parts.length !== 3) return undefined;
  const state = parts[0]!.trim().toUpperCase();
  const filledQty = Number(parts[1]);
  const avgPrice = Number(parts[2]);
  if (!/^[A-Z]+$/.test(state) || !Number.isSafeInteger(filledQty) || filledQty < 0) return undefined;
  if (!Number.isFinite(avgPrice) || parts[2]!.trim() === '') return undefined;
  return { state, filledQty, avgPrice };
}

/** Parses a position file; undefined when it is not one. */
export function parsePositionFile(text: string): PositionFile | undefined {
  const parts = text.trim().split(';');
  if (parts.length !== 3) return undefined;
  const side = parts[0]!.trim().toUpperCase();
  const qty = Number(parts[1]);
  const avgPrice = Number(parts[2]);
  if (!Number.isSafeInteger(qty) || qty < 0 || !Number.isFinite(avgPrice) || parts[2]!.trim() === '')
    return undefined;
  if (side === 'FLAT') return { netQty: 0, avgPrice: 0 };
  if (side === 'LONG') return { netQty: qty, avgPrice };
  if (side === 'SHORT') return { netQty: -qty, avgPrice };
  return undefined;
}

/** Parses a connection file: true for CONNECTED, false for DISCONNECTED, undefined for anything else. */
export function parseConnectionFile(text: string): boolean | undefined {
  const token = text.trim().toUpperCase();
  if (token === 'CONNECTED') return true;
  if (token === 'DISCONNECTED') return false;
  return undefined;
}

/**
 * The contract status of an NT8 `OrderState` token. The partial-fill token is seen as both
 * PARTFILLED and PARTIALLYFILLED; the pending-change and pending-cancel states leave the
 * order working; unknown tokens are non-terminal (protocol notes §4).
 */
export function statusOfState(state: string, filledQty: number): BrokerOrderStatus {
  switch (state.toUpperCase()) {
    case 'FILLED':
      return 'filled';
    case 'PARTFILLED':
    case 'PARTIALLYFILLED':
      return 'partially-filled';
    case 'CANCELLED':
    case 'CANCELED':
      return 'cancelled';
    case 'REJECTED':
      return 'rejected';
    case 'WORKING':
    case 'ACCEPTED':
    case 'TRIGGERPENDING':
    case 'CHANGEPENDING':
    case 'CHANGESUBMITTED':
    case 'CANCELPENDING':
    case 'CANCELSUBMITTED':
      return filledQty > 0 ? 'partially-filled' : 'working';
    default:
      return filledQty > 0 ? 'partially-filled' : 'pending';
  }
}

/** Whether a status is final. */
export function isTerminal(status: BrokerOrderStatus): boolean {
  return status === 'filled' || status === 'cancelled' || status === 'rejected';
}

/** The NT8 ORDER TYPE token of a contract order type. */
export function oifOrderTypeOf(type: OrderType): OifOrderType {
  switch (type) {
    case 'market':
      return 'MARKET';
    case 'limit':
      return 'LIMIT';
    case 'stop':
      return 'STOPMARKET';
    case 'stop-limit':
      return 'STOPLIMIT';
  }
}

/** The contract order type of an ORDER TYPE token (NT6/NT7 `STOP` included); undefined when unknown. */
export function orderTypeOfOif(token: string): OrderType | undefined {
  switch (token.toUpperCase()) {
    case 'MARKET':
      return 'market';
    case 'LIMIT':
      return 'limit';
    case 'STOP':
    case 'STOPMARKET':
      return 'stop';
    case 'STOPLIMIT':
      return 'stop-limit';
    default:
      return undefined;
  }
}
