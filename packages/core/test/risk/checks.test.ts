import { describe, expect, it } from 'vitest';
import type { Contract } from '../../src/instruments/contract.js';
import { defaultInstruments } from '../../src/instruments/registry.js';
import {
  checkAllowedInstrument,
  checkDailyLoss,
  checkFlatBy,
  checkMaxContracts,
  checkMaxOrderQty,
  checkMaxPosition,
  checkOppositePosition,
  checkOrderRate,
  checkTradingWindow,
  checkTrailingDrawdown,
} from '../../src/risk/checks.js';
import { RiskReason } from '../../src/risk/reasons.js';
import { compileWindows, localClock } from '../../src/risk/session.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: 2025 };
const NQ: Contract = { root: 'NQ', month: 'Z', year: 2025 };
const ES: Contract = { root: 'ES', month: 'Z', year: 2025 };
const MES: Contract = { root: 'MES', month: 'Z', year: 2025 };
const CT = 'America/Chicago';

describe('checkMaxOrderQty', () => {
  it('passes at the limit and blocks one over, naming the numbers', () => {
    expect(checkMaxOrderQty(10, 10)).toBeUndefined();
    expect(checkMaxOrderQty(11, 10)).toEqual({
      reason: RiskReason.MaxOrderQty,
      message: 'order qty 11 exceeds maxOrderQty 10',
    });
    expect(checkMaxOrderQty(1_000, undefined)).toBeUndefined();
  });
});

describe('checkMaxPosition', () => {
  it('checks the absolute position after the order', () => {
    expect(checkMaxPosition(MNQ, 3, 'buy', 2, 5)).toBeUndefined();
    expect(checkMaxPosition(MNQ, 3, 'buy', 3, 5)?.reason).toBe(RiskReason.MaxPosition);
    expect(checkMaxPosition(MNQ, -3, 'sell', 2, 5)).toBeUndefined();
    expect(checkMaxPosition(MNQ, -3, 'sell', 3, 5)?.message).toContain('would be -6');
    // A buy against a short shrinks |position|: 4 short, buy 9 → 5 long.
    expect(checkMaxPosition(MNQ, -4, 'buy', 9, 5)).toBeUndefined();
  });

  it('uses the per-root cap and leaves unlisted roots uncapped', () => {
    const caps = new Map([
      ['MNQ', 20],
      ['NQ', 2],
    ]);
    expect(checkMaxPosition(MNQ, 0, 'buy', 20, caps)).toBeUndefined();
    expect(checkMaxPosition(NQ, 0, 'buy', 3, caps)?.message).toContain('maxPosition 2');
    expect(checkMaxPosition(ES, 0, 'buy', 99, caps)).toBeUndefined();
  });
});

describe('checkAllowedInstrument', () => {
  it('accepts a listed root (any month) or a listed contract key (that month)', () => {
    const allowed = new Set(['MNQ', 'ESH26']);
    expect(checkAllowedInstrument(MNQ, allowed)).toBeUndefined();
    expect(checkAllowedInstrument({ root: 'ES', month: 'H', year: 2026 }, allowed)).toBeUndefined();
    expect(checkAllowedInstrument(ES, allowed)).toEqual({
      reason: RiskReason.InstrumentNotAllowed,
      message: 'ESZ25 is not in allowedInstruments',
    });
    expect(checkAllowedInstrument(NQ, allowed)?.reason).toBe(RiskReason.InstrumentNotAllowed);
  });
});

describe('checkTradingWindow and checkFlatBy', () => {
  const windows = compileWindows([{ start: '08:30', end: '15:00' }]);
  it('blocks outside the window with the local time in the message', () => {
    expect(
      checkTradingWindow(localClock(Date.parse('2025-06-10T13:30:00Z'), CT), windows, CT),
    ).toBeUndefined();
    expect(checkTradingWindow(localClock(Date.parse('2025-06-10T20:00:00Z'), CT), windows, CT)).toEqual({
      reason: RiskReason.OutsideTradingWindow,
      message: '15:00 America/Chicago is outside every trading window',
    });
  });

  it('blocks at flat-by, not a minute before', () => {
    const flatBy = 15 * 60 + 55;
    expect(checkFlatBy(localClock(Date.parse('2025-06-10T20:54:00Z'), CT), flatBy, CT)).toBeUndefined();
    expect(checkFlatBy(localClock(Date.parse('2025-06-10T20:55:00Z'), CT), flatBy, CT)?.message).toBe(
      '15:55 America/Chicago is past flatBy 15:55 until the session opens at 17:00',
    );
  });
});

