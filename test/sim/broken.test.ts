import { describe, expect, it } from 'vitest';
import { BROKEN_VARIANTS } from './broken.js';
import { runSeed } from './run.js';

/** The checkers must be able to fail: each deliberately broken core is caught within this many seeds. */
const MAX_SEEDS = 150;

describe('the simulator catches deliberately broken cores', () => {
  for (const v of BROKEN_VARIANTS) {
    it(`catches a core that ${v.name}`, () => {
      let caught: string | undefined;
      for (let seed = 0; seed < MAX_SEEDS && caught === undefined; seed++) {
        const r = runSeed({
          seed,
          mode: 'safety',
          nodes: seed % 2 === 0 ? 3 : 5,
          durationMs: 60_000,
          maxSteps: 2_000_000,
          factory: v.factory,
          readOnlyOption: v.readOnlyOption,
        });
        if (!r.ok) caught = `seed ${seed}: ${r.violation}`;
      }
      expect(caught, `not caught within ${MAX_SEEDS} seeds`).toBeDefined();
      expect(caught).toMatch(v.expect);
    });
  }
});
