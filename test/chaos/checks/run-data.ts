/** Everything a finished chaos run recorded, as the checks, the summary and the timeline read it. */
import type { UnexpectedExit } from '../cluster/chaos-cluster.js';
import type { StatusSample } from '../cluster/status-poller.js';
import type { FaultRecord } from '../nemesis/nemesis.js';
import type { HistoryRecord, HoldReport, SessionReport, TaskKind, TaskOutcome } from '../worker/protocol.js';
import type { StoreLogEntry } from '../workload/fenced-store.js';
import type { PauseInterval, WorkerProblem } from '../workload/worker-pool.js';

export interface RunData {
  readonly seed: number;
  readonly nodes: number;
  readonly durationMs: number;
  readonly ttlMs: number;
  readonly recoveryBoundMs: number;
  /** The peer network the run used (PeerNet.description), and why netns was asked for but not used. */
  readonly network: string;
  readonly networkFallback: string | null;
  /** Fault kinds the cluster could not inject, with the reason. */
  readonly faultsLeftOut: ReadonlyMap<string, string>;
  readonly history: readonly HistoryRecord[];
  readonly holds: readonly HoldReport[];
  readonly sessions: readonly SessionReport[];
  readonly faults: readonly FaultRecord[];
  readonly statusSamples: readonly StatusSample[];
  readonly leadersByTerm: ReadonlyMap<number, ReadonlySet<string>>;
  readonly storeLog: readonly StoreLogEntry[];
  /** The fenced registers' values at the end. */
  readonly finalValues: ReadonlyMap<string, string | null>;
  /** Worker id → its SIGSTOP intervals. */
  readonly workerPauses: ReadonlyMap<number, readonly PauseInterval[]>;
  /** Worker id → the intervals in which it could not run its timers (stall-monitor.ts). */
  readonly workerStalls: ReadonlyMap<number, readonly PauseInterval[]>;
  readonly problems: readonly WorkerProblem[];
  /** Server processes that exited without being asked to (crashes). */
  readonly serverExits: readonly UnexpectedExit[];
  /** Restarts that waited for a port another process held (the machine, not Baton). */
  readonly portWaits: number;
  readonly taskOutcomes: ReadonlyMap<TaskKind, ReadonlyMap<TaskOutcome, number>>;
}

/** One thing a check found wrong. */
export interface Violation {
  readonly check: string;
  readonly message: string;
  readonly atMs?: number;
}

/** The worker id a lane's client id belongs to (`w3.1` → 3), or null for the harness's own clients. */
export function workerOfClient(client: string): number | null {
  const m = /^w(\d+)\./.exec(client);
  return m === null ? null : Number(m[1]);
}

/** Whether the record's answer is known, an error, or unknown. */
export function outcomeOf(rec: HistoryRecord): 'ok' | 'fail' | 'unknown' {
  if (rec.result === null) return 'unknown';
  return rec.result.error !== undefined ? 'fail' : 'ok';
}
