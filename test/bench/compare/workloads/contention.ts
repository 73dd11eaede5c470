/**
 * Workload 2: contention. Workers take turns on one lock, each asking again as soon as it
 * released: handoffs/s is how fast the lock moves from holder to waiter, the acquire latency
 * includes the queueing, and the FIFO check says whether waiters were served in order.
 */
import { percentile, round } from '../stats.js';
import { serverPids, type WorkloadContext, type WorkloadOutput } from './context.js';
import { checkFifo, type GrantRecord } from './fifo.js';
import { FailureLog, SessionPool, WorkerSession } from './pool.js';
import { runWindow } from './window.js';

export async function contention(ctx: WorkloadContext): Promise<WorkloadOutput> {
  const { plan, system } = ctx;
  const workers = plan.contentionWorkers;
  const pool = await SessionPool.open(
    system.connectSpec,
    workers,
    plan.workersPerClient,
    plan.workTtlMs,
    plan.setupConcurrency,
  );
  try {
    const name = `${ctx.namePrefix}/one`;
    const records: GrantRecord[] = [];
    const failures = new FailureLog();
    let handoffs = 0;
    let all = 0;
    const { window, use } = await runWindow({
      workers,
      warmupMs: plan.warmupMs,
      measureMs: plan.measureMs,
      pids: serverPids(system),
      progress: ctx.progress,
      describe: () => `${all} handoffs`,
      enough: () => handoffs >= plan.minSamples && records.length >= plan.minSamples,
      loop: async (i, w) => {
        const worker = new WorkerSession(pool, i, plan.workTtlMs, failures);
        while (!w.stopped) {
          try {
            const requestedAt = performance.now();
            const lock = await worker.session.acquire(name);
            const grantedAt = performance.now();
            all++;
            if (w.inside(requestedAt)) {
              records.push({
                worker: i,
                requestedAt,
                grantedAt,
                ...(lock.queueOrder === undefined ? {} : { queueOrder: lock.queueOrder }),
              });
            }
            if (w.inside(grantedAt)) handoffs++;
            await lock.release();
          } catch (err) {
            await worker.recover(err);
          }
        }
      },
    });
    const fifo = checkFifo(records, workers);
    const latencies = records.map((r) => r.grantedAt - r.requestedAt);
    return {
      metrics: {
        'contention.handoffsPerSec': round((handoffs * 1000) / window.lengthMs),
        'contention.acquireP50Ms': round(percentile(latencies, 50)),
        'contention.acquireP99Ms': round(percentile(latencies, 99)),
        'contention.fifoOvertakes': fifo.overtakes,
      },
      details: {
        contention: { handoffs, windowMs: round(window.lengthMs), fifo, failures: failures.count, resources: use },
      },
      notes: failures.note('W2 contention'),
      windows: [{ label: 'contention', use }],
    };
  } finally {
    await pool.close();
  }
}
