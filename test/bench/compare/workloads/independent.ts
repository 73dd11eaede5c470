/**
 * Workload 1: independent locks, one per worker. Each worker acquires its own lock and releases
 * it, in a closed loop: cycles/s is the cluster's rate of uncontended grant + release writes,
 * and the acquire latency is one replicated write seen from the client.
 */

import { percentile, round } from '../stats.js';
import { serverPids, type WorkloadContext, type WorkloadOutput } from './context.js';
import { FailureLog, SessionPool, WorkerSession } from './pool.js';
import { runWindow } from './window.js';

export async function independentLocks(ctx: WorkloadContext, workers: number): Promise<WorkloadOutput> {
  const { plan, system } = ctx;
  const pool = await SessionPool.open(
    system.connectSpec,
    workers,
    plan.workersPerClient,
    plan.workTtlMs,
    plan.setupConcurrency,
  );
  try {
    const latencies: number[] = [];
    const failures = new FailureLog();
    let cycles = 0;
    let all = 0;
    const { window, use } = await runWindow({
      workers,
      warmupMs: plan.warmupMs,
      measureMs: plan.measureMs,
      pids: serverPids(system),
      progress: ctx.progress,
      describe: () => `${all} cycles`,
      enough: () => cycles >= plan.minSamples && latencies.length >= plan.minSamples,
      loop: async (i, w) => {
        const worker = new WorkerSession(pool, i, plan.workTtlMs, failures);
        while (!w.stopped) {
          // a fresh name after a failure: nothing the failed call left can be in the way
          const name = `${ctx.namePrefix}/w${i}/${worker.replaced}`;
          try {
            const t0 = performance.now();
            const lock = await worker.session.acquire(name);
            const t1 = performance.now();
            await lock.release();
            const t2 = performance.now();
            all++;
            if (w.inside(t0)) latencies.push(t1 - t0);
            if (w.inside(t2)) cycles++;
          } catch (err) {
            await worker.recover(err);
          }
        }
      },
    });
    const key = `independent.${workers}`;
    return {
      metrics: {
        [`${key}.cyclesPerSec`]: round((cycles * 1000) / window.lengthMs),
        [`${key}.acquireP50Ms`]: round(percentile(latencies, 50)),
        [`${key}.acquireP99Ms`]: round(percentile(latencies, 99)),
      },
      details: {
        [key]: {
          cycles,
          windowMs: round(window.lengthMs),
          acquires: latencies.length,
          failures: failures.count,
          resources: use,
        },
      },
      notes: failures.note(`W1 ${workers} workers`),
      windows: [{ label: `${workers} independent worker${workers === 1 ? '' : 's'}`, use }],
    };
  } finally {
    await pool.close();
  }
}
