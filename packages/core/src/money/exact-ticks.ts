/**
 * Exact tick arithmetic on integers, for the prices a copier meets every fill: a tick
 * size `0.25` is 25 units at scale 2, a price `21000.25` is 2100025 units at scale 2,
 * and ticks are whole quotients of the two. Each function returns `undefined` when
 * an input is outside what it handles exactly (exponent notation, too many digits,
 * a product past 2^53), and the caller falls back to decimal.js. price.ts is the API.
 */

/** A decimal as an integer count of units at a scale: value = units / 10^scale. */
interface Scaled {
  units: number;
  scale: number;
}

const DECIMAL = /^(-?)(\d{1,15})(?:\.(\d{1,15}))?$/;
const tickCache = new Map<string, Scaled | null>();
const POW10 = Array.from({ length: 31 }, (_, i) => 10 ** i);

function parseScaled(text: string): Scaled | undefined {
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const frac = m[3] ?? '';
  const digits = `${m[2]}${frac}`;
  if (digits.length > 15) return undefined;
  const units = Number(digits);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

function tick(tickSize: string): Scaled | undefined {
  let t = tickCache.get(tickSize);
  if (t === undefined) {
    const parsed = parseScaled(tickSize);
    t = parsed && parsed.units > 0 ? parsed : null;
    tickCache.set(tickSize, t);
  }
  return t ?? undefined;
}

/** `units / 10^scale` as the shortest exact decimal string (no trailing zeros, no `-0`). */
function format(units: number | bigint, scale: number): string {
  const negative = units < 0;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    const int = digits.slice(0, digits.length - scale);
    const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
    digits = frac === '' ? int : `${int}.${frac}`;
  }
  return negative && /[1-9]/.test(digits) ? `-${digits}` : digits;
}

/** ticks × tick size, exactly. */
export function exactTicksToPrice(ticks: number, tickSize: string): string | undefined {
  const t = tick(tickSize);
  if (!t || !Number.isSafeInteger(ticks)) return undefined;
  const units = ticks * t.units;
  return Number.isSafeInteger(units) ? format(units, t.scale) : undefined;
}

/** Price and tick size as integers on one scale, or undefined. */
function common(price: string, tickSize: string): { p: number; t: number } | undefined {
  const t = tick(tickSize);
  const p = parseScaled(price);
  if (!t || !p) return undefined;
  const scale = Math.max(t.scale, p.scale);
  const pu = p.units * POW10[scale - p.scale]!;
  const tu = t.units * POW10[scale - t.scale]!;
  return Number.isSafeInteger(pu) && Number.isSafeInteger(tu) ? { p: pu, t: tu } : undefined;
}

/**
 * price ÷ tick size as a whole number of ticks: the number, `NaN` when the price is not
 * a multiple of the tick size, undefined when not handled here.
 */
export function exactPriceToTicks(price: string, tickSize: string): number | undefined {
  const c = common(price, tickSize);
  if (!c) return undefined;
  return c.p % c.t === 0 ? c.p / c.t || 0 : Number.NaN;
}

/** price ÷ tick size rounded as asked (`nearest` rounds a half away from zero, as decimal.js's ROUND_HALF_UP). */
export function exactPriceToTicksRounded(
  price: string,
  tickSize: string,
  mode: 'floor' | 'ceil' | 'nearest',
): number | undefined {
  const c = common(price, tickSize);
  if (!c) return undefined;
  const sign = c.p < 0 ? -1 : 1;
  const abs = Math.abs(c.p);
  const q = Math.floor(abs / c.t);
  const r = abs - q * c.t;
  let mag: number;
  if (r === 0) mag = q;
  else if (mode === 'nearest') mag = 2 * r >= c.t ? q + 1 : q;
  // floor of a negative is away from zero; ceil of a negative is toward it.
  else if (mode === 'floor') mag = sign < 0 ? q + 1 : q;
  else mag = sign < 0 ? q : q + 1;
  return sign * mag || 0;
}

/** (total ticks × tick size) ÷ qty, rounded half away from zero to `decimals` places. */
export function exactAverageTicksToPrice(
  totalTicks: number,
  qty: number,
  tickSize: string,
  decimals: number,
): string | undefined {
  const t = tick(tickSize);
  if (!t || !Number.isSafeInteger(totalTicks) || !Number.isSafeInteger(qty) || qty <= 0) return undefined;
  if (decimals < t.scale || decimals > 30) return undefined;
  const n = BigInt(totalTicks) * BigInt(t.units) * 10n ** BigInt(decimals - t.scale);
  const d = BigInt(qty);
  const negative = n < 0n;
  const abs = negative ? -n : n;
  let q = abs / d;
  if (2n * (abs % d) >= d) q += 1n;
  return format(negative ? -q : q, decimals);
}
