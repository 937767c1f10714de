/** The pre-trade gate: every risk rule for one follower order, in a fixed order. */
import type { Contract } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import type { Side } from '../model/common.js';
import type { Money } from '../money/money.js';
import type { AccountRiskState } from './account-risk.js';
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
  type FirmPosition,
  type NetPosition,
  type RiskBlock,
} from './checks.js';
import { RiskReason } from './reasons.js';
import {
  type CompiledRiskRules,
  compileRiskRules,
  isCompiledRiskRules,
  type RiskRulesInput,
} from './rules.js';
import { localClock } from './session.js';

/** The order being checked. */
export interface RiskOrder {
  contract: Contract;
  qty: number;
  side: Side;
  /** True when the order only reduces the position: such an order is never blocked here. */
  reducing: boolean;
  /**
   * True for an order that rests until the market reaches it (limit, stop). The firm's
   * opposite-position rule does not judge it: it is no position until it fills, and the
   * accounts of a firm copying one leader order fill together, so judging it against
   * where the other accounts stand now blocks followers that are merely a step apart.
   */
  resting?: boolean;
}

/** What the checks need to know about the account at the moment of the order. */
export interface RiskContext {
  /** Time of the check (ms), from the engine's clock. */
  now: number;
  /** Signed net position in the order's contract before the order. */
  positionQty: number;
  /** Every open position of the account. */
  positions: readonly NetPosition[];
  /** Realized + unrealized P&L of the current session (mils). */
  sessionPnl: Money;
  /** Current equity (mils). */
  equity: Money;
  state: AccountRiskState;
  /** Positions of the other accounts of the same prop firm; absent when the follower has no firm. */
  firmPositions?: readonly FirmPosition[];
  instruments: InstrumentRegistry;
}

/** The verdict on one order. */
export type RiskDecision = { ok: true } | ({ ok: false } & RiskBlock);

const OK: RiskDecision = Object.freeze({ ok: true });
const compiledCache = new WeakMap<RiskRulesInput, CompiledRiskRules>();

/**
 * Runs the rules for one order; the first block wins. Order, most fundamental first so the
 * reason names the real cause: locked out, daily loss, trailing drawdown, allowed instrument,
 * trading window, flat-by, max order qty, max position, max contracts, opposite firm position
 * (orders that fill at once only), order rate (last, since a throttle says nothing about the order itself).
 * A reducing order passes without any check: exits must always be able to get out.
 */
export function evaluateOrder(
  rules: CompiledRiskRules | RiskRulesInput,
  ctx: RiskContext,
  order: RiskOrder,
): RiskDecision {
  if (order.reducing) return OK;
  const r = compiled(rules);
  const block = firstBlock(r, ctx, order);
  return block === undefined ? OK : { ok: false, reason: block.reason, message: block.message };
}

function firstBlock(r: CompiledRiskRules, ctx: RiskContext, order: RiskOrder): RiskBlock | undefined {
  const { state, now } = ctx;
  if (state.isLockedOut(now)) {
    const until = Number.isFinite(state.lockedUntil)
      ? new Date(state.lockedUntil).toISOString()
      : 'further notice';
    return {
      reason: RiskReason.LockedOut,
      message: `account locked out (${state.lockOutReason ?? 'unknown'}) until ${until}`,
    };
  }
  const clock =
    r.tradingWindows !== undefined || r.flatBy !== undefined ? localClock(now, r.timezone) : undefined;
  return (
    checkDailyLoss(ctx.sessionPnl, r.dailyLossLimit) ??
    checkTrailingDrawdown(ctx.equity, state.highWater, r.trailingDrawdown?.amount) ??
    checkAllowedInstrument(order.contract, r.allowedInstruments) ??
    (clock && checkTradingWindow(clock, r.tradingWindows, r.timezone)) ??
    (clock && checkFlatBy(clock, r.flatBy, r.timezone)) ??
    checkMaxOrderQty(order.qty, r.maxOrderQty) ??
    checkMaxPosition(order.contract, ctx.positionQty, order.side, order.qty, r.maxPosition) ??
    checkMaxContracts(
      ctx.positions,
      order.contract,
      order.side,
      order.qty,
      r.maxContracts,
      r.microsAsTenth,
      ctx.instruments,
    ) ??
    (order.resting
      ? undefined
      : checkOppositePosition(order.contract, order.side, ctx.firmPositions, ctx.instruments)) ??
    checkOrderRate(now, state.recentOrders, r.maxOrdersPerMinute)
  );
}

// Callers that pass a raw config pay the parse once per config object, not once per order.
function compiled(rules: CompiledRiskRules | RiskRulesInput): CompiledRiskRules {
  if (isCompiledRiskRules(rules)) return rules;
  let c = compiledCache.get(rules);
  if (!c) {
    c = compileRiskRules(rules);
    compiledCache.set(rules, c);
  }
  return c;
}
