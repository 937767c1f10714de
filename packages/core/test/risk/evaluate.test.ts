import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Contract } from '../../src/instruments/contract.js';
import { defaultInstruments } from '../../src/instruments/registry.js';
import { AccountRiskState } from '../../src/risk/account-risk.js';
import { evaluateOrder, type RiskContext, type RiskOrder } from '../../src/risk/evaluate.js';
import { RiskReason } from '../../src/risk/reasons.js';
import { compileRiskRules, type RiskRulesInput } from '../../src/risk/rules.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: 2025 };
const NQ: Contract = { root: 'NQ', month: 'Z', year: 2025 };
const START = 50_000_000;
const MIDDAY = Date.parse('2025-06-10T16:00:00Z'); // Tue 11:00 CDT

function ctx(over: Partial<RiskContext> = {}): RiskContext {
  return {
    now: MIDDAY,
    positionQty: 0,
    positions: [],
    sessionPnl: 0,
    equity: START,
    state: new AccountRiskState(START),
    instruments: defaultInstruments,
    ...over,
  };
}
const buy = (qty: number, contract = MNQ): RiskOrder => ({ contract, qty, side: 'buy', reducing: false });

/** Every rule on and every one breached at once: only the order of checks decides the reason. */
const strict: RiskRulesInput = {
  maxOrderQty: 1,
  maxPosition: 1,
  dailyLossLimit: 100,
  allowedInstruments: ['ES'],
  tradingWindows: [{ start: '08:30', end: '09:00' }],
  flatBy: '10:00',
  maxOrdersPerMinute: 1,
  trailingDrawdown: { amount: 100, mode: 'intraday' },
  maxContracts: 1,
};

describe('evaluateOrder', () => {
  it('passes an entry inside every limit', () => {
    const rules = compileRiskRules({ maxOrderQty: 5, maxPosition: 5, dailyLossLimit: 1000 });
    expect(evaluateOrder(rules, ctx(), buy(5))).toEqual({ ok: true });
    expect(evaluateOrder(rules, ctx(), buy(6))).toEqual({
      ok: false,
      reason: RiskReason.MaxOrderQty,
      message: 'order qty 6 exceeds maxOrderQty 5',
    });
  });

  it('runs the checks in the documented order, first block wins', () => {
    const state = new AccountRiskState(START);
    state.recordOrder(MIDDAY - 1);
    const breached = ctx({
      state,
      sessionPnl: -100_000,
      equity: START - 100_000,
      positionQty: 1,
      positions: [{ contract: MNQ, netQty: 1 }],
      firmPositions: [{ accountId: 'B', contract: NQ, netQty: -1 }],
    });
    const reasons: string[] = [];
    // Relax the winning rule each round to reveal the next one.
    const relaxed: Record<string, unknown> = { ...strict };
    const relax = [
      'lock',
      'dailyLossLimit',
      'trailingDrawdown',
      'allowedInstruments',
      'tradingWindows',
      'flatBy',
      'maxOrderQty',
      'maxPosition',
      'maxContracts',
      'firm',
      'maxOrdersPerMinute',
    ] as const;
    state.lockOut(MIDDAY + 1, RiskReason.DailyLossLimit);
    let c: RiskContext = breached;
    for (const key of relax) {
      const d = evaluateOrder(compileRiskRules(relaxed as RiskRulesInput), c, buy(2));
      reasons.push(d.ok ? 'ok' : d.reason);
      if (key === 'lock') c = { ...c, now: MIDDAY + 1 };
      else if (key === 'firm') c = { ...c, firmPositions: [] };
      else delete relaxed[key];
    }
    reasons.push(evaluateOrder(compileRiskRules(relaxed as RiskRulesInput), c, buy(2)).ok ? 'ok' : 'blocked');
    expect(reasons).toEqual([
      RiskReason.LockedOut,
      RiskReason.DailyLossLimit,
      RiskReason.TrailingDrawdown,
      RiskReason.InstrumentNotAllowed,
      RiskReason.OutsideTradingWindow,
      RiskReason.PastFlatBy,
      RiskReason.MaxOrderQty,
      RiskReason.MaxPosition,
      RiskReason.MaxContracts,
      RiskReason.OppositePosition,
      RiskReason.OrderRate,
      'ok',
    ]);
  });

  it('lets a reducing order out even when locked out and over every limit', () => {
    const rules = compileRiskRules(strict);
    const state = new AccountRiskState(START);
    state.lockOut(Number.POSITIVE_INFINITY, RiskReason.TrailingDrawdown);
    const order: RiskOrder = { contract: MNQ, qty: 9, side: 'sell', reducing: true };
    const c = ctx({ state, positionQty: 9, sessionPnl: -9_000_000, equity: 0 });
    expect(evaluateOrder(rules, c, order)).toEqual({ ok: true });
    expect(evaluateOrder(rules, c, { ...order, reducing: false })).toMatchObject({
      ok: false,
      reason: RiskReason.LockedOut,
      message: 'account locked out (TRAILING_DRAWDOWN) until further notice',
    });
  });

  it('blocks an MNQ buy while another account of the firm is short NQ', () => {
    const rules = compileRiskRules({});
    const firmPositions = [{ accountId: 'eval-2', contract: NQ, netQty: -2 }];
    expect(evaluateOrder(rules, ctx({ firmPositions }), buy(1))).toMatchObject({
      ok: false,
      reason: RiskReason.OppositePosition,
    });
    expect(evaluateOrder(rules, ctx({ firmPositions }), { ...buy(1), side: 'sell' })).toEqual({ ok: true });
  });

  it('leaves a resting order to fill before the firm rule judges it', () => {
    const rules = compileRiskRules({ maxPosition: 1 });
    const firmPositions = [{ accountId: 'eval-2', contract: NQ, netQty: -2 }];
    expect(evaluateOrder(rules, ctx({ firmPositions }), { ...buy(1), resting: true })).toEqual({ ok: true });
    // The account's own limits still hold for it.
    expect(evaluateOrder(rules, ctx({ firmPositions }), { ...buy(2), resting: true })).toMatchObject({
      ok: false,
      reason: RiskReason.MaxPosition,
    });
  });

  it('accepts a raw config and compiles it once', () => {
    const config: RiskRulesInput = { maxOrderQty: 2 };
    expect(evaluateOrder(config, ctx(), buy(3))).toMatchObject({ ok: false, reason: RiskReason.MaxOrderQty });
    expect(evaluateOrder(config, ctx(), buy(2))).toEqual({ ok: true });
  });

  it('refuses a non-positive money limit and an unknown zone at compile time', () => {
    expect(() => compileRiskRules({ dailyLossLimit: '-500' })).toThrow(/dailyLossLimit: must be more than 0/);
    expect(() => compileRiskRules({ timezone: 'Mars/Olympus' })).toThrow(/unknown time zone/);
  });
});

