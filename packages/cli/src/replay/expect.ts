/** One place where the actual report differs from the expected one. */
export interface Difference {
  path: string;
  expected: unknown;
  actual: unknown;
}

/**
 * Differences between an expected and an actual JSON value. The expected file
 * may be partial: fields it leaves out are not compared, so an expectation can
 * pin just the final positions, say. Arrays compare element by element and by length.
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

/** Human lines for differences, at most `limit`. */
export function formatDifferences(diffs: readonly Difference[], limit = 30): string {
  const lines = diffs
    .slice(0, limit)
    .map((d) => `  ${d.path}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`);
  if (diffs.length > limit) lines.push(`  … ${diffs.length - limit} more`);
  return lines.join('\n');
}
