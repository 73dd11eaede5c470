/**
 * The harness's memory of a run as it happens: the history, the workers' hold and session
 * reports, their problems, task outcomes — and two live views the nemesis uses: the newest token
 * per name (for fenceCheck reads) and which lanes hold a fenced lock, or are inside their lock-set
 * read→write window (pausing such a lane is Jepsen's lock-set scenario).
 */
import { workerOfClient } from '../checks/run-data.js';
import { sleep } from '../clock.js';
import type { HistoryRecord, HoldReport, SessionReport, TaskKind, TaskOutcome } from '../worker/protocol.js';
import { FENCED_LOCKS } from '../workload/tasks.js';
import type { WorkerPool, WorkerProblem } from '../workload/worker-pool.js';

/** How long the nemesis waits for a lane to enter its lock-set window before settling for a holder. */
const HOLDER_WAIT_ROUNDS = 40;
const HOLDER_WAIT_STEP_MS = 50;

export class RunRecorder {
  readonly history: HistoryRecord[] = [];
  readonly holds: HoldReport[] = [];
  readonly sessions: SessionReport[] = [];
  readonly problems: WorkerProblem[] = [];
  readonly taskOutcomes = new Map<TaskKind, Map<TaskOutcome, number>>();
  private readonly newest = new Map<string, number>();
  private readonly fencedHolders = new Set<string>();
  private readonly inWindow = new Set<string>();

  readonly record = (rec: HistoryRecord): void => {
    this.history.push(rec);
    if (rec.op === 'acquire' && rec.result?.acquired === true && isFenced(rec.name)) this.fencedHolders.add(rec.client);
    if (rec.node === 'store') {
      // the store's calls: a read opens the window, the write (or an advance) closes it
      if (rec.op === 'read') this.inWindow.add(rec.client);
      else if (rec.op === 'write') this.inWindow.delete(rec.client);
    }
    const token = rec.result?.token ?? rec.result?.term;
    if (rec.name !== undefined && typeof token === 'number') {
      this.newest.set(rec.name, Math.max(this.newest.get(rec.name) ?? 0, token));
    }
  };

  newestToken(name: string): number {
    return this.newest.get(name) ?? 0;
  }

  /** A lane's task ended: it holds nothing any more. */
  taskEnded(client: string, kind: TaskKind, outcome: TaskOutcome): void {
    this.fencedHolders.delete(client);
    this.inWindow.delete(client);
    const byOutcome = this.taskOutcomes.get(kind) ?? new Map<TaskOutcome, number>();
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    this.taskOutcomes.set(kind, byOutcome);
  }

  /**
   * A running worker with a lane inside its lock-set window, or else one holding a fenced lock;
   * waits up to two seconds for the first kind.
   */
  async fencedHolder(pool: WorkerPool): Promise<number | null> {
    const usable = (client: string): number | null => {
      const id = workerOfClient(client);
      return id !== null && pool.get(id).alive && !pool.get(id).paused ? id : null;
    };
    for (let i = 0; i < HOLDER_WAIT_ROUNDS; i++) {
      for (const client of this.inWindow) {
        const id = usable(client);
        if (id !== null) return id;
      }
      await sleep(HOLDER_WAIT_STEP_MS);
    }
    for (const client of this.fencedHolders) {
      const id = usable(client);
      if (id !== null) return id;
    }
    return null;
  }
}

function isFenced(name: string | undefined): boolean {
  return name !== undefined && (FENCED_LOCKS as readonly string[]).includes(name);
}
