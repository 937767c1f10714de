/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * A seeded PRNG (mulberry32): small, fast and the same on every platform, so a
 * simulated run with the same seed makes the same choices. Not for cryptography.
 */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A whole number in [0, maxInclusive], drawn from `rng`. */
export function randomInt(rng: Rng, maxInclusive: number): number {
  return Math.floor(rng() * (maxInclusive + 1));
}
