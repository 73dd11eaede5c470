/**
 * A chaos run's settings, defaults in one place. Timings are tuned to a small loopback cluster:
 * a short session TTL so that pauses and partitions outlive sessions within seconds, and a
 * request timeout that outlasts most faults (a close sent while the cluster is down still gets
 * its answer: fewer unknown outcomes) yet lets a client give up and move on.
 */

import type { FaultKind } from '../nemesis/fault-kinds.js';
import type { NetMode } from '../net/peer-net.js';
import type { WorkloadTimings } from '../workload/tasks.js';
import type { WorkerCommand } from '../workload/worker-pool.js';

export interface ChaosOptions {
  readonly seed: number;
  readonly nodes: number;
  /** The peer network: proxies on loopback, or a network namespace per node (falls back to proxy). */
  readonly net: NetMode;
  /** How long the workload and nemesis run (the fault list may end sooner). */
  readonly durationMs: number;
  /** 'random': weighted draws until the end; a list: each kind once, in a seeded order. */
  readonly faults: 'random' | readonly FaultKind[];
  readonly workers: number;
  readonly lanesPerWorker: number;
  readonly ttlMs: number;
  readonly requestTimeoutMs: number;
  /** After a heal the cluster must serve again within this (the recovery check). */
  readonly recoveryBoundMs: number;
  /** Past this, stop waiting for recovery and heal everything by force. */
  readonly giveUpMs: number;
  /** The linearizability search's budget: running out is a failure. */
  readonly checkBudgetMs: number;
  readonly workload: WorkloadTimings;
  /** Rest between faults. */
  readonly quietMinMs: number;
  readonly quietMaxMs: number;
  /** Raft timing of the servers. */
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly serverLogLevel: string;
  /** Artifacts go to `<outDir>/<seed>-<nodes>n/`. */
  readonly outDir: string;
  /** Keep the artifacts of a passing run too (the long mode does). */
  readonly keepArtifacts: boolean;
  readonly workerCommand: WorkerCommand;
  /** The command that replays this run (printed and saved). */
  readonly replayCommand: string;
  /** Progress lines (faults, phases). */
  readonly log: (line: string) => void;
}

export const CHAOS_DEFAULTS = Object.freeze({
  net: 'proxy' as NetMode,
  workers: 4,
  lanesPerWorker: 2,
  ttlMs: 2_000,
  requestTimeoutMs: 6_000,
  recoveryBoundMs: 10_000,
  giveUpMs: 30_000,
  checkBudgetMs: 120_000,
  quietMinMs: 1_000,
  quietMaxMs: 2_500,
  tickMs: 50,
  electionTicks: 10,
  serverLogLevel: 'info',
  workload: {
    shortHoldMaxMs: 300,
    longHoldMinMs: 800,
    longHoldMaxMs: 2_500,
    waitMinMs: 2_000,
    waitMaxMs: 5_000,
  } satisfies WorkloadTimings,
});

/** Seconds of workload before the first fault and after the last heal. */
export const WARMUP_MS = 1_500;
export const COOLDOWN_MS = 2_000;
/** A lane's task that runs this long is stuck (a liveness finding, reported). */
export const TASK_STUCK_MS = 60_000;
/** After the lanes stop, how long they may take to finish their current task. */
export const LANES_STOP_TIMEOUT_MS = 60_000;
/** Pause between a lane's tasks. */
export const THINK_MIN_MS = 10;
export const THINK_MAX_MS = 150;
/** The cluster must elect its first leader within this. */
export const FIRST_LEADER_TIMEOUT_MS = 20_000;
