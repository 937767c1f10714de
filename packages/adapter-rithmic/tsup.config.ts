import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'simulator/index': 'src/simulator/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  // zod comes with @tradenova/core (one copy, so schemas compose); protobufjs stays a runtime
  // dependency. The .proto files are not bundled: they ship in proto/ and are read relative to the module.
  external: ['zod', 'protobufjs'],
});
