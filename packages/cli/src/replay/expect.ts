import { readFileSync } from 'node:fs';
import { CliError } from '../errors.js';

/**
 * What a `--brokers simulated` report (its `latency.clock` is `wall`) cannot reproduce from
 * one run to the next, as `docs/replay-report.md` names it: the wall-clock latency figures,
 * the ids adapters give the orders they make themselves (a flatten's closing orders on Sierra
 * Chart and FIX carry the wall time), and the order of fills reported at the same instant
 * (two instruments closed by one flatten arrive in either order). `--expect` leaves these out.
 */
export const NOT_REPRODUCIBLE_WHEN_SIMULATED = [
  'latency.p50',
  'latency.p90',
  'latency.p99',
  'latency.max',
  'accounts[].fills[].intentId of orders the adapter made (not tn + 22 characters)',
  'accounts[].fills[] order among fills with the same time',
  'events[].outcomes: filled and placed (whether the fill came before the acknowledgement)',
] as const;

/** The engine's intent ids; anything else in a fill is an adapter's own order id. */
const ENGINE_INTENT_ID = /^tn[0-9a-z]{22}$/;

interface FillLike {
  time?: unknown;
  contract?: unknown;
  side?: unknown;
  qty?: unknown;
  price?: unknown;
  intentId?: unknown;
}

/**
 * A report with what `NOT_REPRODUCIBLE_WHEN_SIMULATED` names taken out, for a run through the
 * simulators (`simulated`: the actual report's `latency.clock` is `wall`); as it is otherwise.
 * Apply it to both sides of a comparison, with the actual report's flag.
 */
export function reproducible(report: unknown, simulated: boolean): unknown {
  if (!simulated || report === null || typeof report !== 'object') return report;
  const r = report as Record<string, unknown>;
  const out: Record<string, unknown> = { ...r };
  if (r.latency !== null && typeof r.latency === 'object') {
    const { p50: _50, p90: _90, p99: _99, max: _max, ...latency } = r.latency as Record<string, unknown>;
    out.latency = latency;
  }
  if (Array.isArray(r.events)) {
    // Over a wire an order's fill may come before or after its acknowledgement: both mean it reached the broker.
    out.events = r.events.map((e: unknown) => {
      const outcomes = (e as { outcomes?: unknown } | null)?.outcomes;
      if (outcomes === null || typeof outcomes !== 'object') return e;
      const same = Object.fromEntries(
        Object.entries(outcomes).map(([k, v]) => [
          k,
          typeof v === 'string' ? v.replace(/\bfilled\b/g, 'placed') : v,
        ]),
      );
      return { ...(e as object), outcomes: same };
    });
  }
  if (Array.isArray(r.accounts)) {
    out.accounts = r.accounts.map((a: unknown) => {
      if (a === null || typeof a !== 'object' || !Array.isArray((a as { fills?: unknown }).fills)) return a;
      return { ...a, fills: canonicalFills((a as { fills: unknown[] }).fills) };
    });
  }
  return out;
}

/** Fills without adapter-made ids, sorted within each run of equal times (order across times kept). */
function canonicalFills(fills: readonly unknown[]): unknown[] {
  const key = (f: FillLike) => `${f.contract} ${f.side} ${f.qty} ${f.price}`;
  const cleaned = fills.map((f) => {
    if (f === null || typeof f !== 'object') return f;
    const fill = f as FillLike;
    if (typeof fill.intentId !== 'string' || ENGINE_INTENT_ID.test(fill.intentId)) return fill;
    const { intentId: _id, ...rest } = fill;
    return rest;
  });
  const out: unknown[] = [];
  for (let i = 0; i < cleaned.length; ) {
    const time = (cleaned[i] as FillLike | null)?.time;
    let j = i + 1;
    while (j < cleaned.length && (cleaned[j] as FillLike | null)?.time === time) j++;
    const run = cleaned.slice(i, j) as FillLike[];
    out.push(...run.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0)));
    i = j;
  }
  return out;
}

