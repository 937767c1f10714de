import { Decimal } from 'decimal.js';
import { ErrorCode, TradeNovaError } from '../errors.js';

/**
 * An amount of account currency as an integer count of thousandths (mils).
 * Every CME tick value is a whole number of mils (ZN's 15.625 USD is 15625), so
 * P&L = ticks × qty × tickValue stays an exact integer with no float drift.
 */
export type Money = number;

/** Mils per currency unit. */
export const MILS = 1000;

/** Parses `"1250.50"`, `1250.5` or `"-3.125"` into exact mils; rejects more than three decimals. */
export function parseMoney(input: string | number, field = 'amount'): Money {
  let d: Decimal;
  try {
    d = new Decimal(typeof input === 'number' ? String(input) : input.trim());
  } catch {
    throw new TradeNovaError(ErrorCode.MoneyInvalid, `${field}: not a number: ${JSON.stringify(input)}`);
  }
  const mils = d.times(MILS);
  if (!mils.isInteger()) {
    throw new TradeNovaError(ErrorCode.MoneyInvalid, `${field}: more than 3 decimals: ${String(input)}`);
  }
  const n = mils.toNumber();
  if (!Number.isSafeInteger(n)) {
    throw new TradeNovaError(ErrorCode.MoneyInvalid, `${field}: out of range: ${String(input)}`);
  }
  return n;
}

/** Formats mils as a decimal string with two decimals, or three when the amount needs them. */
export function formatMoney(mils: Money): string {
  const sign = mils < 0 ? '-' : '';
  const abs = Math.abs(mils);
  const whole = Math.trunc(abs / MILS);
  const frac = abs % MILS;
  const fracText = frac % 10 === 0 ? String(frac / 10).padStart(2, '0') : String(frac).padStart(3, '0');
  return `${sign}${whole}.${fracText}`;
}
