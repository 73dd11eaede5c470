import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'sim/**/*.test.ts',
      'bench/**/*.test.ts',
      'storage/**/*.test.ts',
      'cluster/**/*.test.ts',
      'status/**/*.test.ts',
      'sdk/**/*.test.ts',
      'chaos/**/*.test.ts',
      'cli/**/*.test.ts',
      'examples/**/*.test.ts',
      'security/**/*.test.ts',
      'members/**/*.test.ts',
    ],
    // each simulator test runs 50 seeds of a few simulated minutes; they are CPU-bound, not stuck
    testTimeout: 300_000,
    pool: 'forks',
  },
});
