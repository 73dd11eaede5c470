/**
 * What the cluster costs while a workload runs: the /proc readings are the comparison bench's
 * (../compare/proc/proc-stats.ts); this adds CPU as a percentage of one core over a window.
 */
import type { ProcSample } from '../compare/proc/proc-stats.js';

export { type ProcSample, sampleProcess } from '../compare/proc/proc-stats.js';

/** CPU used between two samples, as % of one core over `wallMs`. */
export function cpuPercent(before: ProcSample | null, after: ProcSample | null, wallMs: number): number {
  if (before === null || after === null || wallMs <= 0) return Number.NaN;
  return ((after.cpuMs - before.cpuMs) / wallMs) * 100;
}
