import { parseArgs } from 'node:util';
import { BROKEN_VARIANTS } from './broken.js';
import { runSeed } from './run.js';

/** Scans seeds for each broken variant and prints the first seeds that catch it (for picking regression seeds). */
const { values } = parseArgs({ options: { seeds: { type: 'string', default: '300' }, only: { type: 'string' } } });
for (const v of BROKEN_VARIANTS) {
  if (values.only && !v.name.includes(values.only)) continue;
  const found: string[] = [];
  for (let seed = 0; seed < Number(values.seeds) && found.length < 5; seed++) {
    const r = runSeed({
      seed,
      mode: 'safety',
      nodes: seed % 2 ? 5 : 3,
      durationMs: 60_000,
      maxSteps: 2_000_000,
      factory: v.factory,
      readOnlyOption: v.readOnlyOption,
    });
    if (!r.ok) found.push(`${seed}: ${r.violation?.slice(0, 120)}`);
  }
  console.log(v.name, found);
}
