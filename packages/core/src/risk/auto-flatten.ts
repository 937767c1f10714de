/** Which rule, if any, makes the engine flatten an account and lock it out for the session. */
import { checkDailyLoss, checkFlatBy, checkTrailingDrawdown, type RiskBlock } from './checks.js';
import type { RiskContext } from './evaluate.js';
import type { CompiledRiskRules } from './rules.js';
import { localClock } from './session.js';

/**
 * DAILY_LOSS_LIMIT when the session loss reached the limit, TRAILING_DRAWDOWN when equity fell
 * to the trailing floor, PAST_FLAT_BY when flat-by is reached with a position open. The engine
 * then flattens and locks out until `nextSessionStart`. Call `state.onEquity` first so an
 * intraday high-water mark includes the current equity.
 */
export function autoFlattenReason(rules: CompiledRiskRules, ctx: RiskContext): RiskBlock | undefined {
  return (
    checkDailyLoss(ctx.sessionPnl, rules.dailyLossLimit) ??
    checkTrailingDrawdown(ctx.equity, ctx.state.highWater, rules.trailingDrawdown?.amount) ??
    (rules.flatBy !== undefined && ctx.positions.some((p) => p.netQty !== 0)
      ? checkFlatBy(localClock(ctx.now, rules.timezone), rules.flatBy, rules.timezone)
      : undefined)
  );
}
