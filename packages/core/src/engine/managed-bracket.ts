import type { OrderIntent } from '../model/intent.js';
import type { Ticks } from '../money/price.js';

/** One child of a bracket the engine manages for a broker without native brackets. */
export interface ManagedChild {
  intentId: string;
  /** Broker id once placed. */
  orderId?: string;
  /** Total quantity the child was placed or last modified with. */
  qty: number;
  filled: number;
  /** Price in ticks: the stop of the stop-loss, the limit of the take-profit. */
  ticks: Ticks;
}

/**
 * A bracket held by the engine: the entry goes to the broker alone, and its
 * stop-loss and take-profit follow each fill of it as a one-cancels-other pair
 * the engine keeps — one child's fill shrinks the other, the last one cancels it.
 */
export interface ManagedBracket {
  entry: OrderIntent;
  leaderOrderId: string;
  /** Entry quantity filled so far. */
  filled: number;
  stopLoss?: ManagedChild;
  takeProfit?: ManagedChild;
}

/** What the children should be after the fills seen so far. */
export interface ChildPlan {
  which: 'stop-loss' | 'take-profit';
  action: 'place' | 'resize' | 'cancel' | 'none';
  /** New total quantity for place and resize. */
  qty: number;
}

/**
 * Pure: the quantity each child must carry. Together the children protect the
 * entry's filled quantity less what either child already closed; a child that
 * would protect nothing is cancelled (or never placed).
 */
export function planChildren(bracket: ManagedBracket): ChildPlan[] {
  const closed = (bracket.stopLoss?.filled ?? 0) + (bracket.takeProfit?.filled ?? 0);
  const open = Math.max(0, bracket.filled - closed);
  const plans: ChildPlan[] = [];
  for (const which of ['stop-loss', 'take-profit'] as const) {
    const child = which === 'stop-loss' ? bracket.stopLoss : bracket.takeProfit;
    if (!child) continue;
    const total = child.filled + open;
    if (child.orderId === undefined) {
      plans.push({ which, action: open > 0 ? 'place' : 'none', qty: open });
    } else if (open === 0) {
      plans.push({ which, action: child.qty > child.filled ? 'cancel' : 'none', qty: child.filled });
    } else {
      plans.push({ which, action: total === child.qty ? 'none' : 'resize', qty: total });
    }
  }
  return plans;
}
