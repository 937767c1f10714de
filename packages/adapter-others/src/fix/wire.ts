/**
 * The FIX vocabulary the initiator and the simulator share: versions, how a message
 * body is held, and the code tables of the fields both sides write. Encoding and
 * session rules are jspurefix's (client/session.ts).
 */
import type { BrokerOrderStatus, OrderType } from '@tradenova/core';

/** A FIX version this adapter speaks. */
export type FixVersion = '4.2' | '4.4';

/** A decoded FIX message: field names (dictionary names) to values, components flattened. */
export type FixFields = Record<string, unknown>;

/** 40 OrdType → the contract's order type. */
export const ORD_TYPES: Readonly<Record<string, OrderType>> = {
  '1': 'market',
  '2': 'limit',
  '3': 'stop',
  '4': 'stop-limit',
};

/** The contract's order type → 40 OrdType. */
export const ORD_TYPE_CODE: Readonly<Record<OrderType, string>> = {
  market: '1',
  limit: '2',
  stop: '3',
  'stop-limit': '4',
};

/** The contract's order status → 39 OrdStatus (as an acceptor reports it). */
export const ORD_STATUS: Readonly<Record<BrokerOrderStatus, string>> = {
  pending: 'A',
  working: '0',
  'partially-filled': '1',
  filled: '2',
  cancelled: '4',
  rejected: '8',
};
