import type { FollowerConfig, ScalingConfig } from '../config/schema.js';
import { ErrorCode, TradeNovaError } from '../errors.js';
import type { Money } from '../money/money.js';
import { parseMoney } from '../money/money.js';
import { RiskReason } from '../risk/reasons.js';
import type { RoundingPolicy } from './round.js';
import { applyRounding } from './round.js';

/** What to do when scaling gives 0 contracts. */
export type WhenZero = FollowerConfig['whenZero'];

/** Everything needed to size one follower entry. */
export interface ScaleInput {
  /** Leader order size in leader contracts (positive integer). */
  leaderQty: number;
  /** The follower's scaling mode. */
  scaling: ScalingConfig;
  /** Follower contracts per leader contract, from `mapSymbol`. */
  ratio: number;
  /** How a fractional size becomes whole. */
  rounding: RoundingPolicy;
  /** What to do when the size rounds to 0. */
  whenZero: WhenZero;
  /** Lower bound after rounding; `maxQty` wins when both apply. */
  minQty?: number;
  /** Upper bound: an entry never exceeds it. */
  maxQty?: number;
  /** Follower equity in mils (its balance); equity mode's `followerEquity` overrides it. */
  followerEquity: Money;
  /** Distance of the leader's stop-loss from the entry, in the follower instrument's ticks. */
  stopDistanceTicks?: number;
  /** Follower instrument tick value in mils. */
  tickValue: Money;
}

/** Why a follower entry was not sized. */
export interface ScaleSkip {
  ok: false;
  /** Stable reason for reports. */
  reason: RiskReason;
  /** Human-readable detail with the numbers involved. */
  message: string;
}

/** A sized entry in follower contracts, or why there is none. */
export type ScaleResult = { ok: true; qty: number } | ScaleSkip;

/** Sizes one follower entry: scaling mode, then rounding, then whenZero, then clamping to [minQty, maxQty]. */
export function scaleEntryQty(input: ScaleInput): ScaleResult {
  const raw = rawQty(input);
  if (typeof raw !== 'number') return raw;
  let qty = applyRounding(raw, input.rounding);
  if (qty <= 0) {
    if (input.whenZero === 'skip') {
      return {
        ok: false,
        reason: RiskReason.ScaledToZero,
        message: `${input.scaling.mode} scaling of ${input.leaderQty} gives ${formatContracts(raw)} contracts, 0 after ${input.rounding}`,
      };
    }
    qty = 1;
  }
  if (input.minQty !== undefined) qty = Math.max(qty, input.minQty);
  // Applied last so a minQty above maxQty can never push an entry past the cap.
  if (input.maxQty !== undefined) qty = Math.min(qty, input.maxQty);
  return { ok: true, qty };
}

/**
 * A computed contract count for a message: at most 6 significant digits, so binary float
 * noise (3.0000000000000004e-9) prints as 3e-9 and 0.30000000000000004 as 0.3.
 */
export function formatContracts(qty: number): string {
  return Number.isInteger(qty) ? String(qty) : String(Number(qty.toPrecision(6)));
}

/** The unrounded size in follower contracts for the scaling mode. */
function rawQty(input: ScaleInput): number | ScaleSkip {
  const { scaling, leaderQty, ratio } = input;
  switch (scaling.mode) {
    case 'fixed':
      // The trader named the follower's size exactly, so the symbol ratio does not apply.
      return scaling.qty;
    case 'multiplier':
      return leaderQty * scaling.factor * ratio;
    case 'equity': {
      const leaderEquity = parseMoney(scaling.leaderEquity, 'scaling.leaderEquity');
      if (leaderEquity <= 0) {
        throw new TradeNovaError(ErrorCode.ConfigInvalid, 'scaling.leaderEquity: must be above 0');
      }
      const followerEquity =
        scaling.followerEquity === undefined
          ? input.followerEquity
          : parseMoney(scaling.followerEquity, 'scaling.followerEquity');
      // Mils are integers: multiply first and divide once, so the only float error is one division.
      return (leaderQty * followerEquity * ratio) / leaderEquity;
    }
    case 'risk':
      return riskQty(input, scaling);
  }
}

/** Risk sizing: risk amount ÷ (stop ticks × tick value). Already in follower contracts, so no ratio. */
function riskQty(input: ScaleInput, scaling: Extract<ScalingConfig, { mode: 'risk' }>): number | ScaleSkip {
  const stopTicks = usableStop(input.stopDistanceTicks) ?? usableStop(scaling.defaultStopTicks);
  if (stopTicks === undefined) {
    return {
      ok: false,
      reason: RiskReason.NoStopForRiskSizing,
      message: 'risk scaling needs a stop-loss on the leader order or scaling.defaultStopTicks',
    };
  }
  if (!(input.tickValue > 0)) throw new RangeError(`tick value must be above 0, got ${input.tickValue}`);
  const perContract = stopTicks * input.tickValue;
  if (scaling.amount !== undefined) return parseMoney(scaling.amount, 'scaling.amount') / perContract;
  // The schema guarantees percent when amount is absent; 100 moves into the divisor to keep one division.
  const percent = scaling.percent ?? 0;
  return (input.followerEquity * percent) / (100 * perContract);
}

/** A stop distance risk sizing can divide by; 0 or negative would mean an unbounded size. */
function usableStop(ticks: number | undefined): number | undefined {
  return ticks !== undefined && Number.isFinite(ticks) && ticks > 0 ? ticks : undefined;
}
