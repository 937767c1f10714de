import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    'ninjatrader/index': 'src/ninjatrader/index.ts',
    'ninjatrader/simulator/index': 'src/ninjatrader/simulator/index.ts',
    'sierrachart/index': 'src/sierrachart/index.ts',
    'sierrachart/simulator/index': 'src/sierrachart/simulator/index.ts',
    'fix/index': 'src/fix/index.ts',
    'fix/simulator/index': 'src/fix/simulator/index.ts',
    'quantower/index': 'src/quantower/index.ts',
    'dxfeed/index': 'src/dxfeed/index.ts',
    'dxfeed/simulator/index': 'src/dxfeed/simulator/index.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  // Each subpath loads its own protocol library only when imported.
  external: ['@tradenova/core', 'zod', 'jspurefix', 'ws', /^@dxfeed\//],
});
