/** Every check over one finished run, and the numbers the summary prints. */
import { checkElectionSafety, checkRecovery } from '../checks/cluster.js';
import { checkEndState } from '../checks/end-state.js';
import { checkHandover, type HandoverResult } from '../checks/handover.js';
import { checkLinearizability, type LinearizabilityResult } from '../checks/linearizability.js';
import type { RunData, Violation } from '../checks/run-data.js';
import { checkSessions } from '../checks/sessions.js';
import { checkStore, type StoreResult } from '../checks/store.js';
import { checkTokens } from '../checks/tokens.js';
import { ALL_NAMES, EXCLUSIVE_NAMES } from '../workload/tasks.js';

export interface CheckedRun {
  readonly violations: readonly Violation[];
  readonly linearizability: LinearizabilityResult;
  readonly handover: HandoverResult;
  readonly store: StoreResult;
  readonly grants: number;
  readonly expiredByServer: number;
  readonly maxRecovery: { ms: number; fault: string } | null;
  readonly maxConvergence: { ms: number; fault: string } | null;
}

export function checkRun(data: RunData, budgetMs: number): CheckedRun {
  const linearizability = checkLinearizability(data.history, budgetMs);
  const tokens = checkTokens(data.history);
  // a stalled worker could not fire its signals any more than a stopped one
  const notRunning = new Map(
    [...data.workerPauses].map(([id, pauses]) => [id, [...pauses, ...(data.workerStalls.get(id) ?? [])]] as const),
  );
  const handover = checkHandover(data.holds, data.sessions, notRunning, EXCLUSIVE_NAMES);
  const sessions = checkSessions(data.sessions);
  const store = checkStore(data.storeLog, data.finalValues);
  const recovery = checkRecovery(data.faults, data.recoveryBoundMs);
  const problems: Violation[] = data.problems.map((p) => ({
    check: 'worker',
    message: `worker w${p.worker}: ${p.kind}: ${p.message}`,
    atMs: p.atMs,
  }));
  for (const e of data.serverExits) {
    problems.push({
      check: 'server',
      message: `${e.node} exited by itself (code ${e.code}, signal ${e.signal}): ${e.tail.trim().split('\n').slice(-5).join(' | ')}`,
    });
  }
  for (const [kind, outcomes] of data.taskOutcomes) {
    const failed = outcomes.get('failed') ?? 0;
    if (failed > 0) problems.push({ check: 'worker', message: `${failed} ${kind} task(s) threw an unexpected error` });
  }
  const violations = [
    ...linearizability.violations,
    ...tokens.violations,
    ...handover.violations,
    ...sessions.violations,
    ...store.violations,
    ...recovery.violations,
    ...checkElectionSafety(data.leadersByTerm),
    ...checkEndState(data.history, ALL_NAMES),
    ...problems,
  ];
  return {
    violations,
    linearizability,
    handover,
    store,
    grants: tokens.grants,
    expiredByServer: sessions.expiredByServer,
    maxRecovery: recovery.maxRecovery,
    maxConvergence: recovery.maxConvergence,
  };
}
