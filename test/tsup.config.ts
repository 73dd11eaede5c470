import { defineConfig } from 'tsup';
import { packageBuild } from '../tsup.shared.js';

// runnable entry points only (no declarations): the simulator CLI, its demo, the benchmarks
export default defineConfig(
  packageBuild(
    {
      'sim/broken-scan': 'sim/broken-scan.ts',
      'sim/cli': 'sim/cli.ts',
      'sim/demo': 'sim/demo.ts',
      'bench/core': 'bench/core.ts',
    },
    false,
  ),
);
