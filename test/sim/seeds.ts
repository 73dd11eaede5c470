import { type RunOptions, replayCommand, runSeed, type SimMode } from './run.js';

/** Seeds `npm test` runs in each mode, and the simulated time each gets. */
export const TEST_SEEDS = 500;
export const TEST_DURATION_MS = 120_000;

/** Runs seeds [start, start + count) and returns a readable report of every failure. */
export function runSeeds(
  mode: SimMode,
  start: number,
  count: number,
  durationMs = TEST_DURATION_MS,
  asyncPersist = false,
): string[] {
  const failures: string[] = [];
  for (let seed = start; seed < start + count; seed++) {
    const o: RunOptions = {
      seed,
      mode,
      nodes: seed % 2 === 0 ? 3 : 5,
      durationMs,
      maxSteps: 4_000_000,
      ...(asyncPersist ? { asyncPersist } : {}),
    };
    const r = runSeed(o);
    if (!r.ok) {
      failures.push(
        [`seed ${seed} (${mode}): ${r.violation}`, `replay: ${replayCommand(o)}`, ...r.trace.slice(-25)].join('\n  '),
      );
    }
  }
  return failures;
}
