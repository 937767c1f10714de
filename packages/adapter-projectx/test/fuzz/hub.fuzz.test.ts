import { defaultInstruments, TradeNovaError } from '@tradenova/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  answersOrRefuses,
  errorOf,
  fuzz,
  jsonish,
  nastyValue,
  objectWith,
} from '../../../core/test/fuzz/harness.js';
import { ProjectXState } from '../../src/state.js';
import type { PxAccount, PxOrder, PxPosition, PxTrade } from '../../src/wire.js';
import { RECORD_SEPARATOR, unwrapHubPayload } from '../../src/wire.js';

const KEYS = [
  'id',
  'accountId',
  'contractId',
  'creationTimestamp',
  'updateTimestamp',
  'status',
  'type',
  'side',
  'size',
  'limitPrice',
  'stopPrice',
  'fillVolume',
  'filledPrice',
  'customTag',
  'parentOrderId',
  'orderId',
  'price',
  'profitAndLoss',
  'fees',
  'voided',
  'averagePrice',
  'action',
  'data',
];
const value = fc.oneof(
  fc.constantFrom(
    1,
    2,
    0,
    3,
    4,
    5,
    6,
    'CON.F.US.MNQ.Z25',
    'CON.F.US.EP.H26',
    'CON.F.US.XX.Q99',
    '2025-11-24T14:30:00Z',
    21000.25,
    21000.1,
    1e21,
    -0,
    'tag',
  ),
  nastyValue(),
);

/** Hub event arguments as the SignalR JSON protocol delivers them: parsed JSON, optionally wrapped. */
const argument = fc.oneof(
  objectWith(KEYS, value),
  objectWith(KEYS, value).map((data) => ({ action: 1, data })),
  jsonish().map((text) => {
    try {
      return JSON.parse(text.split(RECORD_SEPARATOR)[0] ?? '') as unknown;
    } catch {
      return text;
    }
  }),
);

/**
 * What the hub client does with each event (client/hub.ts): unwrap, then apply to the state. It
 * catches and logs what throws, so a throw is not a crash; the property asks that it be a typed
 * error (TradeNovaError), not a TypeError from a field of the wrong shape.
 */
describe('fuzz: SignalR hub messages (ProjectX user hub)', () => {
  it('an order, trade or position event applies or is refused with a typed error', () => {
    fuzz(
      'projectx-hub-events',
      fc.tuple(fc.constantFrom('order', 'trade', 'position'), argument),
      ([kind, arg]) => {
        const state = new ProjectXState(defaultInstruments);
        state.accounts.set(1, {
          id: 1,
          name: 'PX1',
          balance: 50000,
          canTrade: true,
          isVisible: true,
          simulated: true,
        } as PxAccount);
        const payload = unwrapHubPayload<Record<string, unknown>>(arg);
        if (payload === undefined) return;
        answersOrRefuses(() => {
          if (kind === 'order') state.applyOrder(payload as unknown as PxOrder);
          else if (kind === 'trade') state.applyTrade(payload as unknown as PxTrade);
          else state.applyPosition(payload as unknown as PxPosition);
        }, errorOf(TradeNovaError));
      },
    );
  });
});

describe('fuzz regressions', () => {
  it('a position event without a size is a typed refusal, not a NaN position or a RangeError', () => {
    const state = new ProjectXState(defaultInstruments);
    state.accounts.set(1, { id: 1, name: 'PX1' } as PxAccount);
    const position = { accountId: 1, contractId: 'CON.F.US.EP.H26' } as unknown as PxPosition;
    expect(() => state.applyPosition(position)).toThrow(TradeNovaError);
    expect(() => state.applyPosition({ ...position, size: 2, type: 1, averagePrice: Number.NaN })).toThrow(
      TradeNovaError,
    );
  });
});
