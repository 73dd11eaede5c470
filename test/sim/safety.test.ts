import { describe, expect, it } from 'vitest';
import { runSeeds, TEST_SEEDS } from './seeds.js';

// Safety mode (VOPR): faults all the way; every Raft invariant is checked after every event.
describe('simulator, safety mode', () => {
  const chunk = 50;
  for (let start = 0; start < TEST_SEEDS; start += chunk) {
    it(`seeds ${start}..${start + chunk - 1} keep every invariant`, () => {
      const failures = runSeeds('safety', start, chunk);
      expect(failures, failures.join('\n\n')).toEqual([]);
    });
  }
});
