import { describe, expect, it } from 'vitest';
import type { Contract } from '../../src/instruments/contract.js';
import { defaultInstruments } from '../../src/instruments/registry.js';
import { AccountRiskState } from '../../src/risk/account-risk.js';
import { autoFlattenReason } from '../../src/risk/auto-flatten.js';
import type { RiskContext } from '../../src/risk/evaluate.js';
import { RiskReason } from '../../src/risk/reasons.js';
import { compileRiskRules } from '../../src/risk/rules.js';
import { nextSessionStart } from '../../src/risk/session.js';

const CT = 'America/Chicago';
const MNQ: Contract = { root: 'MNQ', month: 'Z', year: 2025 };
const at = (iso: string) => Date.parse(iso);
const START = 50_000_000; // 50,000.000 USD in mils

describe('AccountRiskState: orders and lock-out', () => {
  it('keeps only the last minute of order times', () => {
    const s = new AccountRiskState(START);
    s.recordOrder(0);
    s.recordOrder(30_000);
    s.recordOrder(60_000);
    expect(s.recentOrders).toEqual([30_000, 60_000]);
  });

  it('locks out until the given time, then onTime clears it', () => {
    const s = new AccountRiskState(START);
    const t = at('2025-06-10T19:00:00Z'); // 14:00 CDT
    const until = nextSessionStart(t, CT);
    s.lockOut(until, RiskReason.DailyLossLimit);
    expect(s.isLockedOut(until - 1)).toBe(true);
    expect(s.isLockedOut(until)).toBe(false);
    s.onTime(until - 1, CT);
    expect(s.lockOutReason).toBe(RiskReason.DailyLossLimit);
    s.onTime(until, CT);
    expect(s.lockOutReason).toBeUndefined();
  });

  it('never shortens a longer lock-out', () => {
    const s = new AccountRiskState(START);
    s.lockOut(2_000, RiskReason.TrailingDrawdown);
    s.lockOut(1_000, RiskReason.PastFlatBy);
    expect(s.lockedUntil).toBe(2_000);
    expect(s.lockOutReason).toBe(RiskReason.TrailingDrawdown);
  });
});

describe('AccountRiskState: session P&L', () => {
  it('restarts the session P&L at 17:00 local', () => {
    const s = new AccountRiskState(START);
    s.onTime(at('2025-11-04T20:00:00Z'), CT); // 14:00 CST
    expect(s.sessionPnl(-300_000, -100_000)).toBe(-400_000);
    s.onTime(at('2025-11-04T22:59:00Z'), CT); // 16:59: same session
    expect(s.sessionPnl(-300_000, 0)).toBe(-300_000);
    s.onTime(at('2025-11-04T23:00:00Z'), CT); // 17:00 CST: new day
    expect(s.session).toBe('2025-11-05');
    expect(s.sessionPnl(-300_000, 0)).toBe(0);
    expect(s.sessionPnl(-350_000, 20_000)).toBe(-30_000);
  });
});

describe('AccountRiskState: trailing drawdown high-water', () => {
  const dayOne = at('2025-06-10T15:00:00Z'); // Tue 10:00 CDT
  const dayOneClose = at('2025-06-10T21:00:00Z'); // 16:00 CDT
  const dayTwo = at('2025-06-10T22:00:00Z'); // 17:00 CDT: Wednesday's session

  it('intraday: raises the mark on every equity update, never lowers it', () => {
    const s = new AccountRiskState(START);
    s.onEquity(dayOne, START + 1_500_000, 'intraday');
    s.onEquity(dayOne + 1, START + 500_000, 'intraday');
    expect(s.highWater).toBe(START + 1_500_000);
  });

  it('end-of-day: raises the mark only at rollover, from the last equity of the day', () => {
    const rules = compileRiskRules({ trailingDrawdown: { amount: 2000, mode: 'end-of-day' } });
    const s = new AccountRiskState(START);
    s.onEquity(dayOne, START + 1_500_000, rules);
    expect(s.highWater).toBe(START);
    s.onEquity(dayOneClose, START + 800_000, rules);
    s.onEquity(dayTwo, START + 3_000_000, rules);
    expect(s.highWater).toBe(START + 800_000);
  });
});

function ctx(state: AccountRiskState, over: Partial<RiskContext> = {}): RiskContext {
  return {
    now: at('2025-06-10T15:00:00Z'),
    positionQty: 0,
    positions: [],
    sessionPnl: 0,
    equity: START,
    state,
    instruments: defaultInstruments,
    ...over,
  };
}

describe('autoFlattenReason', () => {
  const rules = compileRiskRules({
    dailyLossLimit: '1000',
    trailingDrawdown: { amount: 2000, mode: 'intraday' },
    flatBy: '15:55',
  });

  it('names the daily loss limit at exactly the limit', () => {
    const s = new AccountRiskState(START);
    expect(autoFlattenReason(rules, ctx(s, { sessionPnl: -999_999 }))).toBeUndefined();
    expect(autoFlattenReason(rules, ctx(s, { sessionPnl: -1_000_000 }))?.reason).toBe(
      RiskReason.DailyLossLimit,
    );
  });

  it('names the trailing drawdown from the intraday high-water mark', () => {
    const s = new AccountRiskState(START);
    s.onEquity(0, START + 1_000_000, 'intraday');
    expect(autoFlattenReason(rules, ctx(s, { equity: START - 999_999 }))).toBeUndefined();
    expect(autoFlattenReason(rules, ctx(s, { equity: START - 1_000_000 }))?.reason).toBe(
      RiskReason.TrailingDrawdown,
    );
  });

  it('names flat-by only while a position is open', () => {
    const s = new AccountRiskState(START);
    const late = at('2025-06-10T20:55:00Z'); // 15:55 CDT
    expect(autoFlattenReason(rules, ctx(s, { now: late }))).toBeUndefined();
    const open = [{ contract: MNQ, netQty: 2 }];
    expect(autoFlattenReason(rules, ctx(s, { now: late, positions: open }))?.reason).toBe(
      RiskReason.PastFlatBy,
    );
    expect(autoFlattenReason(rules, ctx(s, { now: late - 60_000, positions: open }))).toBeUndefined();
  });
});
