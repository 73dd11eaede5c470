import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    'sim/broken-scan': 'sim/broken-scan.ts',
    'sim/cli': 'sim/cli.ts',
    'sim/demo': 'sim/demo.ts',
    'bench/core': 'bench/core.ts',
  },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
});
