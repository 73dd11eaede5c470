import { describe, expect, it } from 'vitest';
import { REGRESSION_SEEDS } from './regressions.js';
import { replayCommand, runSeed } from './run.js';

describe('seeds that once failed', () => {
  for (const s of REGRESSION_SEEDS) {
    it(`seed ${s.seed} (${s.mode}, ${s.nodes} nodes) passes`, () => {
      const o = { seed: s.seed, mode: s.mode, nodes: s.nodes, durationMs: s.durationMs, maxSteps: 4_000_000 };
      const r = runSeed(o);
      expect(r.ok, `${r.violation}\nreplay: ${replayCommand(o)}\nonce found: ${s.found}`).toBe(true);
    });
  }
});
