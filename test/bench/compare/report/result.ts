/** The JSON a run writes (results.json): the contract of the CI check and of anyone comparing runs. */
import type { SystemName } from '../clients/lock-client.js';
import type { BenchPlan, Workload } from '../plan.js';
import type { CommitFloor } from '../proc/commit-floor.js';
import type { DiskFloor } from '../proc/disk-floor.js';

export const RESULT_FORMAT_VERSION = 1;

export type SystemState = 'ran' | 'skipped' | 'failed' | 'not selected';

export interface SystemReport {
  readonly state: SystemState;
  readonly version?: string;
  /** Why it was skipped or failed. */
  readonly reason?: string;
  /** apt-get installed it during this run. */
  readonly installed?: boolean;
  /** Wall time of its part of the run. */
  readonly durationMs?: number;
}

export interface TargetResult {
  readonly text: string;
  /** null when the run lacks what the target compares against. */
  readonly met: boolean | null;
}

export interface ResultRow {
  readonly id: string;
  readonly workload: Workload;
  readonly label: string;
  readonly unit: string;
  /** Which way is better; null for a row that only informs (the TTL used). */
  readonly better: 'higher' | 'lower' | null;
  /** Measured value per system; null when not measured (see notApplicable and the system's state). */
  readonly values: Readonly<Record<SystemName, number | null>>;
  /** Baton's value divided by each peer's. */
  readonly ratios: Readonly<Record<Exclude<SystemName, 'baton'>, number | null>>;
  /** Systems that do not offer what the row measures (Redis: no failover, elections, sessions). */
  readonly notApplicable: readonly SystemName[];
  /** Errors of the workload that should have produced the value, per system. */
  readonly errors: Readonly<Partial<Record<SystemName, string>>>;
  readonly target?: TargetResult;
  readonly stretch?: TargetResult;
}

export interface BenchResult {
  readonly formatVersion: number;
  /** False in the file written after each system, while later systems are still to run. */
  readonly complete: boolean;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: {
    readonly cores: number;
    readonly node: string;
    readonly platform: string;
    readonly loadAverage: readonly number[];
    /** The durable-write latency of the disk under the data directories (null if not measured). */
    readonly disk: DiskFloor | null;
    /** A bare replicated commit between three processes, timed right before each system ran. */
    readonly commitFloors: Readonly<Partial<Record<SystemName, CommitFloor>>>;
  };
  readonly plan: BenchPlan;
  readonly workloads: readonly Workload[];
  readonly systems: Readonly<Record<SystemName, SystemReport>>;
  readonly rows: readonly ResultRow[];
  readonly notes: readonly string[];
  /** Raw counts, samples and resource readings per system and workload. */
  readonly details: Readonly<Partial<Record<SystemName, Record<string, unknown>>>>;
}
