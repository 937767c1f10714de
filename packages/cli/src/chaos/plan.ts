import { createRng, type Rng, randomInt } from '@tradenova/core/paper';

/** The leader account chaos drives, at a Tradovate simulator of its own. */
export const CHAOS_LEADER = 'CHAOS-LEADER';

/** The faults `tradenova chaos` injects (docs/reliability.md says what each one does). */
export const FAULT_KINDS = [
  'kill9',
  'sigterm',
  'sim-restart',
  'cut-sockets',
  'token-expiry',
  'rate-limit',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One thing the generated leader does, `at` ms into the run. */
export interface LeaderStep {
  at: number;
  kind: 'limit' | 'modify' | 'cancel' | 'market';
  side: 'buy' | 'sell';
  qty: number;
  /** Ticks away from the market (limit) or how far to move (modify). */
  offset: number;
  /** Which working order a modify or cancel picks, as a fraction of the list. */
  pick: number;
}

/** One fault, `at` ms into the run. */
export interface FaultStep {
  at: number;
  kind: FaultKind;
  /** How long the copier or simulator stays down (kill9, sigterm, sim-restart, token-expiry). */
  downMs: number;
  /** Which simulator it hits, as a fraction of the list. */
  pick: number;
  /** Requests refused (rate-limit). */
  count: number;
}

/** Everything one run does, from its seed alone. */
export interface RunPlan {
  seed: number;
  durationMs: number;
  leader: LeaderStep[];
  faults: FaultStep[];
}

/** The seed of run `run` of a session started with `seed`; run 0 has `seed` itself, so a failure replays with `--runs 1 --seed <it>`. */
export function runSeed(seed: number, run: number): number {
  if (run === 0) return seed >>> 0;
  const rng = createRng((seed ^ Math.imul(run, 0x9e3779b1)) >>> 0);
  return Math.floor(rng() * 4_294_967_296) >>> 0;
}

/**
 * The plan of one run: a leader session of limit orders (far from the market, so they
 * stay working), moves, cancels and small market orders, and 2 to 3 faults of distinct
 * kinds at random points of its middle (the first kind is `kinds[seed % kinds.length]`). Pure: the same seed gives the same plan.
 */
export function planRun(seed: number, options: { durationMs: number; kinds: readonly FaultKind[] }): RunPlan {
  const rng = createRng(seed);
  const leader: LeaderStep[] = [];
  for (let at = 300 + randomInt(rng, 300); at < options.durationMs * 0.85; at += 250 + randomInt(rng, 450)) {
    leader.push(step(rng, at));
  }
  const faults: FaultStep[] = [];
  const n = options.kinds.length === 0 ? 0 : 2 + randomInt(rng, 1);
  // Distinct kinds within a run while there are enough.
  const left = [...options.kinds];
  for (let i = 0; i < n; i++) {
    if (left.length === 0) left.push(...options.kinds);
    const at = i === 0 ? seed % left.length : randomInt(rng, left.length - 1);
    const [kind] = left.splice(Math.max(0, at), 1) as [FaultKind];
    faults.push({
      at: Math.round(options.durationMs * (0.15 + 0.6 * rng())),
      kind,
      downMs: 800 + randomInt(rng, 2200),
      pick: rng(),
      count: 1 + randomInt(rng, 4),
    });
  }
  faults.sort((a, b) => a.at - b.at);
  return { seed, durationMs: options.durationMs, leader, faults };
}

function step(rng: Rng, at: number): LeaderStep {
  const r = rng();
  const kind: LeaderStep['kind'] = r < 0.45 ? 'limit' : r < 0.62 ? 'modify' : r < 0.8 ? 'cancel' : 'market';
  return {
    at,
    kind,
    side: rng() < 0.5 ? 'buy' : 'sell',
    qty: 1 + randomInt(rng, 1),
    offset: kind === 'modify' ? 1 + randomInt(rng, 20) : 200 + randomInt(rng, 200),
    pick: rng(),
  };
}

/** Parses `--faults a,b`: every name must be a known kind. */
export function parseFaultList(text: string | undefined): FaultKind[] {
  if (text === undefined || text.trim() === '' || text === 'all') return [...FAULT_KINDS];
  const kinds = text.split(',').map((k) => k.trim());
  for (const k of kinds)
    if (!(FAULT_KINDS as readonly string[]).includes(k))
      throw new RangeError(`--faults: unknown fault "${k}" (known: ${FAULT_KINDS.join(', ')})`);
  return kinds as FaultKind[];
}
