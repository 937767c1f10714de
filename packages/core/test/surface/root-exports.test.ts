import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as root from '../../src/index.js';

// Issue 19: the root entry is a deliberate surface. Types are free at runtime; values (functions,
// classes, consts, enums) are what the count limits. Above the limit, move building blocks to a
// subpath entry (packages/core/README.md) instead of raising it.
const MAX_ROOT_RUNTIME_NAMES = 90;

const core = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(`${core}package.json`, 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
};
const tsupConfig = readFileSync(`${core}tsup.config.ts`, 'utf8');

describe('@tradenova/core root entry', () => {
  it(`exports fewer than ${MAX_ROOT_RUNTIME_NAMES} runtime names`, () => {
    const names = Object.keys(root).sort();
    expect(names.length, `the root exports ${names.length} runtime names: ${names.join(', ')}`).toBeLessThan(
      MAX_ROOT_RUNTIME_NAMES,
    );
  });

  it('lists every name by hand (no export *)', () => {
    const text = readFileSync(`${core}src/index.ts`, 'utf8');
    expect(text).not.toMatch(/^export\s+(type\s+)?\*/m);
  });
});

describe('@tradenova/core subpath entries', () => {
  const subpaths = Object.keys(manifest.exports)
    .filter((key) => key !== '.' && key !== './package.json')
    .map((key) => key.slice(2));

  it('has the entries the README documents', () => {
    expect(subpaths).toEqual([
      'adapter',
      'config',
      'engine',
      'instruments',
      'market-data',
      'paper',
      'replay',
      'risk',
      'testing',
    ]);
  });

  it.each(subpaths)('%s: a src folder index, a tsup entry and types/import/require conditions', (sub) => {
    expect(existsSync(`${core}src/${sub}/index.ts`)).toBe(true);
    expect(tsupConfig).toContain(`'${sub}'`);
    expect(manifest.exports[`./${sub}`]).toEqual({
      types: `./dist/${sub}/index.d.ts`,
      import: `./dist/${sub}/index.js`,
      require: './esm-only.cjs',
    });
  });
});
