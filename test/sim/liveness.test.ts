import { describe, expect, it } from 'vitest';
import { runSeeds, TEST_SEEDS } from './seeds.js';

// Liveness mode (VOPR): faults, then a healed quorum core must elect, commit and stay stable.
describe('simulator, liveness mode', () => {
  const chunk = 50;
  for (let start = 0; start < TEST_SEEDS; start += chunk) {
    it(`seeds ${start}..${start + chunk - 1} recover once a quorum is healed`, () => {
      const failures = runSeeds('liveness', start, chunk);
      expect(failures, failures.join('\n\n')).toEqual([]);
    });
  }
});
