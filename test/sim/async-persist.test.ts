import { describe, expect, it } from 'vitest';
import { runSeeds } from './seeds.js';

// Persists take simulated time, as in baton-server's loop: a Ready's messages leave and its durable
// committed entries apply before its fsync returns, and RawNode.takeEarly() sends and applies what
// need not wait meanwhile. Every invariant of both modes must still hold.
const SEEDS = 60;

describe('simulator, asynchronous persists (RawNode.takeEarly)', () => {
  for (const mode of ['safety', 'liveness'] as const) {
    it(`${mode}: seeds 0..${SEEDS - 1}`, () => {
      const failures = runSeeds(mode, 0, SEEDS, undefined, true);
      expect(failures, failures.join('\n\n')).toEqual([]);
    });
  }
});
