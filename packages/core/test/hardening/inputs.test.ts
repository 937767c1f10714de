import { describe, expect, it } from 'vitest';
import { SignalError } from '../../src/errors.js';
import { defaultInstruments } from '../../src/instruments/registry.js';
import { DEFAULT_MAX_SIGNAL_QTY, MAX_TIME_MS, parseSignal } from '../../src/model/parse-signal.js';
import { parseReplay } from '../../src/replay/records.js';
import { AccountRiskState } from '../../src/risk/account-risk.js';
import { evaluateOrder } from '../../src/risk/evaluate.js';
import { RiskReason } from '../../src/risk/reasons.js';
import { compileRiskRules, DEFAULT_MAX_ORDER_QTY } from '../../src/risk/rules.js';
import { formatContracts, scaleEntryQty } from '../../src/scaling/scale.js';

const entry = {
  signalId: 's1',
  action: 'new',
  leaderOrderId: 'o1',
  instrument: 'NQZ5',
  side: 'buy',
  orderType: 'market',
};

describe('replay records a hostile file cannot crash on', () => {
  it('refuses a numeric time past what a Date holds, naming the line', () => {
    const text = `{"type":"quote","time":${MAX_TIME_MS + 1},"instrument":"NQZ5","bid":"1","ask":"2"}\n{"type":"quote","time":9e20,"instrument":"NQZ5","bid":"1","ask":"2"}\n`;
    const { records, errors } = parseReplay(text, 'jsonl');
    expect(records).toEqual([]);
    expect(errors).toEqual([
      expect.objectContaining({
        line: 1,
        field: 'time',
        message: expect.stringMatching(/latest time a Date/),
      }),
      expect.objectContaining({ line: 2, field: 'time' }),
    ]);
    expect(() => parseSignal({ ...entry, qty: 1, time: 9e20 }, { leaderAccount: 'L', now: 0 })).toThrow(
      SignalError,
    );
  });

  it('refuses a quote with bid above ask, and absurd prices', () => {
    const text = [
      '{"type":"quote","time":1,"instrument":"NQZ5","bid":"21001","ask":"21000"}',
      '{"type":"quote","time":1,"instrument":"NQZ5","bid":"8600000000000000","ask":"8600000000000001"}',
      '{"type":"trade","time":1,"instrument":"NQZ5","price":1e21}',
      '{"type":"quote","time":1,"instrument":"NQZ5","bid":"21000","ask":"21000.25"}',
    ].join('\n');
    const { records, errors } = parseReplay(text, 'jsonl');
    expect(records).toHaveLength(1);
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [1, 'bid'],
      [2, 'bid'],
      [3, 'price'],
    ]);
    expect(errors[0]?.message).toBe('bid 21001 is above ask 21000');
    expect(errors[1]?.message).toMatch(/not a sane price/);
    expect(() =>
      parseSignal(
        { ...entry, qty: 1, orderType: 'limit', limitPrice: '8600000000000000' },
        { leaderAccount: 'L', now: 0 },
      ),
    ).toThrow(/limitPrice: a price within/);
  });

  it('refuses a leader signal over the sanity cap, with a reason', () => {
    const defaults = { leaderAccount: 'L', now: 0 };
    expect((parseSignal({ ...entry, qty: DEFAULT_MAX_SIGNAL_QTY }, defaults) as { qty?: number }).qty).toBe(
      DEFAULT_MAX_SIGNAL_QTY,
    );
    expect(() => parseSignal({ ...entry, qty: DEFAULT_MAX_SIGNAL_QTY + 1 }, defaults)).toThrow(
      `qty: ${DEFAULT_MAX_SIGNAL_QTY + 1} contracts is over the sanity cap of ${DEFAULT_MAX_SIGNAL_QTY}`,
    );
    expect(() => parseSignal({ ...entry, qty: 51 }, { ...defaults, maxQty: 50 })).toThrow(/sanity cap of 50/);
    const { errors } = parseReplay(`${JSON.stringify({ ...entry, qty: 1.7e12, time: 1 })}\n`, 'jsonl');
    expect(errors[0]).toMatchObject({ line: 1, field: 'qty' });
  });
});

describe('the fat-finger cap', () => {
  const ctx = {
    now: 0,
    positionQty: 0,
    positions: [],
    sessionPnl: 0,
    equity: 50_000_000,
    state: new AccountRiskState(50_000_000),
    instruments: defaultInstruments,
  };
  const order = (qty: number) => ({
    contract: { root: 'MNQ', month: 'Z', year: 2025 } as const,
    qty,
    side: 'buy' as const,
    reducing: false,
  });

  it('blocks any order over the documented default when maxOrderQty is not set', () => {
    const rules = compileRiskRules({});
    expect(rules.maxOrderQty).toBe(DEFAULT_MAX_ORDER_QTY);
    expect(evaluateOrder(rules, ctx, order(DEFAULT_MAX_ORDER_QTY))).toEqual({ ok: true });
    expect(evaluateOrder(rules, ctx, order(1.7e12))).toEqual({
      ok: false,
      reason: RiskReason.MaxOrderQty,
      message: `order qty 1700000000000 exceeds maxOrderQty ${DEFAULT_MAX_ORDER_QTY}`,
    });
    expect(evaluateOrder(compileRiskRules({ maxOrderQty: 5000 }), ctx, order(4000))).toEqual({ ok: true });
  });
});

describe('messages', () => {
  it('print computed contract counts without float noise', () => {
    expect(formatContracts(3.0000000000000004e-9)).toBe('3e-9');
    expect(formatContracts(0.30000000000000004)).toBe('0.3');
    expect(formatContracts(7)).toBe('7');
    const skip = scaleEntryQty({
      leaderQty: 1,
      scaling: { mode: 'multiplier', factor: 0.1 },
      ratio: 3,
      rounding: 'floor',
      whenZero: 'skip',
      followerEquity: 0,
      tickValue: 500,
    });
    expect(skip).toMatchObject({
      ok: false,
      message: 'multiplier scaling of 1 gives 0.3 contracts, 0 after floor',
    });
  });
});

describe('fuzz regressions', () => {
  it('a CSV replay with a stray quote is a located SignalError, not a crash', () => {
    expect(() => parseReplay('instrument,qty\n"{"x,1\n', 'csv')).toThrow(SignalError);
    expect(() => parseReplay('instrument,qty\n"{"x,1\n', 'csv')).toThrow(
      /line 2: \(line\): not valid CSV: Invalid Closing Quote/,
    );
  });
});
