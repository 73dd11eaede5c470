/**
 * Every count and duration of a run, in one place: the full run and the `--quick` smoke run that
 * CI uses to check the harness works end to end (its numbers mean little).
 */

export const WORKLOADS = [
  'independent',
  'contention',
  'failover',
  'election',
  'takeover',
  'sessions',
  'memory',
] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface BenchPlan {
  readonly quick: boolean;
  /** Run one discarded warm-up (32 workers, workload 1) per system first: the JITs of the JVM and V8. */
  readonly warmupRun: boolean;
  /** Each throughput workload runs this long before it is measured… */
  readonly warmupMs: number;
  /** …and is measured this long. */
  readonly measureMs: number;
  /** A window goes on past measureMs (boundedly) until it has this many samples. */
  readonly minSamples: number;
  /** Workload 1: one lock per worker. */
  readonly independentWorkers: readonly number[];
  /** Workload 2: workers on one lock. */
  readonly contentionWorkers: number;
  /** Workload 3: leader kills, each under the steady load of this many workers. */
  readonly failoverTrials: number;
  readonly failoverWorkers: number;
  /** Load before the kill, and after the first write that succeeds again. */
  readonly failoverBeforeMs: number;
  readonly failoverAfterMs: number;
  /** Workload 4: resign → elected handoffs. */
  readonly electionHandoffs: number;
  /** Workload 5: holder processes killed. */
  readonly takeoverTrials: number;
  /** Workload 6: idle sessions kept alive, their TTL, and how long the servers' CPU is measured. */
  readonly idleSessionCounts: readonly number[];
  readonly idleSessionTtlMs: number;
  readonly idleMeasureMs: number;
  /** Workload 7: locks held at once. */
  readonly heldLocks: number;
  /** Sessions opened or locks taken in parallel while setting up workloads 6 and 7. */
  readonly setupConcurrency: number;
  /** Sessions of the memory workload (each holds heldLocks / this many locks). */
  readonly heldLockSessions: number;
  /** Workers sharing one client connection (Baton allows 64 sessions per connection). */
  readonly workersPerClient: number;
  /** Idle sessions sharing one client connection (ZooKeeper: always one, its session is its connection). */
  readonly sessionsPerClient: number;
  /** TTL of the sessions that do the work (not the takeover holder's). */
  readonly workTtlMs: number;
}

export const FULL_PLAN: BenchPlan = {
  quick: false,
  warmupRun: true,
  warmupMs: 2_000,
  measureMs: 10_000,
  minSamples: 10,
  independentWorkers: [1, 32, 128],
  contentionWorkers: 8,
  failoverTrials: 3,
  failoverWorkers: 4,
  failoverBeforeMs: 1_000,
  failoverAfterMs: 2_000,
  electionHandoffs: 100,
  takeoverTrials: 3,
  idleSessionCounts: [1_000, 10_000],
  idleSessionTtlMs: 10_000,
  idleMeasureMs: 10_000,
  heldLocks: 100_000,
  setupConcurrency: 64,
  heldLockSessions: 100,
  workersPerClient: 32,
  sessionsPerClient: 50,
  workTtlMs: 10_000,
};

export const QUICK_PLAN: BenchPlan = {
  ...FULL_PLAN,
  quick: true,
  warmupRun: false,
  warmupMs: 200,
  measureMs: 800,
  failoverTrials: 1,
  failoverBeforeMs: 300,
  failoverAfterMs: 500,
  electionHandoffs: 5,
  takeoverTrials: 1,
  idleSessionCounts: [100],
  idleSessionTtlMs: 3_000,
  idleMeasureMs: 1_500,
  heldLocks: 500,
  heldLockSessions: 10,
};

/** A workload that has not finished after this much beyond its planned time is abandoned as failed. */
export const WORKLOAD_SLACK_MS = 120_000;
/** A cluster must elect a leader (or answer, for Redis) within this after a start or restart. */
export const HEALTHY_TIMEOUT_MS = 60_000;
