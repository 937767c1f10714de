/**
 * The fuzz harness every suite uses (packages/*\/test/fuzz/*.fuzz.test.ts): fast-check, seeded,
 * shrinking to a minimal input, which is written as a file (and its path printed) so it can be
 * replayed and turned into a regression test. CI runs `TN_FUZZ_RUNS` cases per suite (2,000 by
 * default); `npm run fuzz -- --runs 100000` runs long (scripts/fuzz.mjs).
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';

/** Cases per suite: `TN_FUZZ_RUNS`, 2,000 by default (what CI runs). */
export const FUZZ_RUNS = Number(process.env.TN_FUZZ_RUNS ?? 2_000);
/** The seed of every suite: `TN_FUZZ_SEED`, fixed by default so CI is reproducible. */
export const FUZZ_SEED = Number(process.env.TN_FUZZ_SEED ?? 20_261_206);
/** Where shrunk counterexamples are written. */
export const FUZZ_FAILURE_DIR = resolve(
  process.env.TN_FUZZ_FAILURES ?? join(import.meta.dirname, '../../../../.fuzz-failures'),
);

/** Whether a thrown value is an acceptable answer to bad input. */
export type TypedError = (error: unknown) => boolean;

/**
 * Runs `input` through `decode`; a throw must satisfy `typed`. Anything else (a TypeError from
 * reading a field of undefined, a RangeError from a bad length) fails the property.
 */
export function answersOrRefuses<T>(decode: () => T, typed: TypedError): void {
  try {
    decode();
  } catch (error) {
    if (typed(error)) return;
    throw error;
  }
}

/** Errors of these classes (by instance) are typed answers. */
export function errorOf(...classes: (abstract new (...args: never[]) => Error)[]): TypedError {
  return (error) => classes.some((c) => error instanceof c);
}

/**
 * Checks `property` on `runs` inputs from `arb`. On failure the shrunk input is written to
 * `<FUZZ_FAILURE_DIR>/<suite>-seed<seed>.<ext>` (as bytes for a Uint8Array, text for a string,
 * JSON otherwise) and the test fails naming the file, the seed and the path to replay.
 */
export function fuzz<T>(
  suite: string,
  arb: fc.Arbitrary<T>,
  property: (input: T) => void,
  options: { runs?: number } = {},
): void {
  const runs = options.runs ?? FUZZ_RUNS;
  const started = performance.now();
  const result = fc.check(fc.property(arb, property), { numRuns: runs, seed: FUZZ_SEED });
  settle(suite, result, performance.now() - started);
}

/** The same for a property that talks to a socket (a simulator's decoder behind its server). */
export async function fuzzAsync<T>(
  suite: string,
  arb: fc.Arbitrary<T>,
  property: (input: T) => Promise<void>,
  options: { runs?: number } = {},
): Promise<void> {
  const runs = options.runs ?? FUZZ_RUNS;
  const started = performance.now();
  const result = await fc.check(fc.asyncProperty(arb, property), { numRuns: runs, seed: FUZZ_SEED });
  settle(suite, result, performance.now() - started);
}

function settle<T>(suite: string, result: fc.RunDetails<[T]>, ms: number): void {
  report(suite, result.numRuns, result.failed ? 1 : 0, ms);
  if (!result.failed) return;
  const input = result.counterexample?.[0];
  mkdirSync(FUZZ_FAILURE_DIR, { recursive: true });
  const safe = suite.replace(/[^A-Za-z0-9_.-]+/g, '-');
  let file: string;
  if (input instanceof Uint8Array) {
    file = join(FUZZ_FAILURE_DIR, `${safe}-seed${FUZZ_SEED}.bin`);
    writeFileSync(file, input);
  } else if (typeof input === 'string') {
    file = join(FUZZ_FAILURE_DIR, `${safe}-seed${FUZZ_SEED}.txt`);
    writeFileSync(file, input);
  } else {
    file = join(FUZZ_FAILURE_DIR, `${safe}-seed${FUZZ_SEED}.json`);
    writeFileSync(file, `${JSON.stringify(input, null, 2)}\n`);
  }
  const cause =
    result.errorInstance instanceof Error ? result.errorInstance : new Error(String(result.errorInstance));
  throw new Error(
    `fuzz ${suite}: a crash after ${result.numRuns} cases (seed ${FUZZ_SEED}, path ${result.counterexamplePath}); ` +
      `the shrunk input is in ${file}\n${cause.stack ?? cause.message}`,
  );
}

/** Appends one line per suite to `TN_FUZZ_REPORT` (scripts/fuzz.mjs sums them). */
function report(suite: string, runs: number, failures: number, ms: number): void {
  const file = process.env.TN_FUZZ_REPORT;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ suite, runs, failures, ms: Math.round(ms), seed: FUZZ_SEED })}\n`);
}

/** Text that is mostly JSON-like: fragments that reach deeper than random characters. */
export function jsonish(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.json({ maxDepth: 4 }),
    fc.json({ maxDepth: 3 }).map((s) => s.slice(0, Math.max(0, s.length - 1))),
  );
}

/** A JSON value shaped like an object with the given keys (each possibly any value). */
export function objectWith(
  keys: readonly string[],
  values: fc.Arbitrary<unknown>,
): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fc.constantFrom(...keys), values, { maxKeys: keys.length });
}

/** Any JSON-ish value, with the numbers that break code: NaN, ±Infinity, huge, negative, fractional. */
export function nastyValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(null, undefined, true, false, '', '0', '-1', 'NaN', 'Infinity', '1e400', '9'.repeat(40)),
    fc.constantFrom(
      0,
      -1,
      1,
      0.5,
      1e21,
      -1e21,
      8.64e15 + 1,
      Number.MAX_SAFE_INTEGER + 2,
      Number.NaN,
      Infinity,
      -Infinity,
    ),
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 20 }),
    fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), {
      maxKeys: 3,
    }),
  );
}
