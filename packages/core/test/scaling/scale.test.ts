import { describe, expect, it } from 'vitest';
import type { ScalingConfig } from '../../src/config/schema.js';
import { TradeNovaError } from '../../src/errors.js';
import { RiskReason } from '../../src/risk/reasons.js';
import type { ScaleInput } from '../../src/scaling/index.js';
import { scaleEntryQty } from '../../src/scaling/index.js';

const MNQ_TICK = 500;
const ES_TICK = 12_500;

/** A follower sized 1:1 on MNQ with 50k equity; tests override what they exercise. */
function input(scaling: ScalingConfig, over: Partial<ScaleInput> = {}): ScaleInput {
  return {
    leaderQty: 1,
    scaling,
    ratio: 1,
    rounding: 'round',
    whenZero: 'skip',
    followerEquity: 50_000_000,
    tickValue: MNQ_TICK,
    ...over,
  };
}

describe('scaleEntryQty: fixed', () => {
  it('gives the configured qty whatever the leader size and symbol ratio', () => {
    expect(scaleEntryQty(input({ mode: 'fixed', qty: 3 }, { leaderQty: 7, ratio: 10 }))).toEqual({
      ok: true,
      qty: 3,
    });
  });
});

describe('scaleEntryQty: multiplier', () => {
  it('multiplies leader qty by factor and symbol ratio', () => {
    const result = scaleEntryQty(input({ mode: 'multiplier', factor: 1 }, { leaderQty: 2, ratio: 10 }));
    expect(result).toEqual({ ok: true, qty: 20 });
  });

  it('does not let float drift push a ceil up a contract', () => {
    const result = scaleEntryQty(
      input({ mode: 'multiplier', factor: 0.07 }, { leaderQty: 100, rounding: 'ceil' }),
    );
    expect(result).toEqual({ ok: true, qty: 7 });
  });

  it('applies the rounding policy to a fractional size', () => {
    const scaling: ScalingConfig = { mode: 'multiplier', factor: 0.5 };
    expect(scaleEntryQty(input(scaling, { leaderQty: 3, rounding: 'floor' }))).toEqual({ ok: true, qty: 1 });
    expect(scaleEntryQty(input(scaling, { leaderQty: 3, rounding: 'round' }))).toEqual({ ok: true, qty: 2 });
    expect(scaleEntryQty(input(scaling, { leaderQty: 3, rounding: 'ceil' }))).toEqual({ ok: true, qty: 2 });
  });
});

describe('scaleEntryQty: equity', () => {
  it('scales by follower equity over leader equity: 3 × 25k/50k = 1.5 rounds to 2', () => {
    const scaling: ScalingConfig = { mode: 'equity', leaderEquity: 50_000 };
    expect(scaleEntryQty(input(scaling, { leaderQty: 3, followerEquity: 25_000_000 }))).toEqual({
      ok: true,
      qty: 2,
    });
    expect(
      scaleEntryQty(input(scaling, { leaderQty: 3, followerEquity: 25_000_000, rounding: 'floor' })),
    ).toEqual({ ok: true, qty: 1 });
  });

  it('lets the configured follower equity override the balance', () => {
    const scaling: ScalingConfig = { mode: 'equity', leaderEquity: '50000', followerEquity: '100000.000' };
    expect(scaleEntryQty(input(scaling, { leaderQty: 3, followerEquity: 25_000_000 }))).toEqual({
      ok: true,
      qty: 6,
    });
  });

  it('applies the symbol ratio', () => {
    const scaling: ScalingConfig = { mode: 'equity', leaderEquity: 50_000 };
    expect(scaleEntryQty(input(scaling, { leaderQty: 1, ratio: 10, followerEquity: 25_000_000 }))).toEqual({
      ok: true,
      qty: 5,
    });
  });

  it('treats a negative balance as a zero size', () => {
    const scaling: ScalingConfig = { mode: 'equity', leaderEquity: 50_000 };
    const result = scaleEntryQty(input(scaling, { leaderQty: 3, followerEquity: -1_000_000 }));
    expect(result).toMatchObject({ ok: false, reason: RiskReason.ScaledToZero });
  });

  it('rejects a leader equity of 0 as a config error', () => {
    expect(() => scaleEntryQty(input({ mode: 'equity', leaderEquity: 0 }))).toThrow(TradeNovaError);
  });
});

