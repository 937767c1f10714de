/** CME month codes, January (F) to December (Z). */
export const MONTH_CODES = ['F', 'G', 'H', 'J', 'K', 'M', 'N', 'Q', 'U', 'V', 'X', 'Z'] as const;
export type MonthCode = (typeof MONTH_CODES)[number];

/** 1-based month number of a month code. */
export function monthNumber(code: MonthCode): number {
  return MONTH_CODES.indexOf(code) + 1;
}

/** Month code of a 1-based month number. */
export function monthCode(month: number): MonthCode {
  const code = MONTH_CODES[month - 1];
  if (!code) throw new RangeError(`month out of range: ${month}`);
  return code;
}

export function isMonthCode(value: string): value is MonthCode {
  return (MONTH_CODES as readonly string[]).includes(value);
}
