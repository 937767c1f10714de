/** A follower's risk config, parsed once into the shape the per-order checks read. */
import type { RiskConfig } from '../config/schema.js';
import { ErrorCode, TradeNovaError } from '../errors.js';
import { type Money, parseMoney } from '../money/money.js';
import { type CompiledWindow, compileWindows, localClock, parseHhmm } from './session.js';

/** How the trailing-drawdown high-water mark moves. */
export type TrailingMode = 'intraday' | 'end-of-day';

/** A risk config as written, with the schema's defaults optional (tests and SDK users build these by hand). */
export type RiskRulesInput = Omit<RiskConfig, 'timezone' | 'microsAsTenth'> &
  Partial<Pick<RiskConfig, 'timezone' | 'microsAsTenth'>>;

/** Risk rules with money in mils, times in minutes and lists in sets: nothing is parsed per order. */
export interface CompiledRiskRules {
  readonly compiled: true;
  /** `risk.maxOrderQty`, else `DEFAULT_MAX_ORDER_QTY`. */
  readonly maxOrderQty: number;
  /** One cap for every root, or caps per root (roots not listed are uncapped). */
  readonly maxPosition: number | ReadonlyMap<string, number> | undefined;
  readonly dailyLossLimit: Money | undefined;
  /** Upper-case roots and contract keys. */
  readonly allowedInstruments: ReadonlySet<string> | undefined;
  /** Undefined when the config has no windows (or an empty list): trading at any time. */
  readonly tradingWindows: readonly CompiledWindow[] | undefined;
  /** Minutes since local midnight. */
  readonly flatBy: number | undefined;
  readonly timezone: string;
  readonly maxOrdersPerMinute: number | undefined;
  readonly trailingDrawdown: { readonly amount: Money; readonly mode: TrailingMode } | undefined;
  readonly maxContracts: number | undefined;
  readonly microsAsTenth: boolean;
}

/**
 * The fat-finger cap on one follower order when `risk.maxOrderQty` is not set: no copy of a
 * leader order may be larger, whatever the scaling computes (an equity follower on a broken
 * price once sized 1.7 trillion contracts). Set `maxOrderQty` higher for larger accounts.
 */
export const DEFAULT_MAX_ORDER_QTY = 1_000;

/** Parses a follower's risk config once; throws `TN_ERR_CONFIG_INVALID` or `TN_ERR_MONEY_INVALID` naming the field. */
export function compileRiskRules(config: RiskRulesInput): CompiledRiskRules {
  const timezone = config.timezone ?? 'America/Chicago';
  try {
    localClock(0, timezone);
  } catch {
    throw new TradeNovaError(
      ErrorCode.ConfigInvalid,
      `risk.timezone: unknown time zone ${JSON.stringify(timezone)}`,
    );
  }
  const maxPosition =
    config.maxPosition === undefined || typeof config.maxPosition === 'number'
      ? config.maxPosition
      : new Map(Object.entries(config.maxPosition).map(([root, cap]) => [root.toUpperCase(), cap]));
  return Object.freeze({
    compiled: true,
    maxOrderQty: config.maxOrderQty ?? DEFAULT_MAX_ORDER_QTY,
    maxPosition,
    dailyLossLimit: positiveMoney(config.dailyLossLimit, 'risk.dailyLossLimit'),
    allowedInstruments: config.allowedInstruments && allowedSet(config.allowedInstruments),
    tradingWindows:
      config.tradingWindows && config.tradingWindows.length > 0
        ? compileWindows(config.tradingWindows)
        : undefined,
    flatBy: config.flatBy === undefined ? undefined : parseHhmm(config.flatBy),
    timezone,
    maxOrdersPerMinute: config.maxOrdersPerMinute,
    trailingDrawdown: config.trailingDrawdown && {
      amount: positiveMoney(config.trailingDrawdown.amount, 'risk.trailingDrawdown.amount')!,
      mode: config.trailingDrawdown.mode ?? 'intraday',
    },
    maxContracts: config.maxContracts,
    microsAsTenth: config.microsAsTenth ?? false,
  });
}

/** True for rules already compiled (so `evaluateOrder` can take either form). */
export function isCompiledRiskRules(rules: CompiledRiskRules | RiskRulesInput): rules is CompiledRiskRules {
  return (rules as { compiled?: unknown }).compiled === true;
}

// A limit is a size, so "-500" is refused rather than guessed at.
function positiveMoney(input: string | number | undefined, field: string): Money | undefined {
  if (input === undefined) return undefined;
  const mils = parseMoney(input, field);
  if (mils <= 0)
    throw new TradeNovaError(ErrorCode.ConfigInvalid, `${field}: must be more than 0, got ${input}`);
  return mils;
}

// One set holds both roots (MNQ: every month) and contract keys (MNQZ25: that month only);
// a root never looks like a key, so the two kinds cannot collide.
function allowedSet(list: readonly string[]): ReadonlySet<string> {
  return new Set(list.map((entry) => entry.trim().toUpperCase()));
}
