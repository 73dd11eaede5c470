/**
 * Scans seeds for each deliberately broken core and prints the first seeds that catch it, or
 * replays one: node test/dist/sim/broken-scan.js --only previous --seed 1220
 */
import { parseArgs } from 'node:util';
import { BROKEN_VARIANTS } from './broken.js';
import { runSeed } from './run.js';

const { values } = parseArgs({
  options: { seeds: { type: 'string', default: '300' }, only: { type: 'string' }, seed: { type: 'string' } },
});
for (const v of BROKEN_VARIANTS) {
  if (values.only && !v.name.includes(values.only)) continue;
  const found: string[] = [];
  const first = values.seed !== undefined ? Number(values.seed) : 0;
  const last = values.seed !== undefined ? first + 1 : Number(values.seeds);
  for (let seed = first; seed < last && found.length < 5; seed++) {
    const r = runSeed({
      seed,
      mode: 'safety',
      nodes: seed % 2 ? 5 : 3,
      durationMs: 60_000,
      maxSteps: 2_000_000,
      factory: v.factory,
      readOnlyOption: v.readOnlyOption,
      traceLines: values.seed !== undefined ? 400 : 0,
    });
    if (!r.ok) found.push(`${seed}: ${r.violation?.slice(0, 120)}`);
    if (values.seed !== undefined) for (const l of r.trace.slice(-80)) console.log(l);
  }
  console.log(v.name, found);
}
