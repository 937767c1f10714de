import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packages = fileURLToPath(new URL('../../../', import.meta.url));
// Only the conformance suite registers tests; it is reached through '@tradenova/core/testing'.
const testOnly = new Set(['core/src/testing/conformance.ts', 'core/src/testing/index.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe('runtime code and vitest', () => {
  it('no published module outside the conformance suite imports vitest or @tradenova/core/testing', () => {
    const offenders: string[] = [];
    for (const pkg of readdirSync(packages)) {
      let files: string[];
      try {
        files = sources(join(packages, pkg, 'src'));
      } catch {
        continue;
      }
      for (const file of files) {
        const name = relative(packages, file);
        if (testOnly.has(name)) continue;
        const text = readFileSync(file, 'utf8');
        if (
          /from\s+'(vitest|@tradenova\/core\/testing)'|import\(\s*'(vitest|@tradenova\/core\/testing)'/.test(
            text,
          )
        )
          offenders.push(name);
      }
    }
    expect(offenders).toEqual([]);
  });
});
