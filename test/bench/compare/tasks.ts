/**
 * The steps a system goes through, in order, for the selected workloads: the workloads that
 * leave the cluster as it was first (1, 2, 4, 5: their span also counts leader changes), then
 * failover, which kills and restarts nodes, then the long set-ups of 6 and 7.
 */
import type { BenchPlan, Workload } from './plan.js';
import type { RunningSystem } from './systems/system.js';
import { contention } from './workloads/contention.js';
import type { WorkloadContext, WorkloadOutput } from './workloads/context.js';
import { electionHandoff } from './workloads/election.js';
import { failover } from './workloads/failover.js';
import { independentLocks } from './workloads/independent.js';
import { heldLocks } from './workloads/memory.js';
import { idleSessions } from './workloads/sessions.js';
import { crashTakeover } from './workloads/takeover.js';

export interface Task {
  readonly workload: Workload;
  readonly label: string;
  /** Part of the span in which no leader change is expected. */
  readonly steady: boolean;
  /** Abandoned as failed after this long. */
  readonly budgetMs: number;
  readonly applies: (system: RunningSystem) => boolean;
  readonly run: (ctx: WorkloadContext) => Promise<WorkloadOutput>;
}

/** Beyond a task's planned time, how long it may take before it is abandoned. */
const TASK_SLACK_MS = 120_000;
/**
 * Opening and closing one idle session, and taking one held lock, may take this long on average
 * before the workload counts as hung: each is a replicated, fsynced write, and on a machine whose
 * disk is shared a peer has been seen at 30 ms per session (open + close).
 */
const PER_SESSION_BUDGET_MS = 60;
const PER_HELD_LOCK_BUDGET_MS = 20;

export function planTasks(plan: BenchPlan, selected: readonly Workload[]): Task[] {
  const window = plan.warmupMs + plan.measureMs;
  const all: Task[] = [
    ...plan.independentWorkers.map(
      (w): Task => ({
        workload: 'independent',
        label: `W1 independent locks, ${w} worker${w === 1 ? '' : 's'}`,
        steady: true,
        budgetMs: window + TASK_SLACK_MS,
        applies: () => true,
        run: (ctx) => independentLocks(ctx, w),
      }),
    ),
    {
      workload: 'contention',
      label: `W2 contention, ${plan.contentionWorkers} workers on 1 lock`,
      steady: true,
      budgetMs: window + TASK_SLACK_MS,
      applies: () => true,
      run: contention,
    },
    {
      workload: 'election',
      label: `W4 election handoff ×${plan.electionHandoffs}`,
      steady: true,
      budgetMs: plan.electionHandoffs * 1_000 + TASK_SLACK_MS,
      applies: (s) => s.replicated,
      run: electionHandoff,
    },
    {
      workload: 'takeover',
      label: `W5 crash takeover ×${plan.takeoverTrials}`,
      steady: true,
      budgetMs: plan.takeoverTrials * 60_000 + TASK_SLACK_MS,
      applies: () => true,
      run: crashTakeover,
    },
    {
      workload: 'failover',
      label: `W3 failover: leader SIGKILL ×${plan.failoverTrials}`,
      steady: false,
      budgetMs: plan.failoverTrials * 150_000 + TASK_SLACK_MS,
      applies: (s) => s.replicated,
      run: failover,
    },
    ...plan.idleSessionCounts.map(
      (n): Task => ({
        workload: 'sessions',
        label: `W6 ${n.toLocaleString('en-US')} idle sessions`,
        steady: false,
        budgetMs: n * PER_SESSION_BUDGET_MS + plan.idleSessionTtlMs + plan.idleMeasureMs + TASK_SLACK_MS,
        applies: (s) => s.replicated,
        run: (ctx) => idleSessions(ctx, n),
      }),
    ),
    {
      workload: 'memory',
      label: `W7 ${plan.heldLocks.toLocaleString('en-US')} held locks`,
      steady: false,
      budgetMs: plan.heldLocks * PER_HELD_LOCK_BUDGET_MS + TASK_SLACK_MS,
      applies: () => true,
      run: heldLocks,
    },
  ];
  return all.filter((t) => selected.includes(t.workload));
}
