import { ErrorCode, InstrumentError } from '../errors.js';
import type { Money } from '../money/money.js';
import type { MonthCode } from './months.js';

/** How a product's front month rolls to the next listed month. */
export type RollRule =
  /** Roll `days` calendar days before the third Friday of the contract month (equity index, FX). */
  | { kind: 'before-third-friday'; days: number }
  /** Roll on this day of the month before the contract month (energy, metals, treasuries). */
  | { kind: 'day-of-prior-month'; day: number };

/** Everything the engine needs to know about one futures product. */
export interface InstrumentSpec {
  /** CME-style root, e.g. `MNQ`. */
  root: string;
  name: string;
  exchange: 'CME' | 'CBOT' | 'NYMEX' | 'COMEX';
  currency: 'USD';
  /** Minimum price increment as an exact decimal string. */
  tickSize: string;
  /** Value of one tick for one contract, in mils. */
  tickValue: Money;
  /** Listed contract months used for the front-month roll. */
  months: readonly MonthCode[];
  roll: RollRule;
  /** Time zone of the exchange's trading day. */
  timezone: string;
  /** The full-size product this is the micro of, if any. */
  microOf?: string;
}

const QUARTERLY: readonly MonthCode[] = ['H', 'M', 'U', 'Z'];
const ALL_MONTHS: readonly MonthCode[] = ['F', 'G', 'H', 'J', 'K', 'M', 'N', 'Q', 'U', 'V', 'X', 'Z'];
const GOLD_MONTHS: readonly MonthCode[] = ['G', 'J', 'M', 'Q', 'V', 'Z'];
const SILVER_MONTHS: readonly MonthCode[] = ['F', 'H', 'K', 'N', 'U', 'Z'];
const EQUITY_ROLL: RollRule = { kind: 'before-third-friday', days: 8 };
const CT = 'America/Chicago';

function spec(
  root: string,
  name: string,
  exchange: InstrumentSpec['exchange'],
  tickSize: string,
  tickValue: Money,
  months: readonly MonthCode[],
  roll: RollRule,
  microOf?: string,
): InstrumentSpec {
  return {
    root,
    name,
    exchange,
    currency: 'USD',
    tickSize,
    tickValue,
    months,
    roll,
    timezone: CT,
    ...(microOf ? { microOf } : {}),
  };
}

/** The products TradeNova knows out of the box. Tick values in mils. */
export const BUILTIN_INSTRUMENTS: readonly InstrumentSpec[] = [
  spec('ES', 'E-mini S&P 500', 'CME', '0.25', 12_500, QUARTERLY, EQUITY_ROLL),
  spec('MES', 'Micro E-mini S&P 500', 'CME', '0.25', 1_250, QUARTERLY, EQUITY_ROLL, 'ES'),
  spec('NQ', 'E-mini Nasdaq-100', 'CME', '0.25', 5_000, QUARTERLY, EQUITY_ROLL),
  spec('MNQ', 'Micro E-mini Nasdaq-100', 'CME', '0.25', 500, QUARTERLY, EQUITY_ROLL, 'NQ'),
  spec('YM', 'E-mini Dow', 'CBOT', '1', 5_000, QUARTERLY, EQUITY_ROLL),
  spec('MYM', 'Micro E-mini Dow', 'CBOT', '1', 500, QUARTERLY, EQUITY_ROLL, 'YM'),
  spec('RTY', 'E-mini Russell 2000', 'CME', '0.1', 5_000, QUARTERLY, EQUITY_ROLL),
  spec('M2K', 'Micro E-mini Russell 2000', 'CME', '0.1', 500, QUARTERLY, EQUITY_ROLL, 'RTY'),
  spec('CL', 'Crude Oil', 'NYMEX', '0.01', 10_000, ALL_MONTHS, { kind: 'day-of-prior-month', day: 15 }),
  spec(
    'MCL',
    'Micro WTI Crude Oil',
    'NYMEX',
    '0.01',
    1_000,
    ALL_MONTHS,
    { kind: 'day-of-prior-month', day: 15 },
    'CL',
  ),
  spec('GC', 'Gold', 'COMEX', '0.1', 10_000, GOLD_MONTHS, { kind: 'day-of-prior-month', day: 25 }),
  spec(
    'MGC',
    'Micro Gold',
    'COMEX',
    '0.1',
    1_000,
    GOLD_MONTHS,
    { kind: 'day-of-prior-month', day: 25 },
    'GC',
  ),
  spec('SI', 'Silver', 'COMEX', '0.005', 25_000, SILVER_MONTHS, { kind: 'day-of-prior-month', day: 25 }),
  spec('ZN', '10-Year T-Note', 'CBOT', '0.015625', 15_625, QUARTERLY, {
    kind: 'day-of-prior-month',
    day: 25,
  }),
  spec('ZB', 'U.S. Treasury Bond', 'CBOT', '0.03125', 31_250, QUARTERLY, {
    kind: 'day-of-prior-month',
    day: 25,
  }),
  spec('6E', 'Euro FX', 'CME', '0.00005', 6_250, QUARTERLY, EQUITY_ROLL),
];

/** A lookup of instrument specs by root. Immutable once built; extend by building a new one. */
export class InstrumentRegistry {
  readonly #byRoot = new Map<string, InstrumentSpec>();
  /** Roots sorted longest first, so `MNQZ5` matches `MNQ` before `NQ`... and `M2K` is found at all. */
  readonly #rootsLongestFirst: readonly string[];

  constructor(specs: readonly InstrumentSpec[] = BUILTIN_INSTRUMENTS) {
    for (const s of specs) this.#byRoot.set(s.root.toUpperCase(), s);
    this.#rootsLongestFirst = [...this.#byRoot.keys()].sort((a, b) => b.length - a.length);
  }

  /** A registry with these specs added to (or replacing) the built-in ones. */
  static withExtra(extra: readonly InstrumentSpec[]): InstrumentRegistry {
    const merged = new Map(BUILTIN_INSTRUMENTS.map((s) => [s.root, s]));
    for (const s of extra) merged.set(s.root.toUpperCase(), s);
    return new InstrumentRegistry([...merged.values()]);
  }

  has(root: string): boolean {
    return this.#byRoot.has(root.toUpperCase());
  }

  /** The spec for a root; throws `TN_ERR_INSTRUMENT_UNKNOWN` naming the root. */
  get(root: string): InstrumentSpec {
    const s = this.#byRoot.get(root.toUpperCase());
    if (!s) throw new InstrumentError(ErrorCode.InstrumentUnknown, `unknown instrument root: ${root}`);
    return s;
  }

  /** The longest known root that `symbol` starts with, if any. */
  matchRoot(symbol: string): string | undefined {
    const upper = symbol.toUpperCase();
    return this.#rootsLongestFirst.find((r) => upper.startsWith(r));
  }

  roots(): string[] {
    return [...this.#byRoot.keys()];
  }
}

/** The default registry with the built-in products. */
export const defaultInstruments = new InstrumentRegistry();
