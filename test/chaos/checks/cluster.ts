/**
 * Cluster-level checks: after every fault healed, the cluster served again (a write succeeded)
 * within the bound and every running node named the same leader within the convergence bound (a
 * restarted node may wait out its peers' reconnect backoff first); no term ever had two leaders
 * (Raft's election safety, as far as the status polls saw).
 */

/** After a heal every running node must name the same leader within this. */
export const CONVERGENCE_BOUND_MS = 15_000;

import type { FaultRecord } from '../nemesis/nemesis.js';
import type { Violation } from './run-data.js';

export function checkRecovery(
  faults: readonly FaultRecord[],
  boundMs: number,
): {
  violations: Violation[];
  maxRecovery: { ms: number; fault: string } | null;
  maxConvergence: { ms: number; fault: string } | null;
} {
  const violations: Violation[] = [];
  let maxRecovery: { ms: number; fault: string } | null = null;
  let maxConvergence: { ms: number; fault: string } | null = null;
  for (const f of faults) {
    const label = `#${f.index} ${f.kind} (${f.detail})`;
    if (f.error !== null) {
      violations.push({
        check: 'recovery',
        message: `${label}: the cluster refused the fault's own steps: ${f.error}`,
        atMs: f.startMs,
      });
    }
    if (f.healMs === null) continue;
    if (f.recoveryMs === null) {
      violations.push({ check: 'recovery', message: `${label}: not serving again after the heal`, atMs: f.healMs });
      continue;
    }
    if (maxRecovery === null || f.recoveryMs > maxRecovery.ms) maxRecovery = { ms: f.recoveryMs, fault: label };
    if (f.convergedMs !== null && (maxConvergence === null || f.convergedMs > maxConvergence.ms)) {
      maxConvergence = { ms: f.convergedMs, fault: label };
    }
    // a restarted process's boot (module loading, storage recovery) is not the cluster's recovery:
    // on a starved machine it alone took over 5 s. The bound applies to the time after it.
    const bootMs = f.bootMs ?? 0;
    if (f.recoveryMs - bootMs > boundMs) {
      violations.push({
        check: 'recovery',
        message: `${label}: serving again only ${Math.round(f.recoveryMs)} ms after the heal${
          f.bootMs === null ? '' : `, ${Math.round(f.recoveryMs - bootMs)} ms after the restarted nodes booted`
        } (bound ${boundMs} ms)`,
        atMs: f.healMs,
      });
    }
    if (f.convergedMs === null || f.convergedMs - bootMs > CONVERGENCE_BOUND_MS) {
      violations.push({
        check: 'recovery',
        message: `${label}: the running nodes did not agree on a leader within ${CONVERGENCE_BOUND_MS} ms of the heal${f.bootMs === null ? '' : ' and boot'}`,
        atMs: f.healMs,
      });
    }
  }
  return { violations, maxRecovery, maxConvergence };
}

export function checkElectionSafety(leadersByTerm: ReadonlyMap<number, ReadonlySet<string>>): Violation[] {
  const violations: Violation[] = [];
  for (const [term, leaders] of leadersByTerm) {
    if (leaders.size > 1) {
      violations.push({ check: 'election-safety', message: `term ${term} had leaders ${[...leaders].join(', ')}` });
    }
  }
  return violations;
}