describe('checkOrderRate', () => {
  const now = 1_000_000;
  it('blocks the order after max orders in the rolling 60 s', () => {
    const four = [now - 50_000, now - 30_000, now - 10_000, now - 1];
    expect(checkOrderRate(now, four, 5)).toBeUndefined();
    expect(checkOrderRate(now, [...four, now], 5)?.message).toBe(
      '5 orders in the last 60 s; maxOrdersPerMinute 5 reached',
    );
  });

  it('forgets an order exactly 60 s old', () => {
    const five = [now - 60_000, now - 30_000, now - 20_000, now - 10_000, now - 1];
    expect(checkOrderRate(now, five, 5)).toBeUndefined();
    expect(checkOrderRate(now - 1, five, 5)?.reason).toBe(RiskReason.OrderRate);
  });
});

describe('checkDailyLoss', () => {
  it('blocks at exactly −limit and passes one mil above', () => {
    expect(checkDailyLoss(-499_999, 500_000)).toBeUndefined();
    expect(checkDailyLoss(-500_000, 500_000)).toEqual({
      reason: RiskReason.DailyLossLimit,
      message: 'session P&L -500.00 reached dailyLossLimit 500.00',
    });
    expect(checkDailyLoss(-9_999_999, undefined)).toBeUndefined();
  });
});

describe('checkTrailingDrawdown', () => {
  it('blocks when equity touches high-water − amount', () => {
    expect(checkTrailingDrawdown(48_000_001, 50_000_000, 2_000_000)).toBeUndefined();
    expect(checkTrailingDrawdown(48_000_000, 50_000_000, 2_000_000)?.reason).toBe(
      RiskReason.TrailingDrawdown,
    );
  });
});

describe('checkMaxContracts', () => {
  const positions = [
    { contract: ES, netQty: 2 },
    { contract: MNQ, netQty: -5 },
  ];
  it('sums |position| after the order across instruments', () => {
    // 2 + |-5 - 3| = 10
    expect(checkMaxContracts(positions, MNQ, 'sell', 3, 10, false, defaultInstruments)).toBeUndefined();
    expect(checkMaxContracts(positions, MNQ, 'sell', 4, 10, false, defaultInstruments)?.message).toBe(
      'open contracts after order 11 exceed maxContracts 10',
    );
    // A new instrument adds its qty: 2 + 5 + 3 = 10, 2 + 5 + 4 = 11.
    expect(checkMaxContracts(positions, NQ, 'buy', 3, 10, false, defaultInstruments)).toBeUndefined();
    expect(checkMaxContracts(positions, NQ, 'buy', 4, 10, false, defaultInstruments)?.reason).toBe(
      RiskReason.MaxContracts,
    );
  });

  it('counts a micro as a tenth when microsAsTenth, in integer tenths', () => {
    // ES 2 + MNQ 0.5 + MES 7 × 0.1 = 3.2
    expect(checkMaxContracts(positions, MES, 'buy', 7, 3, true, defaultInstruments)?.message).toBe(
      'open contracts after order 3.2 exceed maxContracts 3',
    );
    // ES 2 + MNQ 0.5 + MES 0.5 = 3 exactly
    expect(checkMaxContracts(positions, MES, 'buy', 5, 3, true, defaultInstruments)).toBeUndefined();
  });
});

describe('checkOppositePosition', () => {
  it('treats MNQ and NQ as one family across accounts of a firm', () => {
    const firm = [{ accountId: 'B', contract: NQ, netQty: -1 }];
    expect(checkOppositePosition(MNQ, 'buy', firm, defaultInstruments)).toEqual({
      reason: RiskReason.OppositePosition,
      message: 'account B is short 1 NQZ25; a buy of MNQZ25 would be opposite in family NQ',
    });
    expect(checkOppositePosition(MNQ, 'sell', firm, defaultInstruments)).toBeUndefined();
    expect(checkOppositePosition(ES, 'buy', firm, defaultInstruments)).toBeUndefined();
    expect(
      checkOppositePosition(MES, 'sell', [{ accountId: 'C', contract: ES, netQty: 3 }], defaultInstruments)
        ?.reason,
    ).toBe(RiskReason.OppositePosition);
  });

  it('ignores flat accounts and an absent firm', () => {
    expect(
      checkOppositePosition(MNQ, 'buy', [{ accountId: 'B', contract: NQ, netQty: 0 }], defaultInstruments),
    ).toBeUndefined();
    expect(checkOppositePosition(MNQ, 'buy', undefined, defaultInstruments)).toBeUndefined();
  });
});
