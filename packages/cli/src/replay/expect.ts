import { readFileSync } from 'node:fs';
import { CliError } from '../errors.js';

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
  return KEYS.find((key) =>
    expected.every(
      (e) =>
        e !== null &&
        typeof e === 'object' &&
        !Array.isArray(e) &&
        isScalar((e as Record<string, unknown>)[key]),
    ),
  );
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
