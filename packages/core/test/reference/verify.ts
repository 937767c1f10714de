/**
 * The differential run shared by the CI test, the known-defects test and
 * `npm run verify`: generate sessions, run each through the engine and the
 * reference model, count violations by kind, and shrink a failure to a
 * replayable counterexample (signals.jsonl + config.yaml in a folder).
 */
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { defaultOptions, type GeneratorFeatures, type Session, sessionArb } from './generator.js';
import { formatViolation, runSession, writeCounterexample } from './harness.js';
import type { Violation, ViolationKind } from './model.js';

export interface VerifyOptions {
  sessions: number;
  seed: number;
  features?: Partial<GeneratorFeatures>;
  maxSteps?: number;
  /** Where counterexamples go; a folder per shrunk failure. */
  outDir?: string;
  /** Shrink the first failure of each kind to a counterexample (off: count only). */
  shrink?: boolean;
  /** Only these kinds count as failures (all when absent). */
  kinds?: readonly ViolationKind[];
  checkDeterminism?: boolean;
  /** Stop at the first session with a violation. */
  stopAtFirst?: boolean;
}

export interface VerifyResult {
  sessions: number;
  events: number;
  failedSessions: number;
  violations: Partial<Record<ViolationKind, number>>;
  counterexamples: { kind: ViolationKind; dir: string; violations: string[] }[];
  /** Wall time of the sessions, and of shrinking the failures. */
  ms: number;
  shrinkMs: number;
}

export const DEFAULT_OUT = resolve(process.cwd(), '.tradenova', 'counterexamples');

export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  const gen = {
    ...defaultOptions(options.features),
    ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}),
  };
  const arb = sessionArb(gen);
  const check = {
    checkDrift: gen.features.checkDrift,
    checkDeterminism: options.checkDeterminism ?? true,
    outcomeWhenUnchanged: gen.features.outcomeWhenUnchanged,
    reasonForSkippedChanges: gen.features.reasonForSkippedChanges,
  };
  const counts: Partial<Record<ViolationKind, number>> = {};
  const relevant = (vs: Violation[]) => vs.filter((v) => !options.kinds || options.kinds.includes(v.kind));
  let events = 0;
  let failedSessions = 0;
  const kindsSeen: ViolationKind[] = [];
  const samples = fc.sample(arb, { seed: options.seed, numRuns: options.sessions });
  let ran = 0;
  for (const session of samples) {
    ran++;
    const result = await runSession(session, check);
    events += result.events;
    const vs = relevant(result.violations);
    if (vs.length > 0) failedSessions++;
    for (const v of vs) {
      counts[v.kind] = (counts[v.kind] ?? 0) + 1;
      if (!kindsSeen.includes(v.kind)) kindsSeen.push(v.kind);
    }
    if (vs.length > 0 && options.stopAtFirst) break;
  }
  const ms = Math.round(performance.now() - started);
  const counterexamples: VerifyResult['counterexamples'] = [];
  if (options.shrink !== false) {
    for (const kind of kindsSeen) {
      const shrunk = await shrinkTo(arb, kind, check, options);
      if (!shrunk) continue;
      const dir = writeCounterexample(
        join(options.outDir ?? DEFAULT_OUT, `${kind}-seed${options.seed}`),
        shrunk.session,
        shrunk.violations,
      );
      counterexamples.push({ kind, dir, violations: shrunk.violations.map(formatViolation) });
    }
  }
  return {
    sessions: ran,
    events,
    failedSessions,
    violations: counts,
    counterexamples,
    ms,
    shrinkMs: Math.round(performance.now() - started) - ms,
  };
}

/** Finds the first session with a violation of `kind` from the same seed and lets fast-check shrink it. */
async function shrinkTo(
  arb: fc.Arbitrary<Session>,
  kind: ViolationKind,
  check: Parameters<typeof runSession>[1],
  options: VerifyOptions,
): Promise<{ session: Session; violations: Violation[] } | undefined> {
  let last: Violation[] = [];
  const result = await fc.check(
    fc.asyncProperty(arb, async (session) => {
      const vs = (await runSession(session, check)).violations.filter((v) => v.kind === kind);
      if (vs.length > 0) last = vs;
      return vs.length === 0;
    }),
    { seed: options.seed, numRuns: options.sessions, maxSkipsPerRun: 0 },
  );
  if (!result.failed || !result.counterexample) return undefined;
  // Re-run the shrunk session so the violations written are its own.
  const session = result.counterexample[0];
  const vs = (await runSession(session, check)).violations.filter((v) => v.kind === kind);
  return { session, violations: vs.length > 0 ? vs : last };
}

/** Prints a result the way `npm run verify` shows it. */
export function formatResult(r: VerifyResult, seed: number): string {
  const kinds = Object.entries(r.violations).map(([k, n]) => `${k} ${n}`);
  return [
    `sessions ${r.sessions} (seed ${seed}), leader events ${r.events}, time ${(r.ms / 1000).toFixed(1)} s` +
      (r.shrinkMs > 0 ? ` (+ ${(r.shrinkMs / 1000).toFixed(1)} s shrinking)` : ''),
    `sessions with violations ${r.failedSessions}; violations by kind: ${kinds.length ? kinds.join(', ') : 'none'}`,
    ...r.counterexamples.flatMap((c) => [
      `counterexample (${c.kind}): ${c.dir}`,
      `  replay it: ./tn replay ${c.dir}/signals.jsonl -c ${c.dir}/config.yaml`,
      ...c.violations.slice(0, 5).map((v) => `  ${v}`),
    ]),
  ].join('\n');
}
