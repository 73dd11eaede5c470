import { defineConfig } from 'tsup';
import { packageBuild } from '../tsup.shared.js';

// runnable entry points only (no declarations): the simulator CLI, its demo, the benchmarks, and
// the child process of the kill -9 storage test
export default defineConfig(
  packageBuild(
    {
      'chaos/check/cli': 'chaos/check/cli.ts',
      'chaos/cli': 'chaos/cli.ts',
      'sim/broken-scan': 'sim/broken-scan.ts',
      'sim/cli': 'sim/cli.ts',
      'sim/demo': 'sim/demo.ts',
      'bench/api': 'bench/api.ts',
      'bench/compare/cli': 'bench/compare/cli.ts',
      'bench/core': 'bench/core.ts',
      'bench/load': 'bench/load/cli.ts',
      'bench/load-holder': 'bench/load/holder.ts',
      'bench/wal': 'bench/wal.ts',
      'storage/kill9-child': 'storage/kill9-child.ts',
    },
    false,
  ),
);
