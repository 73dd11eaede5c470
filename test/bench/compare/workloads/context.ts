/** What every workload is given, and what it hands back. */
import type { BenchPlan } from '../plan.js';
import type { Progress } from '../progress.js';
import type { ResourceUse } from '../resources.js';
import type { RunningSystem } from '../systems/system.js';

export interface WorkloadContext {
  readonly system: RunningSystem;
  readonly plan: BenchPlan;
  readonly progress: Progress;
  /** Unique per workload run: lock and election names start with it, so runs never meet. */
  readonly namePrefix: string;
  /** How to start this program as a takeover holder (workload 5). */
  readonly holderCommand: { readonly modulePath: string; readonly args: readonly string[] };
}

export interface WorkloadOutput {
  /** Metric id → value (the ids of rows.ts). */
  readonly metrics: Record<string, number>;
  /** Raw counts and samples summaries, for the JSON. */
  readonly details: Record<string, unknown>;
  /** Lines for the table's notes (a client-bound window, a failover that did not recover…). */
  readonly notes: string[];
  /** The measured windows and what they cost, to say which were client-bound or starved. */
  readonly windows?: readonly { readonly label: string; readonly use: ResourceUse }[];
}

/** Server pids of the system, in node order (null for a node that is down). */
export function serverPids(system: RunningSystem): () => (number | null)[] {
  return () => system.nodes.map((n) => n.pid);
}
