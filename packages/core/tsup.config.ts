import { defineConfig } from 'tsup';

// One entry per public entry point of package.json `exports`: the root and its subpaths (each
// subpath is the index of the src/ folder of the same name). Shared code is split into common
// chunks, so a class reached through two entries is one class (instanceof holds).
const subpaths = [
  'adapter',
  'config',
  'engine',
  'instruments',
  'market-data',
  'paper',
  'replay',
  'risk',
  'testing',
] as const;

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    ...Object.fromEntries(subpaths.map((name) => [`${name}/index`, `src/${name}/index.ts`])),
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  // The conformance suite registers tests with the caller's vitest; never bundle it.
  external: ['vitest'],
});
