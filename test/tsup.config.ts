import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['sim/cli.ts', 'sim/demo.ts', 'bench/core.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
});
