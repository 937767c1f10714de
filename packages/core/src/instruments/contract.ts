import { ErrorCode, InstrumentError } from '../errors.js';
import { isMonthCode, type MonthCode, monthCode, monthNumber } from './months.js';
import { defaultInstruments, type InstrumentRegistry, type InstrumentSpec } from './registry.js';

/** One listed futures contract: root, month code and four-digit year. */
export interface Contract {
  root: string;
  month: MonthCode;
  year: number;
}

/** How a contract is written. */
export type ContractStyle =
  /** `MNQZ5` (Tradovate, Rithmic) */
  | 'short'
  /** `MNQZ25` (the canonical key) */
  | 'long'
  /** `MNQ 12-25` (NinjaTrader) */
  | 'ninja';

/**
 * Keys already made, by contract object: the engine asks for the key of the same few contracts
 * on every order, fill and flatten, and a contract is never changed once parsed.
 */
const keys = new WeakMap<Contract, string>();

/** The canonical key of a contract, `MNQZ25`. */
export function contractKey(c: Contract): string {
  let key = keys.get(c);
  if (key === undefined) {
    key = formatContract(c, 'long');
    keys.set(c, key);
  }
  return key;
}

export function formatContract(c: Contract, style: ContractStyle = 'long'): string {
  const yy = String(c.year % 100).padStart(2, '0');
  switch (style) {
    case 'short':
      return `${c.root}${c.month}${c.year % 10}`;
    case 'long':
      return `${c.root}${c.month}${yy}`;
    case 'ninja':
      return `${c.root} ${String(monthNumber(c.month)).padStart(2, '0')}-${yy}`;
  }
}

export function sameContract(a: Contract, b: Contract): boolean {
  return a.root === b.root && a.month === b.month && a.year === b.year;
}

/**
 * Parses `MNQZ5`, `MNQZ25`, `MNQZ2025`, `MNQ 12-25` or a bare root `MNQ` (the front month at `at`).
 * A one-digit year is the nearest year with that last digit that is not more than a year in the past.
 */
export function parseContract(
  text: string,
  options: { at?: Date | number; registry?: InstrumentRegistry } = {},
): Contract {
  const registry = options.registry ?? defaultInstruments;
  const at = new Date(options.at ?? Date.now());
  const input = text.trim().toUpperCase();
  const ninja = /^([A-Z0-9]+) (\d{2})-(\d{2})$/.exec(input);
  if (ninja) {
    const [, root, mm, yy] = ninja as unknown as [string, string, string, string];
    requireRoot(registry, root, text);
    const month = Number(mm);
    if (month < 1 || month > 12) throw invalid(text, `month ${mm} is not 01-12`);
    return { root, month: monthCode(month), year: 2000 + Number(yy) };
  }
  const root = registry.matchRoot(input);
  if (!root) throw new InstrumentError(ErrorCode.InstrumentUnknown, `unknown instrument in "${text}"`);
  const rest = input.slice(root.length);
  if (rest === '') return frontMonth(registry.get(root), at);
  const m = /^([A-Z])(\d{1,4})$/.exec(rest);
  if (!m) throw invalid(text, 'expected ROOT + month code + year, e.g. MNQZ5, MNQZ25 or "MNQ 12-25"');
  const [, code, digits] = m as unknown as [string, string, string];
  if (!isMonthCode(code)) throw invalid(text, `"${code}" is not a month code (F G H J K M N Q U V X Z)`);
  let year: number;
  if (digits.length === 1) {
    const d = Number(digits);
    const base = at.getUTCFullYear() - 1;
    year = base + ((d - (base % 10) + 10) % 10);
  } else if (digits.length === 2) {
    year = 2000 + Number(digits);
  } else if (digits.length === 4) {
    year = Number(digits);
  } else {
    throw invalid(text, `year "${digits}" must have 1, 2 or 4 digits`);
  }
  return { root, month: code, year };
}

function requireRoot(registry: InstrumentRegistry, root: string, text: string): void {
  if (!registry.has(root))
    throw new InstrumentError(ErrorCode.InstrumentUnknown, `unknown instrument in "${text}"`);
}

function invalid(text: string, why: string): InstrumentError {
  return new InstrumentError(ErrorCode.ContractInvalid, `cannot parse contract "${text}": ${why}`);
}

/** UTC date (midnight) of the third Friday of a month. */
export function thirdFriday(year: number, month: number): Date {
  const first = new Date(Date.UTC(year, month - 1, 1));
  const offset = (5 - first.getUTCDay() + 7) % 7;
  return new Date(Date.UTC(year, month - 1, 1 + offset + 14));
}

/** The day (UTC midnight) on which trading moves off this contract to the next listed month. */
export function rollDate(spec: InstrumentSpec, c: Contract): Date {
  const month = monthNumber(c.month);
  if (spec.roll.kind === 'before-third-friday') {
    const tf = thirdFriday(c.year, month);
    return new Date(tf.getTime() - spec.roll.days * 86_400_000);
  }
  const priorMonth = month === 1 ? 12 : month - 1;
  const priorYear = month === 1 ? c.year - 1 : c.year;
  return new Date(Date.UTC(priorYear, priorMonth - 1, spec.roll.day));
}

/** The contract most traders trade on date `at`: the first listed month whose roll date is after `at`. */
export function frontMonth(spec: InstrumentSpec, at: Date | number): Contract {
  const when = new Date(at).getTime();
  const startYear = new Date(at).getUTCFullYear();
  for (let year = startYear; year <= startYear + 2; year++) {
    for (const month of spec.months) {
      const c: Contract = { root: spec.root, month, year };
      if (rollDate(spec, c).getTime() > when) return c;
    }
  }
  throw new RangeError(`no front month found for ${spec.root}`);
}

/** The next listed contract after `c`. */
export function nextContract(spec: InstrumentSpec, c: Contract): Contract {
  const idx = spec.months.indexOf(c.month);
  if (idx >= 0 && idx < spec.months.length - 1) return { ...c, month: spec.months[idx + 1]! };
  return { root: c.root, month: spec.months[0]!, year: c.year + 1 };
}
