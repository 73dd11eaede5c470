import { defineConfig } from 'tsup';

export default defineConfig([
  // The library: ESM and CommonJS with declarations. The wire contract is bundled in (its zod
  // too), so the CJS build needs no ESM-only package at run time; `ws` stays a dependency.
  // `dist/cli/` belongs to the CLI build below and is left alone by this one's clean.
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: ['!cli/**'],
    target: 'node20',
    noExternal: ['@baton/proto-schemas', 'zod'],
    external: ['ws'],
    treeshake: true,
  },
  // The `baton` CLI (bin/baton.js loads it): ESM only. It imports the library's own build
  // (`../index.js` stays an import) so the CLI and the library are one copy of the SDK.
  {
    entry: { main: 'src/cli/main.ts' },
    outDir: 'dist/cli',
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: true,
    target: 'node20',
    external: ['ws', /^\.\.\/index\.js$/],
  },
]);