describe('scaleEntryQty: risk', () => {
  it('sizes 200 USD over a 20-tick MNQ stop as 20 contracts', () => {
    const result = scaleEntryQty(input({ mode: 'risk', amount: 200 }, { stopDistanceTicks: 20 }));
    expect(result).toEqual({ ok: true, qty: 20 });
  });

  it('ignores the symbol ratio and leader size: stop and tick value are already the follower instrument', () => {
    const result = scaleEntryQty(
      input({ mode: 'risk', amount: 200 }, { stopDistanceTicks: 20, ratio: 10, leaderQty: 4 }),
    );
    expect(result).toEqual({ ok: true, qty: 20 });
  });

  it('sizes 200 USD over a 20-tick ES stop as 0.8 contracts, rounded', () => {
    const es = { stopDistanceTicks: 20, tickValue: ES_TICK };
    expect(scaleEntryQty(input({ mode: 'risk', amount: 200 }, es))).toEqual({ ok: true, qty: 1 });
    expect(scaleEntryQty(input({ mode: 'risk', amount: 200 }, { ...es, rounding: 'floor' }))).toMatchObject({
      ok: false,
      reason: RiskReason.ScaledToZero,
    });
    expect(
      scaleEntryQty(input({ mode: 'risk', amount: 200 }, { ...es, rounding: 'floor', whenZero: 'min1' })),
    ).toEqual({ ok: true, qty: 1 });
  });

  it('sizes a percent of equity: 1% of 50k over a 20-tick ES stop is 2 contracts', () => {
    const result = scaleEntryQty(
      input(
        { mode: 'risk', percent: 1 },
        { stopDistanceTicks: 20, tickValue: ES_TICK, followerEquity: 50_000_000 },
      ),
    );
    expect(result).toEqual({ ok: true, qty: 2 });
  });

  it('falls back to defaultStopTicks when the leader order has no usable stop', () => {
    const scaling: ScalingConfig = { mode: 'risk', amount: 200, defaultStopTicks: 40 };
    expect(scaleEntryQty(input(scaling))).toEqual({ ok: true, qty: 10 });
    expect(scaleEntryQty(input(scaling, { stopDistanceTicks: 0 }))).toEqual({ ok: true, qty: 10 });
    expect(scaleEntryQty(input(scaling, { stopDistanceTicks: 20 }))).toEqual({ ok: true, qty: 20 });
  });

  it('skips with NO_STOP_FOR_RISK_SIZING when there is no stop at all', () => {
    const result = scaleEntryQty(input({ mode: 'risk', amount: 200 }));
    expect(result).toMatchObject({ ok: false, reason: RiskReason.NoStopForRiskSizing });
    expect(scaleEntryQty(input({ mode: 'risk', amount: 200 }, { stopDistanceTicks: -5 }))).toMatchObject({
      ok: false,
      reason: RiskReason.NoStopForRiskSizing,
    });
  });
});

describe('scaleEntryQty: zero, minQty and maxQty', () => {
  const small: ScalingConfig = { mode: 'multiplier', factor: 0.1 };

  it('skips a zero size with SCALED_TO_ZERO and a message, or takes 1 contract with min1', () => {
    const skipped = scaleEntryQty(input(small, { leaderQty: 2 }));
    expect(skipped).toMatchObject({ ok: false, reason: RiskReason.ScaledToZero });
    expect(skipped.ok ? '' : skipped.message).toContain('multiplier');
    expect(scaleEntryQty(input(small, { leaderQty: 2, whenZero: 'min1' }))).toEqual({ ok: true, qty: 1 });
  });

  it('skips a zero size even when minQty is set: whenZero decides first', () => {
    expect(scaleEntryQty(input(small, { leaderQty: 2, minQty: 3 }))).toMatchObject({ ok: false });
    expect(scaleEntryQty(input(small, { leaderQty: 2, minQty: 3, whenZero: 'min1' }))).toEqual({
      ok: true,
      qty: 3,
    });
  });

  it('raises to minQty and caps at maxQty', () => {
    const scaling: ScalingConfig = { mode: 'multiplier', factor: 1 };
    expect(scaleEntryQty(input(scaling, { leaderQty: 2, minQty: 5 }))).toEqual({ ok: true, qty: 5 });
    expect(scaleEntryQty(input(scaling, { leaderQty: 20, maxQty: 3 }))).toEqual({ ok: true, qty: 3 });
  });

  it('lets maxQty win over a larger minQty', () => {
    const scaling: ScalingConfig = { mode: 'multiplier', factor: 1 };
    expect(scaleEntryQty(input(scaling, { leaderQty: 1, minQty: 5, maxQty: 3 }))).toEqual({
      ok: true,
      qty: 3,
    });
  });
});