/** One place where the actual report differs from the expected one. */
export interface Difference {
  path: string;
  expected: unknown;
  actual: unknown;
}

/**
 * Fields that name an element of a report array, tried in this order: `accounts` by `name`,
 * `positions`, `fills` and `drift` by `contract`, `blocked`/`skipped`/`rejected` by `signalId`,
 * `signals.errors` by `line`.
 */
const KEYS = ['name', 'contract', 'signalId', 'intentId', 'line'] as const;

/** The key every element of an expected array has (objects only), if any. */
function keyOf(expected: readonly unknown[]): string | undefined {
  if (expected.length === 0) return undefined;
  // A key names an element only when no two elements share it (fills share a contract: they
  // are compared in order).
  return KEYS.find((key) => {
    const values = expected.map((e) =>
      e !== null && typeof e === 'object' && !Array.isArray(e)
        ? (e as Record<string, unknown>)[key]
        : undefined,
    );
    return values.every(isScalar) && new Set(values).size === values.length;
  });
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * Differences between an expected and an actual JSON value. The expected file
 * may be partial: fields it leaves out are not compared, so an expectation can
 * pin just the final positions, say. Arrays of named objects (every expected
 * element has a `name`, `contract`, `signalId`, `intentId` or `line`) match by
 * that key and partially: each expected element must have an actual one with
 * the same key (the first not yet matched), others are not compared. Other
 * arrays (and `[]`) compare element by element, and their length must match.
 */
export function diffJson(
  expected: unknown,
  actual: unknown,
  path = '',
  out: Difference[] = [],
): Difference[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      out.push({ path: path || '(root)', expected: 'an array', actual });
      return out;
    }
    const key = keyOf(expected);
    if (key !== undefined) {
      const used = new Set<number>();
      for (const e of expected as Record<string, unknown>[]) {
        const want = e[key];
        const where = `${path}[${key}=${String(want)}]`;
        const index = actual.findIndex(
          (a, i) =>
            !used.has(i) &&
            a !== null &&
            typeof a === 'object' &&
            (a as Record<string, unknown>)[key] === want,
        );
        if (index < 0) {
          out.push({
            path: where,
            expected: `an element with ${key} ${JSON.stringify(want)}`,
            actual: 'none',
          });
          continue;
        }
        used.add(index);
        diffJson(e, actual[index], where, out);
      }
      return out;
    }
    if (expected.length !== actual.length)
      out.push({ path: `${path}.length`, expected: expected.length, actual: actual.length });
    expected.forEach((e, i) => {
      if (i < actual.length) diffJson(e, actual[i], `${path}[${i}]`, out);
    });
    return out;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      out.push({ path: path || '(root)', expected: 'an object', actual });
      return out;
    }
    for (const [k, v] of Object.entries(expected)) {
      diffJson(v, (actual as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out);
    }
    return out;
  }
  if (expected !== actual) out.push({ path: path || '(root)', expected, actual });
  return out;
}

/**
 * Reads and checks an expectation file before a replay spends time: it must exist and be a
 * JSON object (the report's shape). A syntax error names file:line:col.
 */
export function readExpectation(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `file not found: ${file}` : `cannot read expectation ${file}: ${code}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    const { line, column } = lineColumn(text, at ? Number(at[1]) : 0);
    throw new CliError(
      `${file}:${line}:${column}: not valid JSON: ${message.replace(/ in JSON at position.*$/, '')}`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CliError(
      `${file}:1:1: an expectation is a JSON object in the report's shape, e.g. { "violations": 0 }`,
    );
  return value as Record<string, unknown>;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** Human lines for differences, at most `limit`. */
export function formatDifferences(diffs: readonly Difference[], limit = 30): string {
  const lines = diffs
    .slice(0, limit)
    .map((d) => `  ${d.path}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`);
  if (diffs.length > limit) lines.push(`  … ${diffs.length - limit} more`);
  return lines.join('\n');
}
