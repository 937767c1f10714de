// The control API's stream under load (api-stream.ts): bundles that TypeScript file with esbuild
// (packages external, so @tradenova/core is the built one) and runs it. After a build:
//   node packages/cli/bench/api-stream.bench.mjs         (BENCH_RUNS=N rounds per condition, default 400)
import { mkdtempSync, rmSync } from 'node:fs';

import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { figure } from '../../../scripts/bench-figures.mjs';

// The bundled bench reports its figures through this (it cannot import the .mjs helper itself).
globalThis.tnBenchFigure = figure;

const here = dirname(fileURLToPath(import.meta.url));
// One level below the package, so the bundle's `../package.json` (the version) is the package's.
const dir = mkdtempSync(join(here, '..', '.api-bench-'));
const out = join(dir, 'api-stream.mjs');
try {
  await build({
    entryPoints: [join(here, 'api-stream.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    logLevel: 'error',
  });
  await import(pathToFileURL(out).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
