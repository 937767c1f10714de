import type { FollowerConfig } from '../config/schema.js';
import { SignalError } from '../errors.js';
import type { Contract } from '../instruments/contract.js';
import type { InstrumentRegistry, InstrumentSpec } from '../instruments/registry.js';
import { type OrderType, oppositeSide, type Side } from '../model/common.js';
import { type IntentBracket, type IntentLeg, intentId, type OrderIntent } from '../model/intent.js';
import type { BracketLevel, NewOrderSignal } from '../model/signal.js';
import type { Money } from '../money/money.js';
import { priceToTicks, priceToTicksRounded, type Ticks, ticksToPrice } from '../money/price.js';
import type { RiskReason } from '../risk/reasons.js';
import { planFollowerOrder } from '../scaling/plan.js';
import { scaleEntryQty } from '../scaling/scale.js';
import { mapSymbol } from '../scaling/symbol-map.js';

/** The follower's contract for a leader contract, after symbol mapping, and the qty ratio. */
export function mapContract(
  contract: Contract,
  follower: FollowerConfig,
): { contract: Contract; ratio: number } {
  const mapped = mapSymbol(contract.root, follower.symbolMap);
  return { contract: { ...contract, root: mapped.root }, ratio: mapped.ratio };
}

/** A leader price (exact decimal string) in the follower instrument's ticks. */
export function followerTicks(
  price: string,
  spec: InstrumentSpec,
  mode: 'floor' | 'ceil' | 'nearest' = 'nearest',
): Ticks {
  return priceToTicksRounded(price, spec.tickSize, mode);
}

/** Everything about one signal that is the same for every follower, worked out once. */
export interface PreparedNewOrder {
  signal: NewOrderSignal;
  contract: Contract;
  spec: InstrumentSpec;
  /** Signed leader position in this contract before the order. */
  leaderBefore: number;
  /** Signed qty of the order. */
  leaderDelta: number;
  /** The order's reference price (limit, stop, fill or market) as a decimal string, if any. */
  refPrice?: string;
  /** Absolute bracket prices as decimal strings. */
  stopLossPrice?: string;
  takeProfitPrice?: string;
}

/** Resolves the bracket levels of a leader order against its reference price. */
export function prepareNewOrder(
  signal: NewOrderSignal,
  contract: Contract,
  spec: InstrumentSpec,
  leaderBefore: number,
  marketPrice: string | undefined,
): PreparedNewOrder {
  const sign = signal.side === 'buy' ? 1 : -1;
  // Validate every price is on the leader's tick before any follower sees it.
  for (const field of ['limitPrice', 'stopPrice', 'fillPrice'] as const) {
    const v = signal[field];
    if (v !== undefined) checkOnTick(v, spec, field);
  }
  const refPrice = signal.fillPrice ?? signal.limitPrice ?? signal.stopPrice ?? marketPrice;
  const level = (l: BracketLevel | undefined, field: string, away: 1 | -1): string | undefined => {
    if (!l) return undefined;
    if (l.price !== undefined) return checkOnTick(l.price, spec, `${field}.price`);
    if (refPrice === undefined) {
      throw new SignalError(
        `${field}.ticks`,
        'ticks need a reference price: give fillPrice or a market price first',
      );
    }
    const refTicks = priceToTicks(refPrice, spec.tickSize);
    return ticksToPrice(refTicks + away * sign * l.ticks, spec.tickSize);
  };
  const prepared: PreparedNewOrder = {
    signal,
    contract,
    spec,
    leaderBefore,
    leaderDelta: sign * signal.qty,
  };
  if (refPrice !== undefined) prepared.refPrice = refPrice;
  const sl = level(signal.bracket?.stopLoss, 'bracket.stopLoss', -1);
  const tp = level(signal.bracket?.takeProfit, 'bracket.takeProfit', 1);
  if (sl !== undefined) prepared.stopLossPrice = sl;
  if (tp !== undefined) prepared.takeProfitPrice = tp;
  return prepared;
}

function checkOnTick(price: string, spec: InstrumentSpec, field: string): string {
  try {
    priceToTicks(price, spec.tickSize, field);
  } catch (error) {
    throw new SignalError(field, error instanceof Error ? error.message : String(error));
  }
  return price;
}

/** What one follower needs to turn a prepared order into intents. */
export interface FollowerOrderContext {
  follower: FollowerConfig;
  accountId: string;
  instruments: InstrumentRegistry;
  /** Follower's signed position in the mapped contract. */
  followerPosition: number;
  followerEquity: Money;
  now: number;
}

export type FollowerPlan =
  | { intents: OrderIntent[]; skipped?: undefined }
  | { intents: OrderIntent[]; skipped: { reason: RiskReason; message: string; intent: OrderIntent } };

