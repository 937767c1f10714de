import type { FollowerConfig } from '../config/schema.js';

/** How a fractional contract count becomes a whole one. */
export type RoundingPolicy = FollowerConfig['rounding'];

/** Decimal places kept before rounding: far below a contract, far above float noise. */
const SNAP_DECIMALS = 9;

/**
 * Rounds a contract count by `policy`; 'round' is half away from zero.
 * `x` is first snapped to 9 decimals because qty × float factor drifts
 * (0.07 × 100 = 7.000000000000001 must ceil to 7, not 8).
 */
export function applyRounding(x: number, policy: RoundingPolicy): number {
  if (!Number.isFinite(x)) throw new RangeError(`cannot round a non-finite quantity: ${x}`);
  const snapped = Number(x.toFixed(SNAP_DECIMALS));
  const magnitude = Math.abs(snapped);
  const sign = Math.sign(snapped);
  let whole: number;
  switch (policy) {
    case 'floor':
      whole = Math.floor(snapped);
      break;
    case 'ceil':
      whole = Math.ceil(snapped);
      break;
    case 'round':
      whole = sign * Math.round(magnitude);
      break;
  }
  // -0 would print as "0" but fails Object.is checks in callers and tests.
  return whole + 0;
}
