import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // property tests run thousands of cases; on a shared, loaded CI machine they may take many
    // seconds. The timeout only stops a stuck test; nothing here is timed.
    testTimeout: 60_000,
  },
});
