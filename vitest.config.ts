import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Inside the workspace, tests import the packages' TypeScript sources (no build needed), as
// tsconfig.base.json's `paths` do for the type-check: `@tradenova/<pkg>` is packages/<pkg>/src/index.ts
// and `@tradenova/<pkg>/<sub>` is packages/<pkg>/src/<sub>/index.ts. Published manifests point at dist/.
const packages = fileURLToPath(new URL('./packages/', import.meta.url));
const sources = [
  { find: /^@tradenova\/(core|adapter-[a-z]+)$/, replacement: `${packages}$1/src/index.ts` },
  {
    find: /^@tradenova\/(core|adapter-[a-z]+)\/(?!package\.json$)(.+)$/,
    replacement: `${packages}$1/src/$2/index.ts`,
  },
];

export default defineConfig({
  resolve: { alias: sources, conditions: ['@tradenova/source'] },
  ssr: { resolve: { conditions: ['@tradenova/source'] } },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'packages/*/test/**/*.test.tsx',
      'examples/*/test/**/*.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
