import type { FollowerConfig } from '../config/schema.js';
import type { Side } from '../model/common.js';
import { sideOf } from '../model/common.js';
import type { RiskReason } from '../risk/reasons.js';
import type { RoundingPolicy } from './round.js';
import { applyRounding } from './round.js';
import type { ScaleResult } from './scale.js';

/** How a leader reversal is copied: close then open (two orders), or one net order. */
export type ReversalMode = FollowerConfig['reversal'];

/** What a leader order does to the leader's position. */
export type LeaderMove = 'entry' | 'reduction' | 'reversal';

/** Everything needed to plan one follower's orders for one leader order. */
export interface PlanInput {
  /** Leader signed net position before the order, in leader contracts. */
  leaderBefore: number;
  /** Signed qty of the leader order (positive: buy), never 0. */
  leaderDelta: number;
  /** Follower signed net position in its own instrument. */
  followerPosition: number;
  /** Copy the opposite side of every leader order. */
  inverse: boolean;
  /** How a reversal is copied. */
  reversal: ReversalMode;
  /** Rounding of the follower's share on a reduction. */
  rounding: RoundingPolicy;
  /** Sizes an entry of `leaderQty` leader contracts in follower contracts (usually `scaleEntryQty` bound to the follower). */
  scaleEntry: (leaderQty: number) => ScaleResult;
}

/** One follower order: `entry` adds or nets, `close` only reduces, `open` starts the new side of a split reversal. */
export interface PlannedLeg {
  /** Role of the order; part of the OrderIntent id, so stable. */
  leg: 'entry' | 'close' | 'open';
  /** Order side. */
  side: Side;
  /** Positive integer follower contracts. */
  qty: number;
  /** True when the order can only move the position toward 0 (reduce-only at brokers that support it). */
  reducing: boolean;
}

/** Why a follower got fewer legs than the leader order asked for. */
export interface PlanSkip {
  /** Stable reason, from the entry sizing. */
  reason: RiskReason;
  /** Human-readable detail. */
  message: string;
}

/** The follower orders to place, in order, and the reason when an entry was not sized. */
export interface FollowerOrderPlan {
  /** Orders to place, in this order; may be empty. */
  legs: PlannedLeg[];
  /** Present when an entry (or the opening part of a reversal) was skipped. */
  skipped?: PlanSkip;
}

/** Leader position after an order. */
export function leaderAfter(leaderBefore: number, leaderDelta: number): number {
  return leaderBefore + leaderDelta;
}

/** Classifies a leader order by what it does to the leader's position. */
export function classifyLeaderMove(leaderBefore: number, leaderDelta: number): LeaderMove {
  const after = leaderAfter(leaderBefore, leaderDelta);
  if (leaderBefore === 0 || Math.sign(after) === Math.sign(leaderBefore)) {
    return Math.abs(after) > Math.abs(leaderBefore) ? 'entry' : 'reduction';
  }
  return after === 0 ? 'reduction' : 'reversal';
}

/**
 * The follower position a reduction aims at: its share of what the leader keeps, rounded.
 * Exactly 0 when the leader goes flat, so rounding can never leave a follower holding a stray contract.
 */
export function reductionTarget(
  followerPosition: number,
  leaderBefore: number,
  leaderAfterOrder: number,
  rounding: RoundingPolicy,
): number {
  if (leaderAfterOrder === 0 || followerPosition === 0) return 0;
  // |F|·|P'| is an exact integer product, so the one division is the only float error.
  const share = (Math.abs(followerPosition) * Math.abs(leaderAfterOrder)) / Math.abs(leaderBefore);
  // Capped at |F| so no rounding policy can make an exit grow the position.
  return Math.sign(followerPosition) * Math.min(Math.abs(followerPosition), applyRounding(share, rounding));
}

/** Signed position change of a leg (positive: buy). */
export function legDelta(leg: PlannedLeg): number {
  return leg.side === 'buy' ? leg.qty : -leg.qty;
}

/**
 * Plans one follower's orders for one leader order. Exits follow the position, not the order:
 * rounding and caps size entries only, and a reduction moves the follower toward its share of
 * what the leader keeps, so a flat leader means a flat follower.
 */
export function planFollowerOrder(input: PlanInput): FollowerOrderPlan {
  assertInteger('leaderBefore', input.leaderBefore);
  assertInteger('leaderDelta', input.leaderDelta);
  assertInteger('followerPosition', input.followerPosition);
  if (input.leaderDelta === 0) return { legs: [] };
  // Inverse copies mirror the leader, so plan as if the leader had traded the other way.
  const before = input.inverse ? -input.leaderBefore : input.leaderBefore;
  const delta = input.inverse ? -input.leaderDelta : input.leaderDelta;
  const after = leaderAfter(before, delta);
  const follower = input.followerPosition;
  switch (classifyLeaderMove(before, delta)) {
    case 'entry':
      return planEntry(delta, input.scaleEntry);
    case 'reduction':
      return { legs: planReduction(follower, before, after, input.rounding) };
    case 'reversal':
      return planReversal(follower, before, delta, after, input);
  }
}

/** One entry leg on the leader's side, sized by the follower's scaling. */
function planEntry(delta: number, scaleEntry: PlanInput['scaleEntry']): FollowerOrderPlan {
  const scaled = scaleEntry(Math.abs(delta));
  if (!scaled.ok) return { legs: [], skipped: { reason: scaled.reason, message: scaled.message } };
  return { legs: [{ leg: 'entry', side: sideOf(delta), qty: scaled.qty, reducing: false }] };
}

/** A close toward the follower's share of what the leader keeps. */
function planReduction(
  follower: number,
  before: number,
  after: number,
  rounding: RoundingPolicy,
): PlannedLeg[] {
  // A follower on the other side of a partial reduction has nothing of this position to give back;
  // when the leader goes flat, though, every follower goes flat, whatever side drift left it on.
  if (follower === 0 || (after !== 0 && Math.sign(follower) !== Math.sign(before))) return [];
  const target = reductionTarget(follower, before, after, rounding);
  return closeLegs(follower, target);
}

/** A reduce-only leg from `follower` to `target` (same side or 0); none when already there. */
function closeLegs(follower: number, target: number): PlannedLeg[] {
  const qty = Math.abs(follower - target);
  return qty === 0 ? [] : [{ leg: 'close', side: sideOf(target - follower), qty, reducing: true }];
}

/** Close the old side, then open the new side: as two legs ('split') or one ('net'). */
function planReversal(
  follower: number,
  before: number,
  delta: number,
  after: number,
  input: PlanInput,
): FollowerOrderPlan {
  // Only a follower holding the leader's old side has something to close.
  const closing = follower !== 0 && Math.sign(follower) === Math.sign(before) ? follower : 0;
  const close = closeLegs(closing, 0);
  const scaled = input.scaleEntry(Math.abs(after));
  if (!scaled.ok) {
    // The leader has left its old side; the follower still leaves it even when the new side cannot be sized.
    return { legs: close, skipped: { reason: scaled.reason, message: scaled.message } };
  }
  const side = sideOf(delta);
  if (input.reversal === 'net') {
    return { legs: [{ leg: 'entry', side, qty: Math.abs(closing) + scaled.qty, reducing: false }] };
  }
  return { legs: [...close, { leg: 'open', side, qty: scaled.qty, reducing: false }] };
}

/** Positions and order sizes are whole contracts; a fraction here is a bug upstream. */
function assertInteger(field: string, value: number): void {
  if (!Number.isSafeInteger(value))
    throw new RangeError(`${field} must be a whole number of contracts, got ${value}`);
}
