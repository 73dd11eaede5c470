import { describe, expect, it } from 'vitest';
import { type FsmRunOptions, fsmReplayCommand, runFsmSeed } from './fsm-run.js';

/** Seeds and simulated time per seed; 3- and 5-node clusters alternate by seed. */
const FSM_TEST_SEEDS = 100;
const FSM_TEST_DURATION_MS = 60_000;
const FSM_MAX_STEPS = 4_000_000;

function options(seed: number, nodes?: number, durationMs?: number): FsmRunOptions {
  return {
    seed,
    nodes: nodes ?? (seed % 2 === 0 ? 3 : 5),
    durationMs: durationMs ?? FSM_TEST_DURATION_MS,
    maxSteps: FSM_MAX_STEPS,
  };
}

function runSeeds(start: number, count: number): { failures: string[]; totals: Record<string, number> } {
  const failures: string[] = [];
  const totals: Record<string, number> = {};
  for (let seed = start; seed < start + count; seed++) {
    const o = options(seed);
    const r = runFsmSeed(o);
    for (const [k, v] of Object.entries(r.stats)) totals[k] = (totals[k] ?? 0) + v;
    if (!r.ok) {
      failures.push(
        [`seed ${seed}: ${r.violation}`, `replay: ${fsmReplayCommand(o)}`, ...r.trace.slice(-25)].join('\n  '),
      );
    }
  }
  return { failures, totals };
}

const env = process.env;
const replaySeed = env.FSM_SIM_SEED;

// The coordination state machine on every node of a faulty cluster: its invariants, FIFO grants,
// strictly increasing tokens, exactly-once retries and identical state on every node, checked
// after every applied entry (fsm-app.ts).
describe('simulator, state machine mode', () => {
  if (replaySeed !== undefined) {
    it(`replays seed ${replaySeed}`, () => {
      const o = options(
        Number(replaySeed),
        env.FSM_SIM_NODES === undefined ? undefined : Number(env.FSM_SIM_NODES),
        env.FSM_SIM_DURATION_MS === undefined ? undefined : Number(env.FSM_SIM_DURATION_MS),
      );
      const r = runFsmSeed({ ...o, traceLines: 400 });
      console.log([...r.trace, JSON.stringify(r.stats)].join('\n'));
      expect(r.ok, `${r.violation}\nreplay: ${fsmReplayCommand(o)}`).toBe(true);
    });
    return;
  }
  const chunk = 50;
  for (let start = 0; start < FSM_TEST_SEEDS; start += chunk) {
    it(`seeds ${start}..${start + chunk - 1} keep every state machine invariant`, () => {
      const { failures, totals } = runSeeds(start, chunk);
      expect(failures, failures.join('\n\n')).toEqual([]);
      const shown = [
        'committed',
        'fsmEntries',
        'grants',
        'retries',
        'restores',
        'expiriesProposed',
        'delayEndsProposed',
      ];
      console.log(`fsm sim seeds ${start}..${start + chunk - 1}: ${shown.map((k) => `${k} ${totals[k]}`).join(', ')}`);
      // the load reaches what is checked (a run that grants nothing checks nothing)
      expect(totals.fsmEntries).toBeGreaterThan(chunk * 100);
      expect(totals.grants).toBeGreaterThan(chunk * 20);
      expect(totals.restores).toBeGreaterThan(chunk);
      expect(totals.retries).toBeGreaterThan(chunk);
      expect(totals.delayEndsProposed).toBeGreaterThan(0);
    });
  }
});
