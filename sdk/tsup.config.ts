import { defineConfig } from 'tsup';

// ESM and CommonJS with declarations. The wire contract is bundled in (its zod too), so the CJS
// build needs no ESM-only package at run time; `ws` stays a dependency.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  noExternal: ['@baton/proto-schemas', 'zod'],
  external: ['ws'],
  treeshake: true,
});