/** Scales, maps and plans one follower's intents for a new leader order. */
export function planNewOrderIntents(order: PreparedNewOrder, ctx: FollowerOrderContext): FollowerPlan {
  const { follower } = ctx;
  const mapped = mapContract(order.contract, follower);
  const spec = ctx.instruments.get(mapped.contract.root);
  const inverse = follower.inverse;
  // An inverse follower's stop-loss is the leader's take-profit and vice versa.
  const slPrice = inverse ? order.takeProfitPrice : order.stopLossPrice;
  const tpPrice = inverse ? order.stopLossPrice : order.takeProfitPrice;
  const stopDistanceTicks =
    order.refPrice !== undefined && slPrice !== undefined
      ? Math.abs(followerTicks(order.refPrice, spec) - followerTicks(slPrice, spec))
      : undefined;
  const scaleEntry = (leaderQty: number) =>
    scaleEntryQty({
      leaderQty,
      scaling: follower.scaling,
      ratio: mapped.ratio,
      rounding: follower.rounding,
      whenZero: follower.whenZero,
      ...(follower.minQty !== undefined ? { minQty: follower.minQty } : {}),
      ...(follower.maxQty !== undefined ? { maxQty: follower.maxQty } : {}),
      followerEquity: ctx.followerEquity,
      ...(stopDistanceTicks !== undefined && stopDistanceTicks > 0 ? { stopDistanceTicks } : {}),
      tickValue: spec.tickValue,
    });
  const plan = planFollowerOrder({
    leaderBefore: order.leaderBefore,
    leaderDelta: order.leaderDelta,
    followerPosition: ctx.followerPosition,
    inverse,
    reversal: follower.reversal,
    rounding: follower.rounding,
    scaleEntry,
  });
  const s = order.signal;
  const entry = inverse
    ? invertOrderType(s)
    : { orderType: s.orderType, limitPrice: s.limitPrice, stopPrice: s.stopPrice };
  const base = (leg: IntentLeg, side: Side, qty: number, reducing: boolean): OrderIntent => {
    const intent: OrderIntent = {
      intentId: intentId(s.signalId, follower.name, leg),
      signalId: s.signalId,
      follower: follower.name,
      broker: follower.broker,
      accountId: ctx.accountId,
      leg,
      action: 'place',
      contract: mapped.contract,
      side,
      qty,
      orderType: entry.orderType,
      reducing,
      createdAt: ctx.now,
    };
    if (entry.limitPrice !== undefined) intent.limitTicks = followerTicks(entry.limitPrice, spec);
    if (entry.stopPrice !== undefined) intent.stopTicks = followerTicks(entry.stopPrice, spec);
    if (s.timeInForce !== undefined) intent.timeInForce = s.timeInForce;
    return intent;
  };
  const intents = plan.legs.map((leg) => {
    const intent = base(leg.leg, leg.side, leg.qty, leg.reducing);
    if (!leg.reducing && (slPrice !== undefined || tpPrice !== undefined)) {
      const bracket: IntentBracket = {};
      // Round protective levels so they never sit tighter than the leader's.
      const long = leg.side === 'buy';
      if (slPrice !== undefined)
        bracket.stopLossTicks = followerTicks(slPrice, spec, long ? 'floor' : 'ceil');
      if (tpPrice !== undefined)
        bracket.takeProfitTicks = followerTicks(tpPrice, spec, long ? 'ceil' : 'floor');
      intent.bracket = bracket;
    }
    return intent;
  });
  if (plan.skipped) {
    const side = inverse ? oppositeSide(s.side) : s.side;
    return {
      intents,
      skipped: { ...plan.skipped, intent: base('entry', side, 0, false) },
    };
  }
  return { intents };
}

/**
 * The order type an inverse follower uses at the leader's price. A leader who
 * sells with a limit above the market fades a rise; the inverse buys that rise,
 * which is a stop at the same price (and the other way round). A stop-limit's
 * trigger becomes a plain limit. Copying the type unchanged would make the
 * inverse order marketable at once, far from the leader's price.
 */
export function invertOrderType(s: {
  orderType: OrderType;
  limitPrice?: string | undefined;
  stopPrice?: string | undefined;
}): { orderType: OrderType; limitPrice?: string | undefined; stopPrice?: string | undefined } {
  switch (s.orderType) {
    case 'market':
      return { orderType: 'market' };
    case 'limit':
      return { orderType: 'stop', stopPrice: s.limitPrice };
    case 'stop':
      return { orderType: 'limit', limitPrice: s.stopPrice };
    case 'stop-limit':
      return { orderType: 'limit', limitPrice: s.stopPrice };
  }
}
