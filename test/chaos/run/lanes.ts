/**
 * The lanes' driver: each lane of each worker runs its own seeded task stream, one task at a
 * time with a short think time between, until told to stop. A task that runs far too long is
 * reported (a liveness finding) but still awaited.
 */
import type { SimRng } from '../../sim/rng.js';
import { sleep } from '../clock.js';
import { laneClient } from '../worker/protocol.js';
import { TaskSource, type WorkloadTimings } from '../workload/tasks.js';
import type { WorkerPool } from '../workload/worker-pool.js';
import { TASK_STUCK_MS, THINK_MAX_MS, THINK_MIN_MS } from './options.js';
import type { RunRecorder } from './recorder.js';

export interface RunningLanes {
  /** Lets every lane finish its current task, then resolves (bounded by `timeoutMs`). */
  stop(timeoutMs: number): Promise<void>;
}

export function startLanes(
  pool: WorkerPool,
  lanesPerWorker: number,
  timings: WorkloadTimings,
  rng: SimRng,
  recorder: RunRecorder,
  now: () => number,
): RunningLanes {
  let stopping = false;
  const loops: Promise<void>[] = [];
  for (const w of pool.workers) {
    for (let l = 0; l < lanesPerWorker; l++) {
      const laneRng = rng.fork();
      const client = laneClient(w.id, l);
      const source = new TaskSource(laneRng, client, timings, (n) => recorder.newestToken(n));
      loops.push(
        (async () => {
          while (!stopping && w.alive) {
            const task = source.next();
            const startMs = now();
            const stuck = setTimeout(() => {
              recorder.problems.push({
                worker: w.id,
                kind: 'stuckTask',
                message: `${client}: ${task.kind} on ${task.name} still running after ${TASK_STUCK_MS} ms`,
                atMs: startMs,
              });
            }, TASK_STUCK_MS);
            const outcome = await w.runTask(l, task);
            clearTimeout(stuck);
            recorder.taskEnded(client, task.kind, outcome);
            await sleep(laneRng.nextInt(THINK_MIN_MS, THINK_MAX_MS + 1));
          }
        })(),
      );
    }
  }
  return {
    async stop(timeoutMs: number): Promise<void> {
      stopping = true;
      await Promise.race([Promise.all(loops), sleep(timeoutMs)]);
    },
  };
}