describe('evaluateOrder properties', () => {
  const anyRules: fc.Arbitrary<RiskRulesInput> = fc.record(
    {
      maxOrderQty: fc.integer({ min: 1, max: 10 }),
      maxPosition: fc.integer({ min: 1, max: 10 }),
      dailyLossLimit: fc.integer({ min: 1, max: 5000 }),
      allowedInstruments: fc.constantFrom<string[]>(['ES'], ['MNQ'], []),
      tradingWindows: fc.constant<{ start: string; end: string }[]>([{ start: '08:30', end: '09:00' }]),
      flatBy: fc.constantFrom('03:00', '15:55'),
      maxOrdersPerMinute: fc.integer({ min: 1, max: 3 }),
      trailingDrawdown: fc.record({
        amount: fc.integer({ min: 1, max: 5000 }),
        mode: fc.constant('intraday' as const),
      }),
      maxContracts: fc.integer({ min: 1, max: 10 }),
    },
    { requiredKeys: [] },
  );
  const anyContext = fc.record({
    now: fc.integer({ min: Date.parse('2025-01-01'), max: Date.parse('2026-01-01') }),
    positionQty: fc.integer({ min: -20, max: 20 }),
    sessionPnl: fc.integer({ min: -10_000_000, max: 10_000_000 }),
    equity: fc.integer({ min: 0, max: 100_000_000 }),
    locked: fc.boolean(),
    firmShort: fc.integer({ min: -5, max: 5 }),
  });

  it('never blocks a reducing order, whatever the rules and state', () => {
    fc.assert(
      fc.property(anyRules, anyContext, fc.integer({ min: 1, max: 50 }), (rules, c, qty) => {
        const state = new AccountRiskState(START);
        if (c.locked) state.lockOut(c.now + 1, RiskReason.DailyLossLimit);
        const order: RiskOrder = {
          contract: MNQ,
          qty,
          side: c.positionQty > 0 ? 'sell' : 'buy',
          reducing: true,
        };
        const context = ctx({
          ...c,
          state,
          positions: [{ contract: MNQ, netQty: c.positionQty }],
          firmPositions: [{ accountId: 'B', contract: NQ, netQty: c.firmShort }],
        });
        expect(evaluateOrder(rules, context, order)).toEqual({ ok: true });
      }),
    );
  });

  it('blocks an entry only with a reason and a message that names a number', () => {
    fc.assert(
      fc.property(anyRules, anyContext, fc.integer({ min: 1, max: 50 }), (rules, c, qty) => {
        const state = new AccountRiskState(START);
        const d = evaluateOrder(rules, ctx({ ...c, state }), buy(qty));
        if (!d.ok) {
          expect(Object.values(RiskReason)).toContain(d.reason);
          expect(d.message).toMatch(/\d/);
        }
      }),
    );
  });

  it('passes any entry when no rule is configured', () => {
    fc.assert(
      fc.property(anyContext, fc.integer({ min: 1, max: 1000 }), (c, qty) => {
        expect(
          evaluateOrder(compileRiskRules({}), ctx({ ...c, state: new AccountRiskState(START) }), buy(qty)),
        ).toEqual({
          ok: true,
        });
      }),
    );
  });
});
