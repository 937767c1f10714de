import { defineConfig } from 'vitest/config';

/** Runs only the long verification (`npm run verify`); the normal suite never includes it. */
export default defineConfig({
  resolve: { conditions: ['@tradenova/source'] },
  ssr: { resolve: { conditions: ['@tradenova/source'] } },
  test: {
    root: new URL('../../../..', import.meta.url).pathname,
    include: ['packages/core/test/reference/verify.run.ts'],
    testTimeout: 86_400_000,
    reporters: ['dot'],
  },
});
