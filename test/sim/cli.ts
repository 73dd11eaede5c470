/**
 * npm run sim -- --seeds 1000 [--start 0] [--steps N] [--nodes 3|5] [--mode safety|liveness|both]
 *              [--duration ms] [--async-persist] [--seed S --trace]
 * Runs many seeds and prints a summary; a failing seed prints the one command that replays it
 * and the last steps of its trace.
 */
import { parseArgs } from 'node:util';
import { ELECTION_MS } from './cluster.js';
import {
  DEFAULT_DURATION_MS,
  DEFAULT_MAX_STEPS,
  type RunOptions,
  replayCommand,
  runSeed,
  type SimMode,
} from './run.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    start: { type: 'string', default: '0' },
    seed: { type: 'string' },
    steps: { type: 'string', default: String(DEFAULT_MAX_STEPS) },
    nodes: { type: 'string' },
    mode: { type: 'string', default: 'both' },
    duration: { type: 'string', default: String(DEFAULT_DURATION_MS) },
    read: { type: 'string' },
    trace: { type: 'boolean', default: false },
    'async-persist': { type: 'boolean', default: false },
  },
});

function int(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a non-negative integer, got ${v}`);
    process.exit(2);
  }
  return n;
}

const modes: SimMode[] =
  values.mode === 'both'
    ? ['safety', 'liveness']
    : values.mode === 'safety' || values.mode === 'liveness'
      ? [values.mode]
      : [];
if (modes.length === 0) {
  console.error(`--mode must be safety, liveness or both, got ${values.mode}`);
  process.exit(2);
}
const read = values.read;
if (read !== undefined && read !== 'safe' && read !== 'lease') {
  console.error(`--read must be safe or lease, got ${read}`);
  process.exit(2);
}
const single = values.seed !== undefined;
const start = single ? int('seed', values.seed) : int('start', values.start);
const count = single ? 1 : int('seeds', values.seeds);
const durationMs = int('duration', values.duration);
const maxSteps = int('steps', values.steps);

let failures = 0;
let runs = 0;
const began = process.hrtime.bigint();
const totals: Record<string, number> = {};
const elected: number[] = [];
const fromFree: number[] = [];
let withSplitVotes = 0;
const electionsAfterHeal: number[] = [];
for (let seed = start; seed < start + count; seed++) {
  for (const mode of modes) {
    // 3- and 5-node clusters alternate by seed unless --nodes is given
    const nodes = values.nodes !== undefined ? int('nodes', values.nodes) : seed % 2 === 0 ? 3 : 5;
    const o: RunOptions = {
      seed,
      mode,
      nodes,
      durationMs,
      maxSteps,
      readOnlyOption: read,
      ...(values['async-persist'] ? { asyncPersist: true } : {}),
      traceLines: single ? 400 : 0,
    };
    const r = runSeed(o);
    runs++;
    for (const [k, v] of Object.entries(r.stats)) totals[k] = (totals[k] ?? 0) + v;
    if (r.ok && mode === 'liveness') {
      elected.push(r.stats.electedAfterMs ?? 0);
      fromFree.push(r.stats.electedAfterFreeMs ?? 0);
      if ((r.stats.splitVotes ?? 0) > 0) withSplitVotes++;
      electionsAfterHeal.push(r.stats.electionsAfterHeal ?? 0);
    }
    if (!r.ok) {
      failures++;
      console.log(`\nFAIL seed ${seed} (${mode}, ${nodes} nodes): ${r.violation}`);
      console.log(`replay: ${replayCommand(o)}`);
      console.log('last steps:');
      for (const line of r.trace.slice(single ? -400 : -40)) console.log(`  ${line}`);
    } else if (single && values.trace) {
      for (const line of r.trace) console.log(`  ${line}`);
      console.log(`seed ${seed} (${mode}) ok: ${JSON.stringify(r.stats)}`);
    }
    if (!single && runs % 200 === 0) {
      const s = Number(process.hrtime.bigint() - began) / 1e9;
      process.stderr.write(`  ${runs} runs, ${failures} failed, ${s.toFixed(0)}s\n`);
    }
  }
}
const secs = Number(process.hrtime.bigint() - began) / 1e9;
console.log(
  `\nsim: ${runs} runs (seeds ${start}..${start + count - 1}, modes ${modes.join('+')}) in ${secs.toFixed(1)}s: ` +
    `${runs - failures} passed, ${failures} failed`,
);
console.log(
  `  totals: ${totals.events ?? 0} events, ${Math.round((totals.simulatedMs ?? 0) / 1000)} simulated s, ` +
    `${totals.acked ?? 0} proposals acknowledged, ${totals.readsServed ?? 0} reads checked, ` +
    `${totals.leaderChanges ?? 0} leader changes, ${totals.crashes ?? 0} crashes, ${totals.snapshotsSent ?? 0} snapshots sent`,
);
if (elected.length > 0) {
  const sorted = elected.slice().sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  const within2 = sorted.filter((ms) => ms <= 2 * ELECTION_MS).length;
  console.log(
    `  liveness: core led ${q(0.5)}ms (p50), ${q(0.99)}ms (p99), ${sorted[sorted.length - 1]}ms (max) after the heal; ` +
      `${within2}/${sorted.length} within 2 election timeouts; elections in the 20 timeouts after: ` +
      `max ${Math.max(...electionsAfterHeal)}`,
  );
  const free = fromFree.slice().sort((a, b) => a - b);
  console.log(
    `  liveness: from the moment the core was free to vote (no member keeping CheckQuorum's promise): ` +
      `p50 ${free[Math.floor(free.length / 2)]}ms, max ${free[free.length - 1]}ms (bound: 2 election timeouts = ${2 * ELECTION_MS}ms, plus as much per split vote; ` +
      `${withSplitVotes} runs had one)`,
  );
}
process.exit(failures > 0 ? 1 : 0);
