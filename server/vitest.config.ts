import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Sweeps over every byte of a log do hundreds of fsyncs: on a shared, loaded machine they may
    // take many seconds. The timeout only stops a stuck test; nothing here is timed.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
