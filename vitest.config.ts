import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@tradenova/source'] },
  ssr: { resolve: { conditions: ['@tradenova/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'packages/*/test/**/*.test.tsx'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
