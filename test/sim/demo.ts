/**
 * `npm start` until the server exists: runs one simulated 3-node cluster through a few faults
 * and prints what happened, so a newcomer sees the Raft core at work.
 */
import { runSeed } from './run.js';

console.log('Baton: the coordination server is not built yet; this is the Raft core in the simulator.');
console.log('Running a 3-node cluster for 30 simulated seconds with partitions, crashes and pauses...\n');
const r = runSeed({ seed: 7, mode: 'liveness', nodes: 3, durationMs: 30_000, maxSteps: 1_000_000, traceLines: 400 });
for (const line of r.trace) console.log(line);
console.log(`\n${r.ok ? 'all safety and liveness checks passed' : `VIOLATION: ${r.violation}`}`);
console.log(JSON.stringify(r.stats, null, 2));
process.exit(r.ok ? 0 : 1);
